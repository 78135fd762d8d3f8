// Package rdns checks the reverse DNS of the sending IPs: each has a PTR
// (rdns.ptr), the PTR name resolves back to the IP (rdns.fcrdns, what
// Gmail calls "forward and reverse DNS"), and the HELO name fits both
// (rdns.helo). Lookup is the PTR-and-back walk the checks share.
package rdns

import (
	"context"
	"net/netip"
	"slices"
	"strings"

	"github.com/mailcred/mailcred/scoring/dnsx"
)

// maxNames bounds the forward lookups made for one IP, as RFC 7208 §5.5
// does for SPF's ptr: a hostile reverse zone cannot make us ask forever.
const maxNames = 10

// PTRInfo is what reverse DNS says about one IP.
type PTRInfo struct {
	IP          netip.Addr
	ReverseName string       // 5.113.0.203.in-addr.arpa, or the ip6.arpa nibble name; no final dot
	Outcome     dnsx.Outcome // of the PTR query
	Names       []string     // the PTR targets, lower case, no final dot
	Forward     []Forward    // one per name (at most 10), in the same order
}

// Forward is the forward lookup of one PTR name.
type Forward struct {
	Name      string
	Addrs     []netip.Addr
	Outcome   dnsx.Outcome // of the A/AAAA lookups together (dnsx.LookupAddrs)
	Confirmed bool         // Addrs holds the IP: forward-confirmed reverse DNS
}

// Lookup asks for the PTR records of ip and then the A/AAAA of each name,
// through r, so the answers are logged and cached with everything else.
func Lookup(ctx context.Context, r *dnsx.Resolver, ip netip.Addr) *PTRInfo {
	ip = ip.Unmap().WithZone("")
	info := &PTRInfo{IP: ip, ReverseName: strings.TrimSuffix(dnsx.ReverseName(ip), ".")}
	if info.ReverseName == "" {
		info.Outcome = dnsx.Failure
		return info
	}
	ans := r.Lookup(ctx, info.ReverseName, dnsx.TypePTR)
	info.Outcome = ans.Outcome
	if ans.Outcome != dnsx.Success {
		return info
	}
	for _, n := range ans.Names() {
		n = strings.TrimSuffix(n, ".")
		if n != "" && !slices.Contains(info.Names, n) {
			info.Names = append(info.Names, n)
		}
	}
	for i, name := range info.Names {
		if i == maxNames {
			break
		}
		addrs, out := r.LookupAddrs(ctx, name)
		f := Forward{Name: name, Addrs: addrs, Outcome: out}
		for _, a := range addrs {
			if a.Unmap() == ip {
				f.Confirmed = true
			}
		}
		info.Forward = append(info.Forward, f)
	}
	return info
}

// Confirmed returns the PTR names whose A/AAAA records hold the IP.
func (p *PTRInfo) Confirmed() []string {
	var out []string
	for _, f := range p.Forward {
		if f.Confirmed {
			out = append(out, f.Name)
		}
	}
	return out
}

// Temporary reports whether the answer is incomplete because a lookup
// failed temporarily: the PTR query, or a forward query when no name is
// confirmed.
func (p *PTRInfo) Temporary() bool {
	if p.Outcome.Temporary() {
		return true
	}
	if len(p.Confirmed()) > 0 {
		return false
	}
	for _, f := range p.Forward {
		if f.Outcome.Temporary() {
			return true
		}
	}
	return false
}

// HasPTR reports whether the IP has at least one PTR name.
func (p *PTRInfo) HasPTR() bool { return len(p.Names) > 0 }
