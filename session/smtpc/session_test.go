package smtpc

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mailcred/mailcred/scoring/smtpx"
	"github.com/mailcred/mailcred/session/smtptest"
)

const (
	testUser     = "sender@sender.test"
	testPassword = "s3cret-P4ssw0rd"
)

// step is the expected shape of one event.
type step struct {
	kind   Kind
	secure bool
	prefix string // the first line starts with this
}

func checkSteps(t *testing.T, rec *recorder, want []step) {
	t.Helper()
	got := rec.all()
	if len(got) != len(want) {
		t.Fatalf("%d events, want %d:\n%s", len(got), len(want), rec.transcript())
	}
	for i, w := range want {
		g := got[i]
		first := ""
		if len(g.Lines) > 0 {
			first = g.Lines[0]
		}
		if g.Kind != w.kind || g.Secure != w.secure || !strings.HasPrefix(first, w.prefix) {
			t.Errorf("event %d = %v secure=%v %q, want %v secure=%v %q…\n%s", i, g.Kind, g.Secure, first, w.kind, w.secure, w.prefix, rec.transcript())
		}
		if i > 0 && g.At < got[i-1].At {
			t.Errorf("event %d goes back in time", i)
		}
	}
}

// assertNoSecret fails if the password, or any base64 form that carries
// it, appears anywhere in the events or the formatted transcript.
func assertNoSecret(t *testing.T, rec *recorder) {
	t.Helper()
	secrets := []string{
		testPassword,
		base64.StdEncoding.EncodeToString([]byte(testPassword)),
		base64.StdEncoding.EncodeToString([]byte("\x00" + testUser + "\x00" + testPassword)),
		base64.StdEncoding.EncodeToString([]byte(testUser)), // LOGIN's payloads are masked too
	}
	for _, e := range rec.all() {
		for _, s := range eventStrings(e) {
			for _, secret := range secrets {
				if strings.Contains(s, secret) {
					t.Fatalf("secret %q leaked in %v event: %q", secret, e.Kind, s)
				}
			}
		}
	}
}

