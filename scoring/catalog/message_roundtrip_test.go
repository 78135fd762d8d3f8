package catalog

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	msgdkim "github.com/emersion/go-msgauth/dkim"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/fixproof"
)

// message is goodSetup's test message, signed with its key (s1) unless
// omit drops header fields first.
func message(t testing.TB, ev scoring.Evidence, omit ...string) []byte {
	fields := []string{"From: Alice <alice@example.com>", "To: bob@example.org", "Subject: March invoice",
		"Date: " + time.Now().Format(time.RFC1123Z), "Message-ID: <1@example.com>", "MIME-Version: 1.0",
		"Content-Type: text/plain; charset=utf-8"}
	var keep []string
	for _, f := range fields {
		name, _, _ := strings.Cut(f, ":")
		if !slices.Contains(omit, name) {
			keep = append(keep, f)
		}
	}
	raw := strings.Join(keep, "\r\n") + "\r\n\r\nHello Bob.\r\n"
	var out bytes.Buffer
	if err := msgdkim.Sign(&out, strings.NewReader(raw), &msgdkim.SignOptions{Domain: "example.com", Selector: "s1", Signer: ev.DKIMKey,
		HeaderCanonicalization: msgdkim.CanonicalizationRelaxed, BodyCanonicalization: msgdkim.CanonicalizationRelaxed}); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// The fix round trip for the message checks: for the zone flaws of the
// corpus and some message flaws, every failing message check's fix, when
// it is records, makes the check pass once published as printed; every
// other fix says in Manual where it is applied (the MTA, the message).
func TestEveryMessageFixRoundTrips(t *testing.T) {
	var fixtures []fixture
	for _, fl := range append(append(dkimFlaws(t), dmarcFlaws()...), spfFlaws(t)[0], spfFlaws(t)[3]) {
		fixtures = append(fixtures, makeFixture(t, fl))
	}
	for _, omit := range [][]string{{"To"}, {"Date"}, {"Message-ID"}, {"Subject"}, {"MIME-Version"}} {
		f := makeFixture(t)
		f.name = "message without " + omit[0]
		f.ev.Message = message(t, f.ev, omit...)
		fixtures = append(fixtures, f)
	}
	stats := map[string][2]int{}
	for i := range fixtures {
		f := &fixtures[i]
		if f.ev.Message == nil {
			f.ev.Message = message(t, f.ev)
		}
		f.ev.MailFrom = "bounce@example.com"
		_, r := f.serve(t)
		checks := Message()
		for i, res := range scoring.RunAll(context.Background(), &scoring.Env{Evidence: f.ev, DNS: r}, checks) {
			if fixproof.Done(res.Status) || res.Status == scoring.Error {
				continue
			}
			srv, r := f.serve(t)
			o, err := fixproof.RoundTrip(context.Background(), srv, &scoring.Env{Evidence: f.ev, DNS: r}, checks[i])
			st := stats[res.ID]
			switch {
			case err != nil:
				t.Errorf("%s / %s: %v", f.name, res.ID, err)
			case o.Manual != "":
				st[1]++
			case !o.Passed():
				t.Errorf("%s / %s: still %s after %d fix(es): %s\n%s", f.name, res.ID, o.Final.Status, o.Rounds, o.Final.Title, strings.Join(o.Steps, "\n--\n"))
			default:
				st[0]++
			}
			stats[res.ID] = st
		}
	}
	var lines []string
	for id, s := range stats {
		lines = append(lines, fmt.Sprintf("  %-18s proven %2d, manual %2d", id, s[0], s[1]))
	}
	sort.Strings(lines)
	t.Logf("message fix round trip over %d fixtures:\n%s", len(fixtures), strings.Join(lines, "\n"))
}
