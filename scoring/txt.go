package scoring

import (
	"context"
	"strings"

	"github.com/mailcred/mailcred/scoring/dnsx"
)

// TaggedTXT returns the TXT records at name whose text starts with the
// version tag (v=STSv1, v=TLSRPTv1, v=BIMI1; compared without case),
// strings joined (RFC 7208 §3.3 style), with the answer for its outcome.
func TaggedTXT(ctx context.Context, r *dnsx.Resolver, name, version string) ([]string, *dnsx.Answer) {
	ans := r.Lookup(ctx, name, dnsx.TypeTXT)
	var out []string
	for _, t := range ans.JoinedTXT() {
		if strings.HasPrefix(strings.ToLower(strings.TrimSpace(t)), strings.ToLower(version)) {
			out = append(out, t)
		}
	}
	return out, ans
}

// LookupError is the result of a check whose lookup of name failed for
// now: could not check, never a verdict on the record.
func LookupError(what, name string, ans *dnsx.Answer) Result {
	return Result{Status: Error, Title: what + ": could not look up " + name + " (" + ans.Outcome.String() + ")",
		Detail: "A temporary DNS failure says nothing about the record; check again later."}
}
