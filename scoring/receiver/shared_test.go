package receiver

import (
	"context"
	"testing"

	"github.com/mailcred/mailcred/scoring"
)

// TestScoreMessageVerifiesEachSignatureOnce: the verdict for the
// Authentication-Results field, dkim.signature and dmarc.alignment all
// need the message's DKIM verification; it runs once, so at most one of
// the checks records the key lookup (each verification asks for the key,
// cached or not, and the checks record what they ask). Run separately,
// the two checks verify twice.
func TestScoreMessageVerifiesEachSignatureOnce(t *testing.T) {
	srv := setup(t, nil)
	msg := signAs(t, plain, "example.com", "s1")
	keyLookups := func(results []scoring.Result) int {
		n := 0
		for _, r := range results {
			for _, q := range r.Queries {
				if q.Name == "s1._domainkey.example.com." && q.Type == "TXT" {
					n++
				}
			}
		}
		return n
	}
	env := &scoring.Env{Evidence: evidence(msg, goodIP, "bounce@example.com"), DNS: resolver(t, srv)}
	scored := ScoreMessage(context.Background(), resolver(t, srv), msg,
		Connection{IP: goodIP, HELO: "mail.example.com", MailFrom: "bounce@example.com"}, Options{})
	v, results := scored.Verdict, scored.Results
	// The same two checks without a shared verdict: each verifies.
	alone := keyLookups(scoring.RunAll(context.Background(), &scoring.Env{Evidence: env.Evidence, DNS: resolver(t, srv)}, Checks()))
	if alone == 0 || alone%2 != 0 {
		t.Fatalf("without a shared verdict the checks recorded %d key lookups, want two verifications' worth", alone)
	}
	if n := keyLookups(results); n > alone/2 {
		t.Errorf("the checks recorded %d key lookups, %d per verification: the signature was verified more than once", n, alone/2)
	}
	if len(v.DKIM) != 1 || v.DKIM[0].Status != "pass" {
		t.Fatalf("verdict DKIM %+v", v.DKIM)
	}
	byID := map[string]scoring.Result{}
	for _, r := range results {
		byID[r.ID] = r
	}
	for _, id := range []string{CheckSignature, CheckAlignment, "spf.result"} {
		if byID[id].Status != scoring.Pass {
			t.Errorf("%s: %s %s", id, byID[id].Status, byID[id].Title)
		}
	}
}
