package onboard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/miekg/dns"
)

// WhoAmI is a DNS "what is my address" service: a server that answers a
// query for Name with the address the query came from — as an A/AAAA
// record (OpenDNS's myip.opendns.com) or in a TXT record (Google's
// o-o.myaddr.l.google.com). No HTTP is involved.
type WhoAmI struct {
	Server string // "208.67.222.222:53"; an IP, so no lookup precedes it
	Name   string // "myip.opendns.com."
	Type   uint16 // dns.TypeA, dns.TypeAAAA or dns.TypeTXT
}

// DefaultWhoAmI are public services, for a real host only: tests and the
// demo configure loopback servers instead.
var DefaultWhoAmI = []WhoAmI{
	{Server: "208.67.222.222:53", Name: "myip.opendns.com.", Type: dns.TypeA},
	{Server: "[2620:119:35::35]:53", Name: "myip.opendns.com.", Type: dns.TypeAAAA},
	{Server: "216.239.32.10:53", Name: "o-o.myaddr.l.google.com.", Type: dns.TypeTXT},
	{Server: "[2001:4860:4802:32::a]:53", Name: "o-o.myaddr.l.google.com.", Type: dns.TypeTXT},
}

// Addresses are the host's addresses as it sees them and as the internet
// does.
type Addresses struct {
	// Interfaces are the global unicast addresses of the host's
	// interfaces (private ones included: behind NAT they are all there is).
	Interfaces []netip.Addr
	// Public are the addresses the WhoAmI services saw, v4 then v6.
	Public []netip.Addr
	// Problems say why a WhoAmI query gave nothing.
	Problems []string
}

// V4 and V6 are the first public address of each family, else the first
// interface address, else the zero Addr.
func (a Addresses) V4() netip.Addr { return a.pick(true) }
func (a Addresses) V6() netip.Addr { return a.pick(false) }

func (a Addresses) pick(v4 bool) netip.Addr {
	for _, list := range [][]netip.Addr{a.Public, a.Interfaces} {
		for _, ip := range list {
			if ip.Is4() == v4 && (v4 || !ip.IsPrivate()) {
				return ip
			}
		}
	}
	return netip.Addr{}
}

// InterfaceAddrs lists the global unicast addresses of this host.
func InterfaceAddrs() ([]netip.Addr, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil, err
	}
	var out []netip.Addr
	for _, a := range addrs {
		p, err := netip.ParsePrefix(a.String())
		if err != nil {
			continue
		}
		ip := p.Addr().Unmap()
		if ip.IsGlobalUnicast() && !ip.IsLinkLocalUnicast() {
			out = append(out, ip)
		}
	}
	return out, nil
}

// discover asks every WhoAmI service at once, each with timeout.
func discover(ctx context.Context, services []WhoAmI, timeout time.Duration) ([]netip.Addr, []string) {
	var mu sync.Mutex
	var found []netip.Addr
	var problems []string
	var wg sync.WaitGroup
	for _, s := range services {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ip, err := askWhoAmI(ctx, s, timeout)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s at %s: %v", strings.TrimSuffix(s.Name, "."), s.Server, err))
				return
			}
			for _, f := range found {
				if f == ip {
					return
				}
			}
			found = append(found, ip)
		}()
	}
	wg.Wait()
	sortAddrs(found)
	return found, problems
}

// noAnswerWords says why a probe got no reply, in words rather than the
// socket's ("read udp [fd00::2]:58828->[2001:4860:4802:32::a]:53: i/o
// timeout").
func noAnswerWords(err error, timeout time.Duration) string {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused: nothing answers DNS there"
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		return "unreachable: this host has no route to it"
	case errors.As(err, &ne) && ne.Timeout():
		return fmt.Sprintf("no reply within %s", timeout)
	}
	return strings.TrimPrefix(err.Error(), "dial udp ")
}

// askWhoAmI sends one query over UDP and reads the address in the answer.
func askWhoAmI(ctx context.Context, s WhoAmI, timeout time.Duration) (netip.Addr, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(s.Name), s.Type)
	m.RecursionDesired = false
	c := &dns.Client{Net: "udp", Timeout: timeout, UDPSize: 1232}
	resp, _, err := c.ExchangeContext(ctx, m, s.Server)
	if err != nil {
		return netip.Addr{}, errors.New(noAnswerWords(err, timeout))
	}
	if resp.Id != m.Id || len(resp.Question) != 1 || !strings.EqualFold(resp.Question[0].Name, m.Question[0].Name) {
		return netip.Addr{}, errors.New("the reply does not answer the question asked")
	}
	if resp.Rcode != dns.RcodeSuccess {
		return netip.Addr{}, fmt.Errorf("answered %s", dns.RcodeToString[resp.Rcode])
	}
	for _, rr := range resp.Answer {
		var text string
		switch v := rr.(type) {
		case *dns.A:
			text = v.A.String()
		case *dns.AAAA:
			text = v.AAAA.String()
		case *dns.TXT:
			text = strings.Join(v.Txt, "")
			// Google appends "edns0-client-subnet ..." in a second record.
		}
		if ip, err := netip.ParseAddr(strings.TrimSpace(text)); err == nil && ip.Unmap().IsGlobalUnicast() || err == nil && ip.IsLoopback() {
			return ip.Unmap(), nil
		}
	}
	return netip.Addr{}, errors.New("no address in the answer")
}

func sortAddrs(a []netip.Addr) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && less(a[j], a[j-1]); j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// less orders v4 first, then by address.
func less(a, b netip.Addr) bool {
	if a.Is4() != b.Is4() {
		return a.Is4()
	}
	return a.Less(b)
}
