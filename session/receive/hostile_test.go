package receive

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/netip"
	"net/textproto"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The hostile corpus for `receive`: slowloris, relay probes, control
// bytes, a server on a public address without --domain. (The header bomb
// is in capture_test.go.)

// dialFrom connects from a chosen loopback source address (127.0.0.x are
// all this machine, and distinct clients to the server).
func dialFrom(t *testing.T, src, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c
}

func greeting(t *testing.T, c net.Conn) string {
	t.Helper()
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the greeting: %v", err)
	}
	return line
}

// 10 addresses × 5 connections sending a byte now and then hold every
// slot of the default limits; a new client still gets its 220, and takes
// the slot of a slowloris, not of anyone else.
func TestSlowlorisCannotLockOutAFreshClient(t *testing.T) {
	noLeaks(t)
	w := newWorld(t)
	s, _ := start(t, w, func(o *Options) { o.DisableTLS = true })
	addr := s.Addr().String()
	var loris []net.Conn
	for a := 2; a <= 11; a++ {
		src := "127.0.0." + strconv.Itoa(a)
		for i := 0; i < DefaultMaxSessionsPerIP; i++ {
			c := dialFrom(t, src, addr)
			if g := greeting(t, c); !strings.HasPrefix(g, "220 ") {
				t.Fatalf("slowloris %s #%d: %q", src, i, g)
			}
			c.Write([]byte("E")) // one byte of an EHLO that never ends
			loris = append(loris, c)
		}
	}
	if n := s.Sessions(); n != DefaultMaxSessions {
		t.Fatalf("%d sessions held, want all %d", n, DefaultMaxSessions)
	}
	// An attacking address gets no more.
	if g := greeting(t, dialFrom(t, "127.0.0.2", addr)); !strings.HasPrefix(g, "421 4.7.0") {
		t.Fatalf("a 6th connection from a slowloris address: %q", g)
	}
	// A fresh address is served.
	fresh := dialFrom(t, "127.0.0.200", addr)
	if g := greeting(t, fresh); !strings.HasPrefix(g, "220 ") {
		t.Fatalf("fresh client: %q, want 220", g)
	}
	tc := textproto.NewConn(fresh)
	if err := tc.PrintfLine("EHLO fresh.example"); err != nil {
		t.Fatal(err)
	}
	if code, _, err := tc.ReadResponse(250); err != nil {
		t.Fatalf("fresh client EHLO: %d %v", code, err)
	}
	// Exactly one slowloris lost its slot.
	closed := 0
	for _, c := range loris {
		c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		if _, err := c.Read(make([]byte, 1)); err == io.EOF {
			closed++
		}
	}
	if closed != 1 || s.Sessions() != DefaultMaxSessions {
		t.Fatalf("%d slowloris connections ended, %d sessions; want 1 and %d", closed, s.Sessions(), DefaultMaxSessions)
	}
}

func TestClientThatNeverSaysEHLOIsCutOff(t *testing.T) {
	noLeaks(t)
	w := newWorld(t)
	s, _ := start(t, w, func(o *Options) { o.DisableTLS = true; o.GreetingTimeout = 100 * time.Millisecond })
	c := dialFrom(t, "127.0.0.1", s.Addr().String())
	greeting(t, c)
	c.Write([]byte("EH")) // and nothing more
	if _, err := io.ReadAll(c); err != nil {
		t.Fatalf("read: %v (want the server to close)", err)
	}
}

func TestIPv6ClientsAreGroupedBySlash64(t *testing.T) {
	a := clientNet(netip.MustParseAddr("2001:db8:1:2::1"))
	b := clientNet(netip.MustParseAddr("2001:db8:1:2:ffff:ffff:ffff:ffff"))
	c := clientNet(netip.MustParseAddr("2001:db8:1:3::1"))
	if a != b || a == c || a.Bits() != 64 {
		t.Fatalf("/64 grouping: %v %v %v", a, b, c)
	}
	if p := clientNet(netip.MustParseAddr("192.0.2.1")); p.Bits() != 32 || p == clientNet(netip.MustParseAddr("192.0.2.2")) {
		t.Fatalf("IPv4 grouping: %v", p)
	}
}

