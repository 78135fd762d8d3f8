package receive

import (
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mailcred/mailcred/scoring/dnstest"
	"github.com/mailcred/mailcred/scoring/dnsx"
)

// queryLog collects what a resolver asked and signals the first question
// about one name and type.
type queryLog struct {
	mu       sync.Mutex
	list     []dnsx.Query
	name     string
	qtype    string
	seen     chan struct{}
	seenOnce sync.Once
}

func newQueryLog(name, qtype string) *queryLog {
	return &queryLog{name: name, qtype: qtype, seen: make(chan struct{})}
}

func (l *queryLog) add(q dnsx.Query) {
	l.mu.Lock()
	l.list = append(l.list, q)
	l.mu.Unlock()
	if q.Name == l.name && q.Type == l.qtype {
		l.seenOnce.Do(func() { close(l.seen) })
	}
}

func (l *queryLog) all() []dnsx.Query {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]dnsx.Query(nil), l.list...)
}

// waitFor fails the test when the question is not asked within a bound
// (the bound only keeps a broken build from hanging; nothing is timed).
func (l *queryLog) waitFor(t *testing.T) {
	t.Helper()
	select {
	case <-l.seen:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s %s was never asked", l.name, l.qtype)
	}
}

// startLogged runs a server whose resolvers report to a query log
// waiting for name and qtype.
func startLogged(t *testing.T, w *world, name, qtype string) (*Server, *reports, *queryLog) {
	t.Helper()
	log := newQueryLog(name, qtype)
	s, got := start(t, w, func(o *Options) {
		o.DisableTLS = true
		o.NewResolver = func(...string) (*dnsx.Resolver, error) {
			return dnsx.New(dnsx.Config{Servers: []string{w.dns.Addr}, Timeout: time.Second, Log: log.add})
		}
	})
	return s, got, log
}

// asked counts the DNS server's questions about name and qtype.
func asked(w *world, name string, qtype uint16) int {
	n := 0
	for _, q := range w.dns.Log() {
		if q.Name == name && q.Qtype == qtype {
			n++
		}
	}
	return n
}

// deliverRest sends DATA and the world's signed message and returns the
// one report made.
func deliverRest(t *testing.T, w *world, tc *textproto.Conn, got *reports) Report {
	t.Helper()
	if code, _ := cmd(t, tc, "DATA"); code != 354 {
		t.Fatalf("DATA: %d", code)
	}
	if code, msg := message(t, tc, w.message(t, true)); code != 250 {
		t.Fatalf("end of data: %d %s", code, msg)
	}
	reps := got.all()
	if len(reps) != 1 {
		t.Fatalf("%d reports, want 1", len(reps))
	}
	return reps[0]
}

func TestSPFIsAskedBeforeTheClientSendsData(t *testing.T) {
	noLeaks(t)
	w := newWorld(t)
	s, got, log := startLogged(t, w, "example.com.", "TXT")
	_, tc, _, _ := dial(t, s.Addr().String())
	cmd(t, tc, "EHLO mail.example.com")
	if code, _ := cmd(t, tc, "MAIL FROM:<alice@example.com>"); code != 250 {
		t.Fatalf("MAIL: %d", code)
	}
	cmd(t, tc, "RCPT TO:<bob@example.org>")
	// The sender's SPF record is answered while the client has not even
	// said DATA: the server asked at MAIL FROM.
	log.waitFor(t)
	if asked(w, "example.com.", dns.TypeTXT) == 0 {
		t.Fatal("the DNS server did not see the SPF question before DATA")
	}
	rep := deliverRest(t, w, tc, got)
	for _, id := range []string{"spf.result", "dkim.signature", "dmarc.alignment"} {
		if st := status(rep, id); st != "pass" {
			t.Errorf("%s: %s, want pass", id, st)
		}
	}
	// The message was judged with the answers asked at MAIL FROM, not
	// asked again.
	if n := asked(w, "example.com.", dns.TypeTXT); n != 1 {
		t.Errorf("the SPF record was asked %d times, want once", n)
	}
}

func TestConnectionChecksStartAtEHLO(t *testing.T) {
	noLeaks(t)
	w := newWorld(t)
	s, got, log := startLogged(t, w, "1.0.0.127.in-addr.arpa.", "PTR")
	_, tc, _, _ := dial(t, s.Addr().String())
	cmd(t, tc, "EHLO mail.example.com")
	// The client's reverse DNS is answered before it names a sender.
	log.waitFor(t)
	cmd(t, tc, "MAIL FROM:<alice@example.com>")
	cmd(t, tc, "RCPT TO:<bob@example.org>")
	if st := status(deliverRest(t, w, tc, got), "rdns.ptr"); st != "pass" {
		t.Errorf("rdns.ptr: %s, want pass", st)
	}
	// The first transaction took over what EHLO asked: asked once.
	if n := asked(w, "1.0.0.127.in-addr.arpa.", dns.TypePTR); n != 1 {
		t.Errorf("the PTR was asked %d times, want once", n)
	}
}

func TestResetCancelsTheEarlyLookups(t *testing.T) {
	noLeaks(t)
	w := newWorld(t)
	asked := make(chan struct{}, 8)
	// A server that never answers the sender's SPF question (and answers
	// everything else with nothing): without cancellation the lookup
	// would hang for its whole minute.
	hostile, err := dnstest.StartHostile(func(q *dns.Msg, _ bool) []*dns.Msg {
		if len(q.Question) == 1 && q.Question[0].Name == "example.com." && q.Question[0].Qtype == dns.TypeTXT {
			select {
			case asked <- struct{}{}:
			default:
			}
			return nil
		}
		return []*dns.Msg{dnstest.Reply(q)}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hostile.Close() })
	log := newQueryLog("example.com.", "TXT")
	s, _ := start(t, w, func(o *Options) {
		o.DisableTLS = true
		o.NewResolver = func(...string) (*dnsx.Resolver, error) {
			return dnsx.New(dnsx.Config{Servers: []string{hostile.Addr}, Timeout: 30 * time.Second, Attempts: 1, Log: log.add})
		}
	})
	_, tc, _, _ := dial(t, s.Addr().String())
	cmd(t, tc, "EHLO mail.example.com")
	for _, end := range []string{"RSET", "QUIT"} {
		cmd(t, tc, "MAIL FROM:<alice@example.com>")
		select {
		case <-asked:
		case <-time.After(10 * time.Second):
			t.Fatal("the SPF question never reached the server")
		}
		// RSET's reply comes once the early work has ended; after QUIT
		// the server closes the connection once it has (dial's deadline is
		// 10 s; the unanswered lookup would take 30).
		if code, msg := cmd(t, tc, end); code/100 != 2 {
			t.Fatalf("%s: %d %s", end, code, msg)
		}
	}
	if _, err := tc.ReadLine(); err == nil {
		t.Fatal("a line after QUIT's reply")
	} else if strings.Contains(err.Error(), "timeout") {
		t.Fatal("the session did not end after QUIT")
	}
	var cancelled int
	for _, q := range log.all() {
		if q.Name == "example.com." && q.Type == "TXT" && strings.Contains(q.Error, "canceled") {
			cancelled++
		}
	}
	if cancelled < 2 {
		t.Errorf("the SPF lookup was cancelled %d times, want once by RSET and once by QUIT: %v", cancelled, log.all())
	}
}