func TestFullSessionSTARTTLSAuthPlainData(t *testing.T) {
	noLeaks(t)
	srv := startServer(t, smtptest.Options{Users: map[string]string{testUser: testPassword}, RequireAuth: true})
	rec := &recorder{}
	o := options(srv.Addr(), srv, rec)
	o.TLSMode = TLSStartTLS
	env := Envelope{From: "a@sender.test", To: []string{"b@rcpt.test"}, Auth: &Credentials{User: testUser, Password: testPassword}}

	d, err := Deliver(context.Background(), o, env, []byte(testMessage))
	if err != nil {
		t.Fatalf("Deliver: %v\n%s", err, rec.transcript())
	}
	checkSteps(t, rec, []step{
		{KindConnect, false, "Trying " + srv.Addr()},
		{KindConnect, false, "Connected to "},
		{KindReceived, false, "220 mx.test ESMTP"},
		{KindSent, false, "EHLO client.test"},
		{KindReceived, false, "250-Hello client.test"},
		{KindSent, false, "STARTTLS"},
		{KindReceived, false, "220 2.0.0 Ready to start TLS"},
		{KindTLS, true, "TLS started: TLS 1.3"},
		{KindSent, true, "EHLO client.test"},
		{KindReceived, true, "250-Hello client.test"},
		{KindSent, true, "AUTH PLAIN ****"},
		{KindReceived, true, "235 2.0.0 Authentication succeeded"},
		{KindSent, true, "MAIL FROM:<a@sender.test> SIZE="},
		{KindReceived, true, "250 2.0.0"},
		{KindSent, true, "RCPT TO:<b@rcpt.test>"},
		{KindReceived, true, "250 2.0.0"},
		{KindSent, true, "DATA"},
		{KindReceived, true, "354 "},
		{KindSent, true, "[message: 61 bytes in 5 lines]"},
		{KindReceived, true, "250 2.0.0 OK: queued"},
		{KindSent, true, "QUIT"},
		{KindReceived, true, "221 2.0.0 Bye"},
		{KindDone, true, "Connection closed"},
	})
	assertNoSecret(t, rec)
	assertClean(t, rec.all())

	// Capabilities are those announced under TLS (RFC 3207 §4.2): AUTH appears only there.
	if !d.Capabilities.ESMTP || d.Capabilities.StartTLS || strings.Join(d.Capabilities.Auth, " ") != "PLAIN LOGIN" ||
		!d.Capabilities.Pipelining || !d.Capabilities.EightBit || d.Capabilities.Size != 10<<20 {
		t.Errorf("capabilities after STARTTLS = %+v", d.Capabilities)
	}
	if d.TLS == nil || !d.TLS.Verified || d.Final.Code != 250 {
		t.Errorf("delivery = %+v", d)
	}
	msgs, err := srv.WaitMessages(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	m := msgs[0]
	if !m.TLS || m.User != testUser || m.From != "a@sender.test" || m.To[0] != "b@rcpt.test" || string(m.Data) != testMessage {
		t.Errorf("server got %+v", m)
	}
	if m.RemoteAddr != d.LocalAddr.String() {
		t.Errorf("server saw %s, client reports local address %s", m.RemoteAddr, d.LocalAddr)
	}
}

func TestAuthLoginMasksBothPayloads(t *testing.T) {
	noLeaks(t)
	srv := startServer(t, smtptest.Options{Users: map[string]string{testUser: testPassword}})
	rec := &recorder{}
	ctx := context.Background()
	c, err := Dial(ctx, options(srv.Addr(), srv, rec))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Hello(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.ApplyTLSMode(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Auth(ctx, testUser, testPassword, "LOGIN"); err != nil {
		t.Fatalf("AUTH LOGIN: %v\n%s", err, rec.transcript())
	}
	if err := c.Quit(ctx); err != nil {
		t.Fatal(err)
	}
	tr := rec.transcript()
	for _, want := range []string{"~>  AUTH LOGIN\n", "<~  334 VXNlcm5hbWU6", "~>  ****\n", "<~  334 UGFzc3dvcmQ6", "<~  235 "} {
		if !strings.Contains(tr, want) {
			t.Errorf("transcript lacks %q:\n%s", want, tr)
		}
	}
	assertNoSecret(t, rec)
}

func TestAuthRefusedWithoutTLS(t *testing.T) {
	srv := startServer(t, smtptest.Options{DisableTLS: true, AllowInsecureAuth: true, Users: map[string]string{testUser: testPassword}})
	rec := &recorder{}
	o := options(srv.Addr(), srv, rec)
	_, err := Deliver(context.Background(), o, Envelope{From: "a@sender.test", To: []string{"b@rcpt.test"},
		Auth: &Credentials{User: testUser, Password: testPassword}}, []byte(testMessage))
	if !errors.Is(err, ErrInsecureAuth) {
		t.Fatalf("err = %v, want ErrInsecureAuth", err)
	}
	if st, _ := StageOf(err); st != smtpx.AUTH {
		t.Errorf("stage = %v", st)
	}
	assertNoSecret(t, rec)
	if !strings.Contains(rec.transcript(), "STARTTLS not offered") {
		t.Errorf("no note about missing STARTTLS:\n%s", rec.transcript())
	}

	// Allowed explicitly, it goes through (a lab setup on loopback).
	o.AllowPlaintextAuth = true
	if _, err := Deliver(context.Background(), o, Envelope{From: "a@sender.test", To: []string{"b@rcpt.test"},
		Auth: &Credentials{User: testUser, Password: testPassword}}, []byte(testMessage)); err != nil {
		t.Fatal(err)
	}
	assertNoSecret(t, rec)
}

func TestAuthNoCommonMechanism(t *testing.T) {
	srv := startServer(t, smtptest.Options{Users: map[string]string{testUser: testPassword}, AuthMechanisms: []string{"CRAM-MD5"}})
	o := options(srv.Addr(), srv, nil)
	_, err := Deliver(context.Background(), o, Envelope{From: "a@sender.test", To: []string{"b@rcpt.test"},
		Auth: &Credentials{User: testUser, Password: testPassword}}, []byte(testMessage))
	if !errors.Is(err, ErrAuthNotOffered) || !strings.Contains(err.Error(), "CRAM-MD5") {
		t.Fatalf("err = %v", err)
	}
}

func TestImplicitTLS(t *testing.T) {
	noLeaks(t)
	srv := startServer(t, smtptest.Options{ImplicitTLS: true})
	rec := &recorder{}
	o := options(srv.Addr(), srv, rec)
	o.TLSMode = TLSImplicit
	d, err := Deliver(context.Background(), o, Envelope{From: "a@sender.test", To: []string{"b@rcpt.test"}}, []byte(testMessage))
	if err != nil {
		t.Fatalf("%v\n%s", err, rec.transcript())
	}
	ev := rec.all()
	if ev[2].Kind != KindTLS || !ev[3].Secure || ev[3].Code != 220 {
		t.Errorf("TLS must come before the greeting:\n%s", rec.transcript())
	}
	if d.TLS == nil || !d.TLS.Verified {
		t.Errorf("TLS = %+v", d.TLS)
	}
}

func TestSTARTTLSRequiredButNotOffered(t *testing.T) {
	srv := startServer(t, smtptest.Options{DisableTLS: true})
	o := options(srv.Addr(), srv, nil)
	o.TLSMode = TLSStartTLS
	_, err := Deliver(context.Background(), o, Envelope{From: "a@sender.test", To: []string{"b@rcpt.test"}}, []byte(testMessage))
	if !errors.Is(err, ErrTLSNotOffered) {
		t.Fatalf("err = %v", err)
	}
	if st, _ := StageOf(err); st != smtpx.STARTTLS {
		t.Errorf("stage = %v", st)
	}
	if len(srv.Messages()) != 0 {
		t.Error("message sent in plaintext although TLS was required")
	}
}

func TestTLSNoneNeverUpgrades(t *testing.T) {
	srv := startServer(t, smtptest.Options{})
	rec := &recorder{}
	o := options(srv.Addr(), srv, rec)
	o.TLSMode = TLSNone
	d, err := Deliver(context.Background(), o, Envelope{From: "a@sender.test", To: []string{"b@rcpt.test"}}, []byte(testMessage))
	if err != nil || d.TLS != nil || strings.Contains(rec.transcript(), "-> STARTTLS") {
		t.Fatalf("err=%v TLS=%v\n%s", err, d.TLS, rec.transcript())
	}
}

func TestDeliverContinuesPastRefusedRecipient(t *testing.T) {
	srv := startServer(t, smtptest.Options{Policy: func(c smtptest.Command) *smtptest.Reply {
		if c.Stage == smtpx.RCPT && c.Arg == "nobody@rcpt.test" {
			return &smtptest.Reply{Code: 550, Enhanced: "5.1.1", Lines: []string{"no such user"}}
		}
		return nil
	}})
	o := options(srv.Addr(), srv, nil)
	d, err := Deliver(context.Background(), o, Envelope{From: "a@sender.test", To: []string{"nobody@rcpt.test", "b@rcpt.test"}}, []byte(testMessage))
	if err != nil {
		t.Fatal(err)
	}
	if re := d.Refused["nobody@rcpt.test"]; re == nil || re.Reply.Enhanced != "5.1.1" || len(d.Refused) != 1 {
		t.Errorf("refused = %v", d.Refused)
	}
	if m := srv.Messages(); len(m) != 1 || strings.Join(m[0].To, ",") != "b@rcpt.test" {
		t.Errorf("messages = %+v", m)
	}
}

func TestDataNormalisesLineEndsAndStuffsDots(t *testing.T) {
	srv := startServer(t, smtptest.Options{})
	tests := []struct{ name, in, want string }{
		{"CRLF kept", "A: b\r\n\r\nbody\r\n", "A: b\r\n\r\nbody\r\n"},
		{"bare LF becomes CRLF", "A: b\n\nbody\n", "A: b\r\n\r\nbody\r\n"},
		{"bare CR becomes CRLF", "A: b\r\rbody\r", "A: b\r\n\r\nbody\r\n"},
		{"missing final line end added", "A: b\r\n\r\nbody", "A: b\r\n\r\nbody\r\n"},
		{"leading dots survive the round trip", "A: b\r\n\r\n.\r\n..x\r\n.hidden\n", "A: b\r\n\r\n.\r\n..x\r\n.hidden\r\n"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Deliver(context.Background(), options(srv.Addr(), srv, nil),
				Envelope{From: "a@sender.test", To: []string{"b@rcpt.test"}}, []byte(tc.in)); err != nil {
				t.Fatal(err)
			}
			msgs, err := srv.WaitMessages(context.Background(), i+1)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(msgs[i].Data); got != tc.want {
				t.Errorf("server got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDotWriterAcrossWriteBoundaries(t *testing.T) {
	in := "a\r\n.b\r\n\r\n.\r\nc\rd\n"
	want := "a\r\n..b\r\n\r\n..\r\nc\r\nd\r\n.\r\n"
	for split := range len(in) + 1 {
		var buf strings.Builder
		bw := newTestBufWriter(&buf)
		d := &dotWriter{w: bw, bol: true}
		d.Write([]byte(in[:split]))
		d.Write([]byte(in[split:]))
		if err := d.finish(); err != nil {
			t.Fatal(err)
		}
		if buf.String() != want {
			t.Errorf("split at %d: %q, want %q", split, buf.String(), want)
		}
	}
}

func TestAddressInjectionRefused(t *testing.T) {
	srv := startServer(t, smtptest.Options{})
	for _, addr := range []string{"a@b>\r\nRCPT TO:<victim@x", "a@b\nDATA", "a<b@c", "x@y\x00"} {
		_, err := Deliver(context.Background(), options(srv.Addr(), srv, nil), Envelope{From: addr, To: []string{"b@rcpt.test"}}, []byte(testMessage))
		if !errors.Is(err, ErrBadAddress) {
			t.Errorf("from %q: err = %v, want ErrBadAddress", addr, err)
		}
		_, err = Deliver(context.Background(), options(srv.Addr(), srv, nil), Envelope{From: "a@b", To: []string{addr}}, []byte(testMessage))
		if !errors.Is(err, ErrBadAddress) {
			t.Errorf("to %q: err = %v, want ErrBadAddress", addr, err)
		}
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d messages delivered", n)
	}
}

func TestSizeLimitCheckedBeforeSending(t *testing.T) {
	srv := startServer(t, smtptest.Options{MaxMessageBytes: 100})
	big := testMessage + strings.Repeat("x", 200) + "\r\n"
	_, err := Deliver(context.Background(), options(srv.Addr(), srv, nil), Envelope{From: "a@b", To: []string{"c@d"}}, []byte(big))
	if !errors.Is(err, ErrTooBig) {
		t.Fatalf("err = %v", err)
	}
}

func TestLocalAddrIsTheSendingAddress(t *testing.T) {
	srv := startServer(t, smtptest.Options{})
	o := options(srv.Addr(), srv, nil)
	o.LocalAddr = "127.0.0.2"
	d, err := Deliver(context.Background(), o, Envelope{From: "a@b", To: []string{"c@d"}}, []byte(testMessage))
	if err != nil {
		var ne *net.OpError
		if errors.As(err, &ne) {
			t.Skipf("cannot bind 127.0.0.2 here: %v", err)
		}
		t.Fatal(err)
	}
	host, _, _ := net.SplitHostPort(d.LocalAddr.String())
	if host != "127.0.0.2" {
		t.Errorf("LocalAddr = %v", d.LocalAddr)
	}
	if m := srv.Messages(); len(m) != 1 || !strings.HasPrefix(m[0].RemoteAddr, "127.0.0.2:") {
		t.Errorf("server saw %+v", m)
	}
}

func TestContextCancelInterruptsACommand(t *testing.T) {
	noLeaks(t)
	h := startHostile(t, smtptest.Behaviour{Mode: smtptest.Stall})
	o := options(h.Addr(), nil, nil)
	o.Timeouts.Command = time.Minute
	ctx, cancel := context.WithCancel(context.Background())
	c, err := Dial(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// The server never answers and a command may take a minute: only the
	// cancellation can end Hello, and its error says so.
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err = c.Hello(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want the cancellation", err)
	}
	if _, err := c.Mail(context.Background(), "a@b", MailOptions{}); !errors.Is(err, ErrBroken) {
		t.Errorf("after a cancelled command: %v, want ErrBroken", err)
	}
}

func TestCloseFromAnotherGoroutine(t *testing.T) {
	noLeaks(t)
	h := startHostile(t, smtptest.Behaviour{Mode: smtptest.Stall})
	rec := &recorder{}
	o := options(h.Addr(), nil, rec)
	o.Timeouts.Command = time.Minute
	c, err := Dial(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(100*time.Millisecond, func() { c.Close() })
	_, err = c.Hello(context.Background())
	if !errors.Is(err, ErrClosed) {
		t.Fatalf("err = %v", err)
	}
	if last := rec.all()[len(rec.all())-1]; last.Kind != KindError && last.Kind != KindDone {
		t.Errorf("last event %v", last.Kind)
	}
}

func TestDialErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	rec := &recorder{}
	_, err = Dial(context.Background(), options(addr, nil, rec))
	if st, ok := StageOf(err); !ok || st != smtpx.Connect {
		t.Fatalf("err = %v, stage %v", err, st)
	}
	if k := rec.all()[len(rec.all())-1].Kind; k != KindDone {
		t.Errorf("last event %v, want done", k)
	}
	for _, o := range []Options{{Addr: "no-port"}, {Addr: "a:25", Network: "udp"}, {Addr: "a:25", HELO: "bad name"}, {Addr: "a:25", TLSMode: "maybe"}} {
		if _, err := Dial(context.Background(), o); err == nil {
			t.Errorf("Dial(%+v) accepted", o)
		}
	}
}

func ExampleFormat() {
	fmt.Println(Format(Event{At: 1500 * time.Millisecond, Kind: KindSent, Secure: true, Lines: []string{"AUTH PLAIN ****"}}))
	fmt.Println(Format(Event{At: 1510 * time.Millisecond, Kind: KindReceived, Secure: true, Lines: []string{"550-5.7.1 first", "550 5.7.1 \x1b[2Jsecond"}}))
	fmt.Println(Format(Event{At: 2 * time.Second, Kind: KindError, Source: FromClient, Err: "smtp MAIL: server replied 550"}))
	fmt.Println(Format(Event{At: 3 * time.Second, Kind: KindInfo, Source: FromExim, Lines: []string{"exim: ** b@example.org: 550 no"}}))
	// Output:
	//    1.500s ~>  AUTH PLAIN ****
	//    1.510s <~  550-5.7.1 first
	//    1.510s <~  550 5.7.1 \e[2Jsecond
	//    2.000s »   smtp MAIL: server replied 550
	//    3.000s mta exim: ** b@example.org: 550 no
}

// The password goes only over TLS whose certificate verified: with an
// untrusted chain the session stops before AUTH, naming the certificate
// problem and the override; the override, a trusted chain, or a server
// that is this machine let it through.
func TestAuthOnlyOverVerifiedTLS(t *testing.T) {
	srv := startServer(t, smtptest.Options{Users: map[string]string{testUser: testPassword}})
	env := Envelope{From: "a@sender.test", To: []string{"b@rcpt.test"}, Auth: &Credentials{User: testUser, Password: testPassword}}
	send := func(change func(*Options)) (string, error) {
		rec := &recorder{}
		o := options(srv.Addr(), srv, rec)
		o.TLSMode = TLSStartTLS
		change(&o)
		_, err := Deliver(context.Background(), o, env, []byte(testMessage))
		assertNoSecret(t, rec)
		return rec.transcript(), err
	}
	untrusted := func(o *Options) { o.RootCAs = x509.NewCertPool() }

	tr, err := send(untrusted)
	if !errors.Is(err, ErrUnverifiedAuth) || !strings.Contains(err.Error(), "mx.test") ||
		!strings.Contains(err.Error(), "--auth-unverified-tls") || !strings.Contains(err.Error(), "unknown issuer") {
		t.Fatalf("untrusted chain: err = %v", err)
	}
	if st, _ := StageOf(err); st != smtpx.AUTH || strings.Contains(tr, "~>  AUTH") {
		t.Fatalf("stage %v; AUTH must not be sent:\n%s", st, tr)
	}
	for name, change := range map[string]func(*Options){
		"trusted chain": func(*Options) {},
		"override":      func(o *Options) { untrusted(o); o.AllowUnverifiedAuth = true },
		"loopback":      func(o *Options) { untrusted(o); o.ServerName = "127.0.0.1" },
		"localhost":     func(o *Options) { untrusted(o); o.ServerName = "localhost" },
	} {
		if tr, err := send(change); err != nil || !strings.Contains(tr, "~>  AUTH PLAIN ****") {
			t.Errorf("%s: err = %v\n%s", name, err, tr)
		}
	}
}

func TestLoopbackNames(t *testing.T) {
	for name, want := range map[string]bool{"localhost": true, "LOCALHOST.": true, "a.localhost": true, "127.0.0.1": true,
		"127.3.4.5": true, "::1": true, "[::1]": true, "::ffff:127.0.0.1": true,
		"mx.test": false, "localhost.example.com": false, "192.0.2.1": false, "": false} {
		if got := Loopback(name); got != want {
			t.Errorf("Loopback(%q) = %v", name, got)
		}
	}
}
