package spf

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/fixproof"
)

// The fix round trip over the SPF test suites (the corpus): for every
// suite test whose sender does not pass, each SPF check that warns or
// fails is given its fix, published exactly as printed into the suite's
// zone, and must then pass (or say in Manual why the fix is applied
// elsewhere).
func TestSuiteFixesRoundTrip(t *testing.T) {
	if testing.Short() {
		t.Skip("the whole suite corpus")
	}
	pairs, proven, manual, skipped := 0, 0, 0, 0
	for _, sf := range suiteFiles[:4] {
		scenarios, err := loadSuite(sf.file)
		if err != nil {
			t.Fatal(err)
		}
		for _, sc := range scenarios {
			z, err := buildZone(sc.ZoneData)
			if err != nil || z.hasFaults {
				continue // temporary errors are not verdicts to fix
			}
			ids := make([]string, 0, len(sc.Tests))
			for id := range sc.Tests {
				ids = append(ids, id)
			}
			slices.Sort(ids)
			for _, id := range ids {
				tc := sc.Tests[id]
				ip, err := netip.ParseAddr(tc.Host)
				at := strings.LastIndexByte(tc.MailFrom, '@')
				if err != nil || at < 0 || slices.Contains(tc.Result, "pass") {
					skipped++
					continue
				}
				domain := tc.MailFrom[at+1:]
				if _, err := checkDomain(domain); err != nil {
					skipped++
					continue
				}
				ev := scoring.Evidence{Domain: domain, MailFrom: tc.MailFrom, IPs: []netip.Addr{ip}}
				srv := startZone(t, z)
				r := newResolver(t, srv.Addr, okTimeout)
				for _, c := range Checks() {
					res := scoring.RunAll(context.Background(), &scoring.Env{Evidence: ev, DNS: r}, []scoring.Check{c})[0]
					if fixproof.Done(res.Status) || res.Status == scoring.Error {
						continue
					}
					pairs++
					fresh := startZone(t, z)
					o, err := fixproof.RoundTrip(context.Background(), fresh, &scoring.Env{Evidence: ev, DNS: newResolver(t, fresh.Addr, okTimeout)}, c)
					switch {
					case err != nil:
						t.Errorf("%s %s / %s: %v", sf.name, id, c.ID, err)
					case o.Manual != "":
						manual++
					case !o.Passed():
						t.Errorf("%s %s / %s: still %s after %d fix(es): %s\npublished:\n%s\n%s", sf.name, id, c.ID, o.Final.Status, o.Rounds,
							o.Final.Title, strings.Join(o.Steps, "\n--\n"), o.Final.Detail)
					default:
						proven++
					}
				}
			}
		}
	}
	t.Logf("SPF suites as a fix corpus: %d failing (test, check) pairs: %d proven, %d manual; %d suite tests skipped (pass, no valid sender domain)",
		pairs, proven, manual, skipped)
	if proven == 0 {
		t.Fatal("nothing proven")
	}
}
