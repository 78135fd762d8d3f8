package spf

import (
	"context"
	"fmt"
	"strings"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnsx"
)

// txtRecord is one TXT record as it travels in DNS: its
// character-strings, raw bytes (RFC 1035 §3.3.14).
type txtRecord struct {
	Strings []string
}

// Joined is the record with its strings concatenated without separators
// (RFC 7208 §3.3).
func (t txtRecord) Joined() string { return strings.Join(t.Strings, "") }

// lookupTXT asks for the TXT records at name and returns them with their
// strings as raw bytes (dnsx undoes the DNS presentation escaping, so a
// non-ASCII byte is seen as such: RFC 7208 §3.1 makes it an error).
func lookupTXT(ctx context.Context, r *dnsx.Resolver, name string) ([]txtRecord, *dnsx.Answer) {
	ans := r.Lookup(ctx, queryName(name), dnsx.TypeTXT)
	var out []txtRecord
	for _, strs := range ans.TXT() {
		out = append(out, txtRecord{Strings: strs})
	}
	return out, ans
}

// lookupTXT is the package lookupTXT with the evaluator's overlay on top.
func (e *evaluator) lookupTXT(ctx context.Context, name string) ([]txtRecord, *dnsx.Answer) {
	if v, ok := e.overlay[strings.ToLower(strings.TrimSuffix(name, "."))]; ok {
		return []txtRecord{{Strings: scoring.SplitTXT(v)}}, &dnsx.Answer{Name: dnsx.Fqdn(name), Type: dnsx.TypeTXT, Outcome: dnsx.Success}
	}
	return lookupTXT(ctx, e.r, name)
}

// spfRecords picks the SPF records out of a name's TXT records (RFC 7208
// §4.5).
func spfRecords(txts []txtRecord) []txtRecord {
	var out []txtRecord
	for _, t := range txts {
		if IsSPF(t.Joined()) {
			out = append(out, t)
		}
	}
	return out
}

// recordError describes a failed record lookup (RFC 7208 §4.4).
func recordError(domain string, ans *dnsx.Answer) string {
	return fmt.Sprintf("DNS lookup of the TXT records of %s failed (%s); try again later", domain, ans.Outcome)
}
