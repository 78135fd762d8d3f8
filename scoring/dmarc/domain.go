package dmarc

import (
	"golang.org/x/net/idna"

	"net/netip"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// OrganizationalDomain is the RFC 7489 §3.2 Organizational Domain of
// domain: the registrable domain one label below the longest matching
// Public Suffix List rule (golang.org/x/net/publicsuffix, ICANN and PRIVATE
// sections; implementations vary on PRIVATE). A domain that is itself a
// public suffix, or a single label, is its own. RFC 9989 replaces this with
// the DNS Tree Walk (Discover); both are reported because receivers
// migrate slowly. It returns "" for an invalid domain.
func OrganizationalDomain(domain string) string {
	d, ok := normalizeDomain(domain)
	if !ok {
		return ""
	}
	if isIPLiteral(d) {
		return d
	}
	org, err := publicsuffix.EffectiveTLDPlusOne(d)
	if err != nil {
		return d
	}
	return org
}

// normalizeDomain lower-cases a domain, drops a final dot and converts
// U-labels to A-labels (RFC 9989 has receivers convert the author domain to A-labels). IP
// literals ("192.0.2.1", "[192.0.2.1]") are returned bare. It reports
// whether the result is a syntactically usable name.
func normalizeDomain(s string) (string, bool) {
	s = strings.TrimSuffix(strings.TrimSpace(s), ".")
	if s == "" {
		return "", false
	}
	if ip, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		return ip.String(), true
	}
	if a, err := idna.Lookup.ToASCII(s); err == nil {
		s = a // U-labels to A-labels (UTS #46 mapping, RFC 5891)
	}
	s = strings.ToLower(s)
	if len(s) > 253 {
		return "", false
	}
	for _, l := range strings.Split(s, ".") {
		if l == "" || len(l) > 63 {
			return "", false
		}
		for i := 0; i < len(l); i++ {
			if c := l[i]; !isAlnum(c) && c != '-' && c != '_' {
				return "", false
			}
		}
	}
	return s, true
}

func isIPLiteral(d string) bool {
	_, err := netip.ParseAddr(d)
	return err == nil
}

// labelCount is the number of labels in a normalised domain.
func labelCount(d string) int { return strings.Count(d, ".") + 1 }

// lastLabels returns the right-most n labels of d.
func lastLabels(d string, n int) string {
	labels := strings.Split(d, ".")
	if n >= len(labels) {
		return d
	}
	return strings.Join(labels[len(labels)-n:], ".")
}

// isUnder reports whether d is parent or a subdomain of it.
func isUnder(d, parent string) bool {
	return d == parent || strings.HasSuffix(d, "."+parent)
}

// maxWalkLabels bounds the DNS Tree Walk: after the starting name, the walk
// jumps to at most this many right-most labels and strips one label at a
// time, so it never makes more than 1+7 = 8 queries (RFC 9989 §4.10).
const maxWalkLabels = 7

// walkTargets lists the names a DNS Tree Walk from d queries, in order
// (RFC 9989 §4.10 steps 1, 4-8): d itself; then, if d has more than one
// label, the last min(n-1, 7) labels, stripping one label at a time down
// to the top-level domain. A single label or an IP literal is queried once.
func walkTargets(d string) []string {
	out := []string{d}
	n := labelCount(d)
	if n <= 1 || isIPLiteral(d) {
		return out
	}
	for k := min(n-1, maxWalkLabels); k >= 1; k-- {
		out = append(out, lastLabels(d, k))
	}
	return out
}
