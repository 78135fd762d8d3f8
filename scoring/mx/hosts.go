// Package mx answers where mail for a domain goes (RFC 5321 §5.1) and
// checks, as mx.record, that the sending domain can receive mail: bounces
// go to the envelope sender's domain, and postmaster@ must exist
// (RFC 5321 §4.5.1).
package mx

import (
	"context"
	"net/netip"
	"slices"
	"strings"

	"github.com/mailcred/mailcred/scoring/dnsx"
)

// Hosts returns the mail exchangers of domain, by preference (ties by
// name, so the order is stable; a sender may shuffle ties as RFC 5321 §5.1
// allows). Following RFC 5321 §5.1, a domain with no MX records but an
// A/AAAA record has an implicit MX: the domain itself at preference 0,
// reported with implicit = true. A null MX (RFC 7505) comes back as it is,
// one host "." — see IsNull. When there is nothing, outcome says why:
// NXDomain, NoData, or a temporary failure the caller must not treat as
// "no mail server".
func Hosts(ctx context.Context, r *dnsx.Resolver, domain string) (hosts []dnsx.MX, implicit bool, outcome dnsx.Outcome) {
	domain = dnsx.Fqdn(strings.TrimSpace(domain))
	ans := r.Lookup(ctx, domain, dnsx.TypeMX)
	switch ans.Outcome {
	case dnsx.Success:
		hosts = ans.MXs()
		slices.SortStableFunc(hosts, func(a, b dnsx.MX) int {
			if a.Preference != b.Preference {
				return int(a.Preference) - int(b.Preference)
			}
			return strings.Compare(a.Host, b.Host)
		})
		return hosts, false, dnsx.Success
	case dnsx.NoData:
		// RFC 5321 §5.1: "If an empty list of MXs is returned, the address
		// is treated as if it was associated with an implicit MX RR, with
		// a preference of 0, pointing to that host."
		addrs, out := r.LookupAddrs(ctx, domain)
		if len(addrs) > 0 {
			return []dnsx.MX{{Preference: 0, Host: domain}}, true, dnsx.Success
		}
		return nil, false, out
	}
	return nil, false, ans.Outcome
}

// IsNull reports a null MX (RFC 7505 §3): a single record "0 ." saying the
// domain accepts no mail at all.
func IsNull(hosts []dnsx.MX) bool {
	return len(hosts) == 1 && hosts[0].Host == "."
}

// ipLiteral reports an MX target written as an address ("192.0.2.1." or
// "[192.0.2.1]"), which resolvers look up as a name and never find.
func ipLiteral(host string) bool {
	h := strings.Trim(strings.TrimSuffix(host, "."), "[]")
	_, err := netip.ParseAddr(h)
	return err == nil
}
