package smtpc

import (
	"bufio"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/mailcred/mailcred/session/smtptest"
)

// recorder keeps every event of a session.
type recorder struct {
	mu     sync.Mutex
	events []Event
}

func (r *recorder) add(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) all() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}

// transcript is the formatted transcript, for failure messages.
func (r *recorder) transcript() string {
	var b strings.Builder
	for _, e := range r.all() {
		b.WriteString(Format(e))
		b.WriteByte('\n')
	}
	return b.String()
}

// strings returns every string an event carries.
func eventStrings(e Event) []string {
	out := append([]string{e.Enhanced, e.Err, Format(e)}, e.Lines...)
	if t := e.TLS; t != nil {
		out = append(out, t.Version, t.CipherSuite, t.ServerName, t.VerifyError)
		for _, c := range t.Chain {
			out = append(out, c.Subject, c.Issuer)
			out = append(out, c.SANs...)
		}
	}
	return out
}

// unsafeRune reports what must never reach a terminal: C0 and C1 controls,
// DEL, invalid UTF-8 and bidirectional overrides. Format's own newlines
// between lines are allowed by the caller.
func unsafeRune(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == unicode.ReplacementChar ||
		(r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f || r == 0x061c
}

// assertClean fails if any event string holds a control character.
func assertClean(t *testing.T, events []Event) {
	t.Helper()
	for _, e := range events {
		for _, s := range eventStrings(e) {
			for _, line := range strings.Split(s, "\n") {
				if i := strings.IndexFunc(line, unsafeRune); i >= 0 {
					t.Fatalf("unsafe character %q in event %v: %q", line[i:i+1], e.Kind, line)
				}
			}
		}
	}
}

// startServer starts a go-smtp test server, closed at the end of the test.
func startServer(t testing.TB, o smtptest.Options) *smtptest.Server {
	t.Helper()
	srv, err := smtptest.Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
	})
	return srv
}

func startHostile(t testing.TB, b smtptest.Behaviour) *smtptest.HostileServer {
	t.Helper()
	h, err := smtptest.StartHostile(b)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// options are client options for a test server: the test CA trusted, short
// timeouts, events recorded.
func options(addr string, srv *smtptest.Server, rec *recorder) Options {
	o := Options{
		Addr:       addr,
		ServerName: "mx.test",
		HELO:       "client.test",
		Timeouts:   Timeouts{Connect: 5 * time.Second, Command: 5 * time.Second, Data: 5 * time.Second},
	}
	if srv != nil {
		o.RootCAs = srv.CertPool()
	}
	if rec != nil {
		o.Events = rec.add
	}
	return o
}

// noLeaks fails the test if goroutines started during it are still running
// at its end. Call it first so its cleanup runs last.
func noLeaks(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<16)
			t.Errorf("%d goroutines left running (had %d):\n%s", n-before, before, buf[:runtime.Stack(buf, true)])
		}
	})
}

const testMessage = "From: a@sender.test\r\nTo: b@rcpt.test\r\nSubject: hi\r\n\r\nHello.\r\n"

func newTestBufWriter(w *strings.Builder) *bufio.Writer { return bufio.NewWriter(w) }
