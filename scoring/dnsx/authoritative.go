package dnsx

import (
	"context"
	"net"
	"strings"

	"github.com/miekg/dns"
)

type authCall struct {
	done    chan struct{}
	servers []string
}

// askAuthoritative asks the zone's own servers, found through NS, so that a
// record published a minute ago is seen. If none answers it falls back to
// the recursive servers: a stale answer beats none.
func (r *Resolver) askAuthoritative(ctx context.Context, name string, qtype uint16) *Answer {
	servers := r.authServers(ctx, name)
	if len(servers) > 0 {
		ans := r.exchange(ctx, servers, name, qtype, false)
		if !ans.Outcome.Temporary() {
			return ans
		}
	}
	return r.exchange(ctx, r.cfg.Servers, name, qtype, true)
}

// authServers finds the servers of the zone holding name: the closest
// ancestor (within the fresh domain's tree) that has NS records.
func (r *Resolver) authServers(ctx context.Context, name string) []string {
	for zone := name; zone != "." && zone != ""; zone = parent(zone) {
		r.mu.Lock()
		c, ok := r.auth[zone]
		if !ok {
			c = &authCall{done: make(chan struct{})}
			r.auth[zone] = c
		}
		r.mu.Unlock()
		if !ok {
			func() {
				defer close(c.done) // waiters must never be stranded
				c.servers = r.lookupZoneServers(ctx, zone)
			}()
		} else {
			select {
			case <-c.done:
			case <-ctx.Done():
				return nil
			}
		}
		if len(c.servers) > 0 {
			return c.servers
		}
		if !r.isFresh(parent(zone)) {
			// Don't walk above the user's own domain: its parent's
			// servers (the TLD's) do not hold the records.
			break
		}
	}
	return nil
}

func (r *Resolver) lookupZoneServers(ctx context.Context, zone string) []string {
	ns := r.exchange(ctx, r.cfg.Servers, zone, dns.TypeNS, true)
	r.record(ctx, ns, false, false)
	var servers []string
	for _, rr := range ns.Records {
		nsrr, ok := rr.(*dns.NS)
		if !ok {
			continue // a CNAME at the name: not a zone apex
		}
		host := nsrr.Ns
		for _, t := range []uint16{dns.TypeA, dns.TypeAAAA} {
			a := r.exchange(ctx, r.cfg.Servers, Fqdn(host), t, true)
			r.record(ctx, a, false, false)
			for _, ip := range a.Addrs() {
				servers = append(servers, net.JoinHostPort(ip.String(), r.cfg.AuthPort))
			}
		}
	}
	return servers
}

func parent(name string) string {
	i := strings.IndexByte(name, '.')
	if i < 0 || i == len(name)-1 {
		return "."
	}
	return name[i+1:]
}
