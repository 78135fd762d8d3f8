package dnsx

import (
	"context"
	"net"
	"net/netip"
	"strings"

	"github.com/miekg/dns"
)

// LookupTXTFunc adapts the resolver to the hook go-msgauth's dkim and dmarc
// packages take (which has no context: the closure carries ctx). Errors are
// *net.DNSError so the library's temporary/permanent split works:
// IsNotFound for NXDOMAIN and NODATA, IsTemporary for the rest.
func (r *Resolver) LookupTXTFunc(ctx context.Context) func(domain string) ([]string, error) {
	return func(domain string) ([]string, error) {
		ans := r.Lookup(ctx, domain, dns.TypeTXT)
		if ans.Outcome == Success {
			return ans.JoinedTXT(), nil
		}
		return nil, ans.NetError()
	}
}

// NetError converts a failed answer into the *net.DNSError shape that
// standard-library-minded callers expect.
func (a *Answer) NetError() error {
	if a.Outcome == Success {
		return nil
	}
	return &net.DNSError{
		Err:         describe(a.Outcome),
		Name:        strings.TrimSuffix(a.Name, "."),
		Server:      a.Server,
		IsTimeout:   a.Outcome == Timeout,
		IsTemporary: a.Outcome.Temporary(),
		IsNotFound:  a.Outcome.Void(),
	}
}

// LookupAddrs asks for A and AAAA in parallel. The outcome is Success if
// either has addresses, temporary if either failed and none succeeded,
// NXDomain if the name does not exist, NoData otherwise.
func (r *Resolver) LookupAddrs(ctx context.Context, name string) ([]netip.Addr, Outcome) {
	ch := make(chan *Answer, 1)
	go func() { ch <- r.Lookup(ctx, name, dns.TypeAAAA) }()
	a := r.Lookup(ctx, name, dns.TypeA)
	aaaa := <-ch
	addrs := append(a.Addrs(), aaaa.Addrs()...)
	switch {
	case len(addrs) > 0:
		return addrs, Success
	case a.Outcome.Temporary():
		return nil, a.Outcome
	case aaaa.Outcome.Temporary():
		return nil, aaaa.Outcome
	case a.Outcome == NXDomain:
		return nil, NXDomain
	}
	return nil, NoData
}

// ReverseName returns the in-addr.arpa or ip6.arpa (nibble) name of ip.
func ReverseName(ip netip.Addr) string {
	name, _ := dns.ReverseAddr(ip.Unmap().String())
	return name
}
