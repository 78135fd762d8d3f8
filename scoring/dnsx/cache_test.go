package dnsx

import (
	"context"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mailcred/mailcred/scoring/dnstest"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestSharedCacheKeepsAnswersForTheirTTL(t *testing.T) {
	srv, err := dnstest.Start(`
example.com.     300 IN SOA ns1.example.com. h.example.com. 1 7200 3600 1209600 60
kept.example.com. 120 IN A 192.0.2.1
kept.example.com. 30 IN A 192.0.2.2
`)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srv.SetFault("broken.example.com", dnstest.ServFail)
	clock := &fakeClock{t: time.Unix(1e9, 0)}
	cache := NewCache(0, clock.now)
	newR := func(all bool) *Resolver {
		r, err := New(Config{Servers: []string{srv.Addr}, Timeout: 2 * time.Second, Shared: cache, ShareAll: all})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	ctx := context.Background()
	ask := func(r *Resolver, name string) *Answer {
		t.Helper()
		before := srv.Queries()
		a := r.Lookup(ctx, name, TypeA)
		t.Logf("%s: %s, %d question(s) sent", name, a.Outcome, srv.Queries()-before)
		return a
	}
	sent := func() int64 { return srv.Queries() }

	// One resolver asks; another sharing the cache is answered from it.
	if a := ask(newR(true), "kept.example.com"); a.Outcome != Success {
		t.Fatalf("outcome %s", a.Outcome)
	}
	n := sent()
	r2 := newR(true)
	if a := ask(r2, "kept.example.com"); a.Outcome != Success || len(a.Records) != 2 || sent() != n {
		t.Fatalf("second resolver: %s with %d records, %d question(s) sent; want the kept answer, none sent", a.Outcome, len(a.Records), sent()-n)
	}
	// Kept for the smallest TTL of the set (30 s), then asked again.
	clock.add(29 * time.Second)
	ask(newR(true), "kept.example.com")
	if sent() != n {
		t.Errorf("asked again before the TTL ran out")
	}
	clock.add(2 * time.Second)
	ask(newR(true), "kept.example.com")
	if sent() != n+1 {
		t.Errorf("not asked again after the TTL ran out")
	}

	// NXDOMAIN is kept for the SOA's negative TTL (60 s, RFC 2308 §5).
	ask(newR(true), "gone.example.com")
	n = sent()
	clock.add(59 * time.Second)
	if a := ask(newR(true), "gone.example.com"); a.Outcome != NXDomain || sent() != n {
		t.Errorf("NXDOMAIN: %s, %d sent; want the kept NXDOMAIN", a.Outcome, sent()-n)
	}
	clock.add(time.Second)
	ask(newR(true), "gone.example.com")
	if sent() != n+1 {
		t.Errorf("NXDOMAIN kept past its negative TTL")
	}

	// A failure is never kept.
	ask(newR(true), "broken.example.com")
	n = sent()
	if a := ask(newR(true), "broken.example.com"); a.Outcome != ServFail || sent() == n {
		t.Errorf("SERVFAIL was kept: %s, %d sent", a.Outcome, sent()-n)
	}

	// Without ShareAll only LookupShared goes through the cache.
	clock.add(time.Hour)
	r := newR(false)
	ask(r, "kept.example.com")
	n = sent()
	r.Flush()
	ask(r, "kept.example.com")
	if sent() != n+1 {
		t.Errorf("Lookup without ShareAll was answered from the shared cache")
	}
	r.Flush()
	r.LookupShared(ctx, "kept.example.com", TypeA)
	n = sent()
	r.Flush() // Flush forgets the run, not the shared cache
	r.LookupShared(ctx, "kept.example.com", TypeA)
	if sent() != n {
		t.Errorf("LookupShared after Flush asked again")
	}
}

func TestSharedCacheIsBounded(t *testing.T) {
	srv, err := dnstest.Start(`
a.example.com. 300 IN A 192.0.2.1
b.example.com. 300 IN A 192.0.2.2
c.example.com. 300 IN A 192.0.2.3
`)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cache := NewCache(2, nil)
	r, err := New(Config{Servers: []string{srv.Addr}, Timeout: 2 * time.Second, Shared: cache, ShareAll: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"a", "b", "c"} {
		r.Lookup(context.Background(), n+".example.com", TypeA)
		if cache.Len() > 2 {
			t.Fatalf("%d answers kept, bound is 2", cache.Len())
		}
	}
	if cache.Len() != 2 {
		t.Errorf("%d answers kept, want 2", cache.Len())
	}
}

// TestSharedCacheJoinsQuestionsInFlight: resolvers sharing a cache that
// ask the same question at once send it once. The server holds the first
// question until every other lookup has joined it, so the test does not
// depend on timing; before, each resolver sent its own (a batch's eight
// workers starting together sent eight of each, a burst that overflowed
// the test server's receive buffer and cost a 2 s retransmission).
func TestSharedCacheJoinsQuestionsInFlight(t *testing.T) {
	const others = 7
	release := make(chan struct{})
	addr, first, queries := firstHeldServer(t, func() bool { <-release; return true })
	cache := NewCache(0, nil)
	newR := func() *Resolver {
		r, err := New(Config{Servers: []string{addr}, Timeout: 5 * time.Second, Shared: cache, ShareAll: true})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	answers := make(chan *Answer, others+1)
	go func() { answers <- newR().Lookup(ctx, "same.example.com", TypeA) }()
	<-first
	for range others {
		go func() { answers <- newR().Lookup(ctx, "same.example.com", TypeA) }()
	}
	key := cacheKey{name: "same.example.com.", qtype: TypeA}
	for cache.waiting(key) < others && ctx.Err() == nil {
		runtime.Gosched() // each lookup either joins or sends its own question
	}
	close(release)
	for range others + 1 {
		if a := <-answers; a.Outcome != Success || len(a.Records) != 1 {
			t.Errorf("answer: %s %v", a.Outcome, a.Records)
		}
	}
	if n := queries.Load(); n != 1 {
		t.Errorf("%d resolvers asking at once sent %d questions, want 1", others+1, n)
	}
}

// TestSharedCacheWaiterOutlivesACancelledLeader: the lookup another joined
// is cancelled; the one waiting asks the question itself rather than
// taking the cancellation as its answer.
func TestSharedCacheWaiterOutlivesACancelledLeader(t *testing.T) {
	// The first question is never answered: the leader waits until cancelled.
	addr, first, queries := firstHeldServer(t, func() bool { return false })
	cache := NewCache(0, nil)
	newR := func() *Resolver {
		r, err := New(Config{Servers: []string{addr}, Timeout: 10 * time.Second, Attempts: 1, Shared: cache, ShareAll: true})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	leaderCtx, stopLeader := context.WithCancel(ctx)
	leader := make(chan *Answer, 1)
	go func() { leader <- newR().Lookup(leaderCtx, "same.example.com", TypeA) }()
	<-first
	waiter := make(chan *Answer, 1)
	go func() { waiter <- newR().Lookup(ctx, "same.example.com", TypeA) }()
	key := cacheKey{name: "same.example.com.", qtype: TypeA}
	for cache.waiting(key) < 1 && ctx.Err() == nil {
		runtime.Gosched()
	}
	stopLeader()
	if a := <-leader; !cancelled(a) {
		t.Errorf("leader: %s %v, want its cancellation", a.Outcome, a.Err)
	}
	if a := <-waiter; a.Outcome != Success {
		t.Errorf("waiter after its leader was cancelled: %s %v, want the answer it asked for itself", a.Outcome, a.Err)
	}
	if n := queries.Load(); n != 2 {
		t.Errorf("questions sent: %d, want 2 (the cancelled one and the waiter's own)", n)
	}
}

// firstHeldServer answers every A question with 192.0.2.1, except that
// the first question goes to onFirst, which says whether to answer it;
// it returns the address, a channel closed when the first question came,
// and the count of questions.
func firstHeldServer(t *testing.T, onFirst func() bool) (string, <-chan struct{}, *atomic.Int64) {
	t.Helper()
	queries := new(atomic.Int64)
	first := make(chan struct{})
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		if queries.Add(1) == 1 {
			close(first)
			if !onFirst() {
				return
			}
		}
		m := new(dns.Msg)
		m.SetReply(req)
		m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: req.Question[0].Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.IPv4(192, 0, 2, 1)})
		w.WriteMsg(m)
	})}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	return pc.LocalAddr().String(), first, queries
}

// A lookup that joined another caller's question is not given that
// caller's cancellation: it gets the answer. The order is made by
// watching the server and the resolver, not by sleeping.
func TestWaiterIsNotGivenAnotherCallersCancellation(t *testing.T) {
	srv, err := dnstest.Start("example.com. 60 IN TXT \"v=spf1 -all\"\n")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srv.SetLatency(200 * time.Millisecond)
	r, err := New(Config{Servers: []string{srv.Addr}, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan *Answer, 1)
	go func() { first <- r.Lookup(ctx, "example.com", TypeTXT) }()
	for srv.Queries() == 0 {
		runtime.Gosched() // the first caller owns the question in flight
	}
	second := make(chan *Answer, 1)
	go func() { second <- r.Lookup(context.Background(), "example.com", TypeTXT) }()
	for r.waiting(cacheKey{name: "example.com.", qtype: TypeTXT}) == 0 {
		runtime.Gosched() // the second has joined it
	}
	cancel()
	if a := <-first; a.Outcome != Failure {
		t.Fatalf("cancelled caller got %s", a.Outcome)
	}
	if a := <-second; a.Outcome != Success {
		t.Fatalf("patient caller got %s (%v)", a.Outcome, a.Err)
	}
}
