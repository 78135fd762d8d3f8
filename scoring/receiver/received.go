package receiver

import (
	"context"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnsbl"
	"github.com/mailcred/mailcred/scoring/headers"
	"github.com/mailcred/mailcred/scoring/rdns"
	"github.com/mailcred/mailcred/scoring/spf"
)

// Received runs what a receiving server judges of a message, in the order
// `mailcred score` and `mailcred receive` print it: spf.result for the
// connecting IP, DKIM and DMARC (Checks), the header checks, then reverse
// DNS and blocklists. env.Evidence.Message is the CRLF form a receiver
// verifies; asReceived is the bytes as they came, which the header
// hygiene checks judge (a bare LF is their finding, not a verifier's).
func Received(ctx context.Context, env *scoring.Env, asReceived []byte) []scoring.Result {
	original := *env
	original.Evidence.Message = asReceived
	var first []scoring.Check
	for _, c := range spf.Checks() {
		if c.ID == spf.CheckResult {
			first = append(first, c)
		}
	}
	results := scoring.RunAll(ctx, env, append(first, Checks()...))
	results = append(results, scoring.RunAll(ctx, &original, headers.Checks())...)
	return append(results, scoring.RunAll(ctx, env, append(rdns.Checks(), dnsbl.Checks()...))...)
}

// ToCRLF turns every LF not preceded by CR into CRLF (RFC 5322 §2.1 line
// endings, RFC 5321 §2.3.8) and counts them; the input is returned as is
// when there are none.
func ToCRLF(raw []byte) ([]byte, int) {
	n := 0
	for i, c := range raw {
		if c == '\n' && (i == 0 || raw[i-1] != '\r') {
			n++
		}
	}
	if n == 0 {
		return raw, 0
	}
	out := make([]byte, 0, len(raw)+n)
	for i, c := range raw {
		if c == '\n' && (i == 0 || raw[i-1] != '\r') {
			out = append(out, '\r')
		}
		out = append(out, c)
	}
	return out, n
}