func TestControlBytesAreRefusedNeverEchoed(t *testing.T) {
	noLeaks(t)
	w := newWorld(t)
	s, _ := start(t, w, func(o *Options) { o.DisableTLS = true })
	addr := s.Addr().String()
	for _, bad := range []string{"a\x1b[31mb", "nul\x00x", "del\x7f", "c1\u009bx"} {
		c, tc, _, _ := dial(t, addr)
		code, msg := cmd(t, tc, "EHLO "+bad)
		if code != 501 || strings.ContainsAny(msg, "\x1b\x00\x7f\u009b") {
			t.Errorf("EHLO %q: %d %q", bad, code, msg)
		}
		if code, _ := cmd(t, tc, "EHLO ok.example"); code != 250 {
			t.Fatalf("EHLO after a refused one: %d", code)
		}
		if code, msg := cmd(t, tc, "MAIL FROM:<a"+bad+"@example.com>"); code != 501 || strings.ContainsAny(msg, "\x1b\x00\x7f\u009b") {
			t.Errorf("MAIL %q: %d %q", bad, code, msg)
		}
		cmd(t, tc, "MAIL FROM:<alice@example.com>")
		if code, msg := cmd(t, tc, "RCPT TO:<b"+bad+"@example.org>"); code != 501 || strings.ContainsAny(msg, "\x1b\x00\x7f\u009b") {
			t.Errorf("RCPT %q: %d %q", bad, code, msg)
		}
		// A second EHLO would be echoed by go-smtp: the session ends first.
		tc.PrintfLine("EHLO %s", bad)
		rest, _ := io.ReadAll(c)
		if strings.ContainsAny(string(rest), "\x1b\x00\x7f\u009b") || !strings.HasPrefix(string(rest), "421 ") {
			t.Errorf("repeated EHLO %q: got %q", bad, rest)
		}
	}
}

func TestRelayProbesAreDenied(t *testing.T) {
	noLeaks(t)
	w := newWorld(t)
	s, _ := start(t, w, func(o *Options) { o.DisableTLS = true; o.Domains = []string{"test.example.org"} })
	_, tc, _, _ := dial(t, s.Addr().String())
	cmd(t, tc, "EHLO scanner.example")
	cmd(t, tc, "MAIL FROM:<probe@scanner.example>")
	for _, rcpt := range []string{"victim@gmail.com", "x@test.example.org.evil.example", `"a@test.example.org"@evil.example`, "a%b@test.example.org.x"} {
		if code, msg := cmd(t, tc, "RCPT TO:<"+rcpt+">"); code != 550 || !strings.HasPrefix(msg, "5.7.1 relaying denied") {
			t.Errorf("RCPT %s: %d %s", rcpt, code, msg)
		}
	}
	if code, _ := cmd(t, tc, "RCPT TO:<test@TEST.example.org>"); code != 250 {
		t.Errorf("own domain refused: %d", code)
	}
}

func TestAnyRecipientOnlyOnLoopback(t *testing.T) {
	for _, addr := range []string{":0", "0.0.0.0:0", "[::]:0", "192.0.2.1:25", "mail.example.com:25"} {
		if s, err := Listen(context.Background(), addr, Options{Hostname: "mx.test"}); err == nil || !strings.Contains(err.Error(), "--domain") {
			if s != nil {
				s.Close()
			}
			t.Errorf("Listen(%s) without domains: %v", addr, err)
		}
	}
	for _, addr := range []string{"127.0.0.1:0", "localhost:0", "[::1]:0"} {
		if !loopbackListen(addr) {
			t.Errorf("%s is loopback", addr)
		}
	}
}

// pacedReader moves the read deadline one second per MinDataRate bytes.
func TestDATADeadlineFollowsTheRate(t *testing.T) {
	fc := &deadlineConn{}
	start := time.Now()
	p := &pacedReader{r: strings.NewReader(strings.Repeat("x", 5000)), conn: fc, start: start, rate: 1000}
	buf := make([]byte, 1000)
	for i := 0; i < 4; i++ {
		p.Read(buf)
	}
	if want := start.Add(time.Minute + 3*time.Second); !fc.last.Equal(want) {
		t.Fatalf("deadline %v after 3000 bytes, want start+63s", fc.last.Sub(start))
	}
}

type deadlineConn struct {
	net.Conn
	last time.Time
}

func (d *deadlineConn) SetReadDeadline(t time.Time) error { d.last = t; return nil }
