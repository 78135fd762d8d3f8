package dnsbl

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnstest"
	"github.com/mailcred/mailcred/scoring/dnsx"
)

// world is an in-process DNS server publishing list answers, and a
// resolver pointed at it. No public DNS is ever asked.
type world struct {
	t   *testing.T
	srv *dnstest.Server
	r   *dnsx.Resolver
}

// newWorld starts a server that answers every list's RFC 5782 test points
// correctly (so lists are healthy unless a test says otherwise), plus the
// given master-file lines.
func newWorld(t *testing.T, lists []List, lines ...string) *world {
	t.Helper()
	srv, err := dnstest.Start("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	w := &world{t: t, srv: srv, r: newResolver(t, srv.Addr, 500*time.Millisecond)}
	for _, l := range lists {
		if l.TestListed != "" {
			w.publish(l, l.TestListed, listingCode(l))
		}
	}
	for _, line := range lines {
		w.add(line)
	}
	return w
}

func newResolver(t *testing.T, addr string, timeout time.Duration) *dnsx.Resolver {
	t.Helper()
	r, err := dnsx.New(dnsx.Config{Servers: []string{addr}, Timeout: timeout, Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (w *world) add(line string) {
	w.t.Helper()
	if err := w.srv.AddRecord(line); err != nil {
		w.t.Fatal(err)
	}
}

// publish makes list l answer codes for target.
func (w *world) publish(l List, target string, codes ...netip.Addr) {
	w.t.Helper()
	name := mustName(w.t, l, target)
	for _, c := range codes {
		w.add(name + " 300 IN A " + c.String())
	}
}

// check runs the list's checks through the real runner and returns the one
// with the given id.
func (w *world) check(lists []List, id string, ev scoring.Evidence) scoring.Result {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, res := range scoring.RunAll(ctx, &scoring.Env{Evidence: ev, DNS: w.r}, ChecksFor(lists)) {
		if res.ID == id {
			return res
		}
	}
	w.t.Fatalf("no result %s", id)
	return scoring.Result{}
}

// asked reports the names the server was asked about with type qtype.
func (w *world) asked(qtype uint16) []string {
	var out []string
	for _, q := range w.srv.Log() {
		if q.Qtype == qtype {
			out = append(out, q.Name)
		}
	}
	return out
}

// listingCode is a code the list uses for a real listing.
func listingCode(l List) netip.Addr {
	if len(l.Codes) > 0 {
		return l.Codes[0].Addr
	}
	for _, b := range l.Bits {
		if b.Severity == Blocking {
			return lo(b.Mask)
		}
	}
	return lo(2)
}

func mustName(t *testing.T, l List, target string) string {
	t.Helper()
	pt, err := parseTarget(target)
	if err != nil {
		t.Fatal(err)
	}
	name, err := queryName(pt, l.Zone)
	if err != nil {
		t.Fatal(err)
	}
	return name
}

// byName returns the catalogue's list of that name.
func byName(t *testing.T, name string) List {
	t.Helper()
	for _, l := range Catalogue() {
		if l.Name == name {
			return l
		}
	}
	t.Fatalf("no list %q in the catalogue", name)
	return List{}
}

// targetFor is a target of the right kind for the list.
func targetFor(l List) string {
	if l.Kind == DomainList {
		return "example.com"
	}
	return "192.0.2.10"
}

// countingProxy relays UDP DNS packets to an upstream server and records
// how many questions were outstanding at once — the real measure of how
// many queries a client keeps in flight.
type countingProxy struct {
	pc       net.PacketConn
	upstream string

	mu       sync.Mutex
	cur, max int
	total    int
	// gate, when set, holds every question until that many are
	// outstanding at once (or gateWait passes): reaching it proves the
	// client keeps that many in flight, whatever the machine's load.
	gate     int
	gateWait time.Duration
	opened   chan struct{}
	open     sync.Once // outstanding questions can reach gate again later
}

// startGatedProxy starts a counting proxy whose questions wait until gate
// of them are outstanding at once, or wait passes.
func startGatedProxy(t *testing.T, upstream string, gate int, wait time.Duration) *countingProxy {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &countingProxy{pc: pc, upstream: upstream, gate: gate, gateWait: wait, opened: make(chan struct{})}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 65535)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			go p.relay(append([]byte(nil), buf[:n]...), from)
		}
	}()
	return p
}

func (p *countingProxy) relay(pkt []byte, from net.Addr) {
	p.mu.Lock()
	p.cur++
	p.total++
	p.max = max(p.max, p.cur)
	if p.gate > 0 && p.cur == p.gate {
		p.open.Do(func() { close(p.opened) })
	}
	p.mu.Unlock()
	if p.gate > 0 {
		select {
		case <-p.opened:
		case <-time.After(p.gateWait):
		}
	}
	reply := p.forward(pkt)
	// Count the question as answered before the client can see the
	// answer, so a client that waits for it cannot overlap with it.
	p.mu.Lock()
	p.cur--
	p.mu.Unlock()
	if reply != nil {
		p.pc.WriteTo(reply, from)
	}
}

func (p *countingProxy) forward(pkt []byte) []byte {
	c, err := net.Dial("udp", p.upstream)
	if err != nil {
		return nil
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write(pkt); err != nil {
		return nil
	}
	buf := make([]byte, 65535)
	n, err := c.Read(buf)
	if err != nil {
		return nil
	}
	return buf[:n]
}

func (p *countingProxy) stats() (maxInFlight, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.max, p.total
}

// syntheticLists makes n healthy-looking IP lists with distinct zones.
func syntheticLists(n int) []List {
	out := make([]List, n)
	for i := range out {
		out[i] = List{
			Name: fmt.Sprintf("List %d", i), Zone: fmt.Sprintf("l%d.bound.test", i),
			Kind: IPList, Default: Blocking, Delist: "https://example.test/",
		}
	}
	return out
}

func contains(t *testing.T, what, s string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(s, w) {
			t.Errorf("%s does not contain %q:\n%s", what, w, s)
		}
	}
}
