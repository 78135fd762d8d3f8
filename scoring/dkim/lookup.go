package dkim

import (
	"context"
	"crypto"
	"fmt"
	"strings"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnsx"
)

// RecordName is where the key record of selector lives:
// selector._domainkey.domain (RFC 6376 §3.6.2.1), lower case, no final dot.
func RecordName(selector, domain string) string {
	return strings.ToLower(strings.TrimSuffix(selector, ".") + "._domainkey." + strings.TrimSuffix(domain, "."))
}

// published is what DNS says at the key record's name.
type published struct {
	name    string
	ans     *dnsx.Answer
	strings [][]string // each TXT record as its character-strings
	joined  []string   // each TXT record concatenated (RFC 6376 §3.6.2.2)
	target  string     // the name the records really live at, when reached through a CNAME
}

// lookupKey asks for the key record of selector at domain.
func lookupKey(ctx context.Context, r *dnsx.Resolver, selector, domain string) published {
	p := published{name: RecordName(selector, domain)}
	p.ans = r.Lookup(ctx, p.name, dnsx.TypeTXT)
	p.strings = p.ans.TXT()
	p.joined = p.ans.JoinedTXT()
	if len(p.ans.Records) > 0 {
		owner := strings.TrimSuffix(strings.ToLower(p.ans.Records[0].Header().Name), ".")
		if owner != p.name {
			p.target = owner
		}
	}
	return p
}

// validSelector checks the selector is a sub-domain (RFC 6376 §3.1:
// selector = sub-domain *( "." sub-domain )), so we never ask DNS for junk.
func validSelector(s string) error {
	s = strings.TrimSuffix(s, ".")
	if s == "" {
		return fmt.Errorf("empty selector")
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 {
			return fmt.Errorf("selector %q has an empty or over-long label", s)
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
			if !ok {
				return fmt.Errorf("selector %q contains %q; selectors are DNS labels (letters, digits, hyphens; RFC 6376 §3.1)", s, c)
			}
		}
	}
	return nil
}

// temporary is the result when DNS could not say: status error, never fail.
func temporary(id string, p published) scoring.Result {
	return scoring.Result{
		ID:     id,
		Status: scoring.Error,
		Title:  fmt.Sprintf("Could not look up the DKIM key at %s (%s)", p.name, p.ans.Outcome),
		Detail: fmt.Sprintf("TXT %s: %v. This says nothing about the record itself; check again later.", p.name, p.ans.Error()),
		Fix: &scoring.Fix{Summary: fmt.Sprintf("Retry. If it persists, check that the name servers of %s answer: dig %s TXT",
			zoneOf(p.name), p.name)},
	}
}

func zoneOf(name string) string {
	if i := strings.Index(name, "._domainkey."); i >= 0 {
		return name[i+len("._domainkey."):]
	}
	return name
}

// keygenCommand is the command that makes a key for this selector.
func keygenCommand(ev scoring.Evidence, selector string) string {
	return fmt.Sprintf("mailcred keygen --domain %s --selector %s", strings.TrimSuffix(strings.ToLower(ev.Domain), "."), selector)
}

// nextSelector proposes a selector for a key rotation: the trailing number
// incremented, or "2" appended.
func nextSelector(s string) string {
	i := len(s)
	for i > 0 && s[i-1] >= '0' && s[i-1] <= '9' {
		i--
	}
	if i == len(s) || len(s)-i > 9 {
		return s + "2"
	}
	n := 0
	for _, c := range s[i:] {
		n = n*10 + int(c-'0')
	}
	return fmt.Sprintf("%s%d", s[:i], n+1)
}

// recordFromKey is the exact record to publish for the loaded private key,
// or nil when there is none.
func recordFromKey(name string, key crypto.Signer) *scoring.DNSRecord {
	if key == nil {
		return nil
	}
	value, err := RecordForKey(key)
	if err != nil {
		return nil
	}
	r := scoring.TXTRecord(name, value)
	return &r
}

// describeStrings says how the record was split, for details.
func describeStrings(parts []string) string {
	n := 0
	for _, s := range parts {
		n += len(s)
	}
	if len(parts) == 1 {
		return fmt.Sprintf("%d bytes in one string", n)
	}
	return fmt.Sprintf("%d bytes in %d strings, concatenated (RFC 6376 §3.6.2.2)", n, len(parts))
}
