package receive

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"net"
	"net/mail"
	"net/netip"
	"net/textproto"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/mailcred/mailcred/scoring/dkim"
	"github.com/mailcred/mailcred/scoring/dnstest"
	"github.com/mailcred/mailcred/scoring/dnsx"
	"github.com/mailcred/mailcred/scoring/simzone"
	"github.com/mailcred/mailcred/session/compose"
	"github.com/mailcred/mailcred/session/sign"
	"github.com/mailcred/mailcred/session/smtpc"
)

var loopback = netip.MustParseAddr("127.0.0.1")

// noLeaks fails the test if goroutines started during it outlive it.
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
			t.Errorf("%d goroutines left (had %d):\n%s", n-before, before, buf[:runtime.Stack(buf, true)])
		}
	})
}

// world is a healthy sender, example.com, sending from 127.0.0.1 as
// mail.example.com (SPF, PTR, DKIM s1 with an Ed25519 key, DMARC reject),
// served by an in-process DNS server.
type world struct {
	dns *dnstest.Server
	key ed25519.PrivateKey
}

func newWorld(t *testing.T) *world {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := dkim.RecordForKey(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	zone, err := simzone.Zone(simzone.Setup{
		Domain: "example.com", MailHost: "mail.example.com", IPs: []netip.Addr{loopback},
		PTR: map[netip.Addr]bool{loopback: true}, SPF: "v=spf1 ip4:127.0.0.1 -all",
		Selector: "s1", DKIM: rec, DMARC: "v=DMARC1; p=reject",
	})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := dnstest.Start(zone)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return &world{dns: srv, key: key}
}

func (w *world) resolver(...string) (*dnsx.Resolver, error) {
	return dnsx.New(dnsx.Config{Servers: []string{w.dns.Addr}, Timeout: time.Second})
}

// message renders a message from alice@example.com; omit leaves header
// fields out, as the story's sendmail did.
func (w *world) message(t *testing.T, signed bool, omit ...string) []byte {
	t.Helper()
	m := compose.Message{
		From:    mail.Address{Name: "Alice", Address: "alice@example.com"},
		To:      []mail.Address{{Address: "bob@example.org"}},
		Subject: "Score me",
		Body:    "Hello Bob,\n\nthis is a test.\n",
		Omit:    map[string]bool{},
	}
	for _, h := range omit {
		m.Omit[h] = true
	}
	raw, err := m.Render(time.Now(), "example.com")
	if err != nil {
		t.Fatal(err)
	}
	if !signed {
		return raw
	}
	out, _, err := sign.Sign(raw, sign.Options{Domain: "example.com", Selector: "s1", Key: w.key})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// reports collects what OnReport receives.
type reports struct {
	mu   sync.Mutex
	list []Report
}

func (r *reports) add(rep Report) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = append(r.list, rep)
}

func (r *reports) all() []Report {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Report(nil), r.list...)
}

// start runs a server on 127.0.0.1 with the world's resolver; change
// adjusts the options first.
func start(t *testing.T, w *world, change func(*Options)) (*Server, *reports) {
	t.Helper()
	got := &reports{}
	o := Options{Hostname: "mx.test", NewResolver: w.resolver, OnReport: got.add, ScoreTimeout: 20 * time.Second}
	if change != nil {
		change(&o)
	}
	s, err := Listen(context.Background(), "127.0.0.1:0", o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, got
}

// deliver sends msg with mailcred's own client, as `mailcred send` would.
func deliver(t *testing.T, s *Server, from string, to []string, msg []byte) (*smtpc.Delivery, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return smtpc.Deliver(ctx, smtpc.Options{Addr: s.Addr().String(), HELO: "mail.example.com"},
		smtpc.Envelope{From: from, To: to}, msg)
}

// dial opens a raw session and reads the greeting.
func dial(t *testing.T, addr string) (net.Conn, *textproto.Conn, int, string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	t.Cleanup(func() { c.Close() })
	tc := textproto.NewConn(c)
	code, msg, _ := tc.ReadResponse(0)
	return c, tc, code, msg
}

// cmd sends a line and reads the reply, whatever its code.
func cmd(t *testing.T, tc *textproto.Conn, line string) (int, string) {
	t.Helper()
	if err := tc.PrintfLine("%s", line); err != nil {
		t.Fatal(err)
	}
	code, msg, err := tc.ReadResponse(0)
	if err != nil && code == 0 {
		t.Fatalf("%s: %v", line, err)
	}
	return code, msg
}

// message sends msg after a 354 (dot-stuffed, with the final ".") and
// reads the reply to it.
func message(t *testing.T, tc *textproto.Conn, msg []byte) (int, string) {
	t.Helper()
	dw := tc.DotWriter()
	if _, err := dw.Write(msg); err != nil {
		t.Fatal(err)
	}
	if err := dw.Close(); err != nil {
		t.Fatal(err)
	}
	code, text, _ := tc.ReadResponse(0)
	return code, text
}

func status(rep Report, id string) string {
	for _, r := range rep.Results {
		if r.ID == id {
			return r.Status.String()
		}
	}
	return "absent"
}
