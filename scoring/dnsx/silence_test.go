package dnsx

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mailcred/mailcred/scoring/dnstest"
)

// A resolver that replies to nothing is told apart from one that replies
// badly: refused and timed-out exchanges are silence, SERVFAIL is a reply.
func TestSilent(t *testing.T) {
	ctx := context.Background()
	ask := func(t *testing.T, server string, names ...string) []Query {
		t.Helper()
		r, err := New(Config{Servers: []string{server}, Timeout: 200 * time.Millisecond, Attempts: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			r.Lookup(ctx, n, TypeTXT)
			r.Lookup(ctx, n, TypeTXT) // a cache hit: not a second question
		}
		return r.Log()
	}

	t.Run("nothing listens", func(t *testing.T) {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		dead := pc.LocalAddr().String()
		pc.Close() // the port is free again: a datagram to it is refused
		s, ok := Silent(ask(t, dead, "a.example", "b.example"))
		if !ok || s.Questions != 2 || len(s.Servers) != 1 || s.Servers[0] != dead {
			t.Fatalf("Silent = %+v, %v; want 2 questions to %s", s, ok, dead)
		}
		if want := "nothing answers DNS at " + dead + " (connection refused)"; s.Cause != want {
			t.Errorf("cause %q, want it to say %q", s.Cause, want)
		}
		if strings.Contains(s.String(), "read udp") {
			t.Errorf("the socket's own words leaked: %q", s.String())
		}
		// The same questions recorded again (by another check) count once.
		log := ask(t, dead, "a.example")
		if s, ok := Silent(append(log, log...)); !ok || s.Questions != 1 {
			t.Errorf("a question recorded twice: %+v, %v; want 1 question", s, ok)
		}
	})

	t.Run("never replies", func(t *testing.T) {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0") // reads nothing, answers nothing
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		s, ok := Silent(ask(t, pc.LocalAddr().String(), "a.example"))
		if !ok || !strings.Contains(s.Cause, "no reply from "+pc.LocalAddr().String()+" within 200ms") {
			t.Errorf("Silent = %+v, %v", s, ok)
		}
		if !strings.Contains(s.Summary(), "did not reply to the one question asked") {
			t.Errorf("one question: %q", s.Summary())
		}
	})

	t.Run("replies SERVFAIL", func(t *testing.T) {
		srv, err := dnstest.Start("")
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		srv.SetFault("a.example", dnstest.ServFail)
		if s, ok := Silent(ask(t, srv.Addr, "a.example")); ok {
			t.Errorf("a SERVFAIL is a reply, not silence: %+v", s)
		}
	})

	t.Run("no question", func(t *testing.T) {
		if _, ok := Silent(nil); ok {
			t.Error("an empty log is not silence")
		}
	})
}

// A lost datagram is asked again within the attempt: one attempt (so no
// second attempt can hide it) gets the answer, the server having seen the
// question twice. Turned off, the same attempt times out.
func TestLostDatagramIsSentAgain(t *testing.T) {
	srv, err := dnstest.Start("lost.example. 60 IN A 192.0.2.1\n")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx := context.Background()
	ask := func(retransmit, timeout time.Duration) *Answer {
		srv.SetFault("lost.example", dnstest.LoseFirst)
		r, err := New(Config{Servers: []string{srv.Addr}, Timeout: timeout, Attempts: 1, Retransmit: retransmit})
		if err != nil {
			t.Fatal(err)
		}
		return r.Lookup(ctx, "lost.example", TypeA)
	}
	before := srv.Queries()
	if a := ask(50*time.Millisecond, 10*time.Second); a.Outcome != Success || len(a.Records) != 1 {
		t.Fatalf("with retransmission: %s %v, want the answer", a.Outcome, a.Err)
	}
	if n := srv.Queries() - before; n != 2 {
		t.Errorf("the server saw %d questions, want 2 (the lost one and the copy)", n)
	}
	if a := ask(-1, 300*time.Millisecond); a.Outcome != Timeout {
		t.Errorf("without retransmission the lost datagram is a timeout; got %s", a.Outcome)
	}
}
