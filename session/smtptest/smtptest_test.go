package smtptest

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/textproto"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mailcred/mailcred/scoring/smtpx"
)

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

func dial(t *testing.T, addr string) (net.Conn, *textproto.Conn) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	t.Cleanup(func() { c.Close() })
	return c, textproto.NewConn(c)
}

func cmd(t *testing.T, tc *textproto.Conn, line string, want int) string {
	t.Helper()
	if err := tc.PrintfLine("%s", line); err != nil {
		t.Fatal(err)
	}
	_, msg, err := tc.ReadResponse(want)
	if err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	return msg
}

func TestServerSessionAndCapture(t *testing.T) {
	noLeaks(t)
	s, err := Start(Options{Users: map[string]string{"u": "p"}, AllowInsecureAuth: true, DisableTLS: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, tc := dial(t, s.Addr())
	if _, msg, err := tc.ReadResponse(220); err != nil || !strings.HasPrefix(msg, "mx.test ESMTP") {
		t.Fatalf("greeting %q %v", msg, err)
	}
	ehlo := cmd(t, tc, "EHLO client.test", 250)
	if !strings.Contains(ehlo, "AUTH PLAIN LOGIN") || strings.Contains(ehlo, "STARTTLS") {
		t.Errorf("EHLO: %q", ehlo)
	}
	// LOGIN, the classic way: Username:, Password: (base64).
	cmd(t, tc, "AUTH LOGIN", 334)
	cmd(t, tc, "dQ==", 334)
	cmd(t, tc, "cA==", 235)
	cmd(t, tc, "MAIL FROM:<a@b>", 250)
	cmd(t, tc, "RCPT TO:<c@d>", 250)
	cmd(t, tc, "DATA", 354)
	w := tc.DotWriter()
	io.WriteString(w, "Subject: x\r\n\r\n.dot\r\n")
	w.Close()
	if _, _, err := tc.ReadResponse(250); err != nil {
		t.Fatal(err)
	}
	msgs, err := s.WaitMessages(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	m := msgs[0]
	if m.Helo != "client.test" || m.From != "a@b" || m.To[0] != "c@d" || m.User != "u" || m.TLS || string(m.Data) != "Subject: x\r\n\r\n.dot\r\n" {
		t.Errorf("captured %+v", m)
	}
	cmd(t, tc, "QUIT", 221)
}

func TestAuthPlainAndFailures(t *testing.T) {
	s, err := Start(Options{Users: map[string]string{"u": "p"}, AllowInsecureAuth: true, RequireAuth: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, tc := dial(t, s.Addr())
	tc.ReadResponse(220)
	cmd(t, tc, "EHLO c", 250)
	cmd(t, tc, "MAIL FROM:<a@b>", 530)
	cmd(t, tc, "AUTH PLAIN AHUAd3Jvbmc=", 535) // \0u\0wrong
	cmd(t, tc, "AUTH PLAIN AHUAcA==", 235)     // \0u\0p
	cmd(t, tc, "MAIL FROM:<a@b>", 250)
}

func TestGreetingRefusalIsWrittenAsConfigured(t *testing.T) {
	noLeaks(t)
	s, err := Start(Options{Policy: RejectAt(smtpx.Connect, Reply{Code: 554, Enhanced: "5.7.1", Lines: []string{"first", "second"}})})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, _ := dial(t, s.Addr())
	got, _ := io.ReadAll(c)
	if string(got) != "554-first\r\n554 5.7.1 second\r\n" {
		t.Errorf("got %q", got)
	}
}

func TestPolicySeesTheCommand(t *testing.T) {
	var seen []Command
	s, err := Start(Options{DisableTLS: true, Policy: func(c Command) *Reply {
		seen = append(seen, c) // one session at a time here
		if c.Stage == smtpx.EndOfData && strings.Contains(string(c.Message), "spam") {
			return &Reply{Code: 550, Enhanced: "5.7.1", Lines: []string{"looks like spam"}}
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, tc := dial(t, s.Addr())
	tc.ReadResponse(220)
	cmd(t, tc, "EHLO c.test", 250)
	cmd(t, tc, "MAIL FROM:<a@b>", 250)
	cmd(t, tc, "RCPT TO:<c@d>", 250)
	cmd(t, tc, "DATA", 354)
	w := tc.DotWriter()
	io.WriteString(w, "spam\r\n")
	w.Close()
	if _, msg, err := tc.ReadResponse(250); err == nil || !strings.Contains(msg, "looks like spam") {
		t.Fatalf("end of data: %q %v", msg, err)
	}
	cmd(t, tc, "QUIT", 221)
	var stages []string
	for _, c := range seen {
		stages = append(stages, c.Stage.String())
		if c.Stage != smtpx.Connect && c.Helo != "c.test" {
			t.Errorf("%v: helo %q", c.Stage, c.Helo)
		}
	}
	if got := strings.Join(stages, ","); got != "connect,EHLO,MAIL,RCPT,end of data" {
		t.Errorf("stages %s", got)
	}
	if len(s.Messages()) != 0 {
		t.Error("refused message captured")
	}
}

func TestReplyWire(t *testing.T) {
	tests := []struct {
		r    Reply
		want string
	}{
		{Reply{Code: 550, Enhanced: "5.7.1", Lines: []string{"a"}}, "550 5.7.1 a\r\n"},
		{Reply{Code: 554, Lines: []string{"a", "b"}}, "554-a\r\n554 b\r\n"},
		{Reply{Code: 421}, "421 refused\r\n"},
	}
	for _, tc := range tests {
		if got := tc.r.wire(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.r, got, tc.want)
		}
	}
	if e := (Reply{Code: 550, Enhanced: "5.7.26", Lines: []string{"x", "y"}}).smtpError(); e.Code != 550 || e.EnhancedCode != [3]int{5, 7, 26} || e.Message != "x\ny" {
		t.Errorf("%+v", e)
	}
}

func TestStartTLSAndImplicitTLSVerifyWithTheCA(t *testing.T) {
	for _, implicit := range []bool{false, true} {
		s, err := Start(Options{ImplicitTLS: implicit})
		if err != nil {
			t.Fatal(err)
		}
		cfg := &tls.Config{RootCAs: s.CertPool(), ServerName: "mx.test"}
		var conn net.Conn
		if implicit {
			conn, err = tls.Dial("tcp", s.Addr(), cfg)
			if err != nil {
				t.Fatal(err)
			}
		} else {
			raw, tc := dial(t, s.Addr())
			tc.ReadResponse(220)
			cmd(t, tc, "EHLO c", 250)
			cmd(t, tc, "STARTTLS", 220)
			tlsConn := tls.Client(raw, cfg)
			if err := tlsConn.Handshake(); err != nil {
				t.Fatal(err)
			}
			tlsConn.Write([]byte("EHLO c\r\n"))
			conn = tlsConn
		}
		r := textproto.NewReader(bufio.NewReader(conn))
		if _, _, err := r.ReadResponse(0); err != nil {
			t.Errorf("implicit=%v: %v", implicit, err)
		}
		conn.Close()
		s.Close()
	}
}

func TestNewCertificate(t *testing.T) {
	c, err := NewCertificate("mx.test", "192.0.2.25")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"mx.test", "192.0.2.25"} {
		if _, err := c.Leaf.Verify(x509.VerifyOptions{DNSName: name, Roots: c.Pool}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	var he x509.HostnameError
	if _, err := c.Leaf.Verify(x509.VerifyOptions{DNSName: "other.test", Roots: c.Pool}); !errors.As(err, &he) {
		t.Errorf("other.test: %v", err)
	}
	if _, err := NewCertificate(); err == nil {
		t.Error("no names accepted")
	}
}

func TestCloseEndsIdleSessions(t *testing.T) {
	noLeaks(t)
	s, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		_, tc := dial(t, s.Addr())
		tc.ReadResponse(220)
	}
	start := time.Now()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("Close took %v", time.Since(start))
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestWaitMessagesHonoursTheContext(t *testing.T) {
	s, err := Start(Options{DisableTLS: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := s.WaitMessages(ctx, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v", err)
	}
}

func TestLoginServer(t *testing.T) {
	var gotUser, gotPass string
	l := &loginServer{check: func(u, p string) error { gotUser, gotPass = u, p; return nil }}
	if ch, done, err := l.Next(nil); string(ch) != "Username:" || done || err != nil {
		t.Fatalf("%q %v %v", ch, done, err)
	}
	if ch, done, err := l.Next([]byte("u")); string(ch) != "Password:" || done || err != nil {
		t.Fatalf("%q %v %v", ch, done, err)
	}
	if _, done, err := l.Next([]byte("p")); !done || err != nil || gotUser != "u" || gotPass != "p" {
		t.Fatalf("%v %v %q %q", done, err, gotUser, gotPass)
	}
}
