package dmarc

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/fixproof"
)

// The fix round trip over cases.json (the corpus): every record of
// record_parse published at _dmarc.example.com, and every zone of
// policy_discovery and evaluation without injected DNS failures. Each
// DMARC check that warns or fails must pass once its fixes are published
// as printed (p=none is staged: at most fixproof.MaxRounds fixes).
func TestCasesFixesRoundTrip(t *testing.T) {
	c := loadCases(t)
	type fixture struct {
		id, domain string
		z          zone
	}
	var fixtures []fixture
	for _, pc := range c.RecordParse {
		raw, err := json.Marshal([][]string{scoring.SplitTXT(pc.Record)})
		if err != nil {
			t.Fatal(err)
		}
		fixtures = append(fixtures, fixture{id: "record_parse " + pc.Record, domain: "example.com",
			z: zone{"_dmarc.example.com": raw}})
	}
	for _, dc := range c.Discovery {
		if len(dc.Fail) == 0 {
			fixtures = append(fixtures, fixture{id: dc.ID, domain: dc.Author, z: dc.DNS})
		}
	}
	for _, ec := range c.Evaluation {
		if len(ec.Fail) == 0 {
			fixtures = append(fixtures, fixture{id: ec.ID, domain: ec.From, z: ec.DNS})
		}
	}
	pairs, proven, staged := 0, 0, 0
	for _, f := range fixtures {
		if _, ok := normalizeDomain(f.domain); !ok {
			continue
		}
		w := newWorld(t, f.z)
		env := &scoring.Env{Evidence: scoring.Evidence{Domain: f.domain}, DNS: w.r}
		for _, ch := range Checks() {
			res := scoring.RunAll(context.Background(), env, []scoring.Check{ch})[0]
			if fixproof.Done(res.Status) || res.Status == scoring.Error {
				continue
			}
			pairs++
			fresh := newWorld(t, f.z)
			o, err := fixproof.RoundTrip(context.Background(), fresh.srv, &scoring.Env{Evidence: env.Evidence, DNS: fresh.r}, ch)
			switch {
			case err != nil:
				t.Errorf("%s / %s: %v", f.id, ch.ID, err)
			case o.Manual != "":
			case !o.Passed():
				t.Errorf("%s / %s: still %s after %d fix(es): %s\npublished:\n%s", f.id, ch.ID, o.Final.Status, o.Rounds, o.Final.Title, strings.Join(o.Steps, "\n--\n"))
			default:
				proven++
				if o.Rounds > 1 {
					staged++
				}
			}
		}
	}
	t.Logf("cases.json as a fix corpus: %d fixtures, %d failing (fixture, check) pairs, %d proven (%d staged)", len(fixtures), pairs, proven, staged)
}
