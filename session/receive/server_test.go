package receive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/authres"

	"github.com/mailcred/mailcred/scoring/dnsx"
	"github.com/mailcred/mailcred/scoring/smtpx"
	"github.com/mailcred/mailcred/session/smtpc"
)

func TestScoresEachMessageAndRepliesWithTheScore(t *testing.T) {
	noLeaks(t)
	w := newWorld(t)
	s, got := start(t, w, nil)

	for _, tc := range []struct {
		name      string
		msg       []byte
		score     float64
		dkim, to  string
		authDKIM  string
		failReply string
	}{
		{"signed message from an authorised IP scores 10", w.message(t, true), 10, "pass", "pass", "dkim=pass", ""},
		// the demo's story: no DKIM (−1), no To: (−1.2), SPF aligned.
		{"unsigned message without To: scores 7.8 as mail-tester did", w.message(t, false, "To"), 7.8, "fail", "fail",
			"dkim=none", "(fail: dkim.signature headers.to)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(got.all())
			d, err := deliver(t, s, "alice@example.com", []string{"bob@example.org"}, tc.msg)
			if err != nil {
				t.Fatalf("deliver: %v", err)
			}
			reports := got.all()
			if len(reports) != before+1 {
				t.Fatalf("%d reports, want %d (the report is made before the reply)", len(reports), before+1)
			}
			rep := reports[before]
			if rep.Value != tc.score || rep.Max != 10 {
				t.Errorf("score %.1f/%g, want %.1f; results %+v", rep.Value, rep.Max, tc.score, rep.Results)
			}
			if st := status(rep, "dkim.signature"); st != tc.dkim {
				t.Errorf("dkim.signature %s, want %s", st, tc.dkim)
			}
			if st := status(rep, "headers.to"); st != tc.to {
				t.Errorf("headers.to %s, want %s", st, tc.to)
			}
			for _, id := range []string{"spf.result", "dmarc.alignment", "rdns.ptr", "rdns.fcrdns", "rdns.helo"} {
				if st := status(rep, id); st != "pass" {
					t.Errorf("%s: %s", id, st)
				}
			}
			if st := status(rep, "blocklist.ip"); st != "skip" {
				t.Errorf("blocklist.ip for 127.0.0.1: %s, want skip (not a public address)", st)
			}
			reply := d.Final
			wantText := fmt.Sprintf("scored %.1f/10, thank you", tc.score)
			if reply.Code != 250 || reply.Enhanced != "2.0.0" || !strings.HasPrefix(reply.Message(), wantText) {
				t.Errorf("end-of-data reply %q, want 250 2.0.0 %s", reply.Lines, wantText)
			}
			if tc.failReply != "" && !strings.Contains(reply.Message(), tc.failReply) {
				t.Errorf("reply %q lacks %q", reply.Message(), tc.failReply)
			}
			if !strings.HasPrefix(rep.Peer, "127.0.0.1:") || rep.HELO != "mail.example.com" ||
				rep.MailFrom != "alice@example.com" || len(rep.Rcpts) != 1 || rep.Rcpts[0] != "bob@example.org" ||
				rep.Size != len(tc.msg) || rep.Domain != "example.com" || rep.Received.IsZero() {
				t.Errorf("envelope in report: %+v", rep)
			}
			if !strings.HasPrefix(rep.TLS, "TLS 1.") || d.TLS == nil {
				t.Errorf("opportunistic STARTTLS with the self-signed certificate not used: report %q", rep.TLS)
			}
			id, res, err := authres.Parse(rep.AuthenticationResults)
			if err != nil || id != "mx.test" || len(res) < 3 {
				t.Errorf("Authentication-Results %q: %v", rep.AuthenticationResults, err)
			}
			if !strings.Contains(rep.AuthenticationResults, tc.authDKIM) {
				t.Errorf("Authentication-Results %q lacks %s", rep.AuthenticationResults, tc.authDKIM)
			}
		})
	}
	if !s.SelfSigned() || s.Certificate() == nil || s.Certificate().Subject.CommonName != "mx.test" {
		t.Errorf("generated certificate: self-signed %v, %v", s.SelfSigned(), s.Certificate())
	}
}

func TestRecipientsOutsideTheDomainsAreRefusedAsRelaying(t *testing.T) {
	noLeaks(t)
	w := newWorld(t)
	s, got := start(t, w, func(o *Options) { o.Domains = []string{"Example.ORG."} })

	_, err := deliver(t, s, "alice@example.com", []string{"victim@example.net"}, w.message(t, true))
	var re *smtpc.ReplyError
	if !errors.As(err, &re) || re.Stage != smtpx.RCPT || re.Reply.Code != 550 || re.Reply.Enhanced != "5.7.1" ||
		!strings.Contains(re.Reply.Message(), "relaying denied") {
		t.Fatalf("relay attempt: %v", err)
	}
	// A mixed envelope goes to the accepted recipient only.
	d, err := deliver(t, s, "alice@example.com", []string{"victim@example.net", "bob@example.org", "postmaster@EXAMPLE.org"}, w.message(t, true))
	if err != nil || len(d.Refused) != 1 || d.Refused["victim@example.net"] == nil {
		t.Fatalf("mixed envelope: %v, refused %v", err, d.Refused)
	}
	reps := got.all()
	if len(reps) != 1 || strings.Join(reps[0].Rcpts, ",") != "bob@example.org,postmaster@EXAMPLE.org" {
		t.Fatalf("reports %+v", reps)
	}
}

func TestOversizeMessagesGet552(t *testing.T) {
	noLeaks(t)
	w := newWorld(t)
	s, got := start(t, w, func(o *Options) { o.MaxMessageBytes = 2048; o.DisableTLS = true })
	big := append(w.message(t, false), []byte(strings.Repeat("0123456789abcdef\r\n", 200))...)

	t.Run("SIZE declared in MAIL FROM (RFC 1870)", func(t *testing.T) {
		_, tc, _, _ := dial(t, s.Addr().String())
		if _, msg := cmd(t, tc, "EHLO mail.example.com"); !strings.Contains(msg, "SIZE 2048") {
			t.Errorf("EHLO does not announce SIZE 2048: %q", msg)
		}
		if code, msg := cmd(t, tc, fmt.Sprintf("MAIL FROM:<alice@example.com> SIZE=%d", len(big))); code != 552 || !strings.HasPrefix(msg, "5.3.4") {
			t.Fatalf("MAIL with SIZE over the limit: %d %s", code, msg)
		}
	})
	t.Run("no SIZE: cut off in DATA", func(t *testing.T) {
		_, tc, _, _ := dial(t, s.Addr().String())
		cmd(t, tc, "EHLO mail.example.com")
		cmd(t, tc, "MAIL FROM:<alice@example.com>")
		cmd(t, tc, "RCPT TO:<bob@example.org>")
		if code, _ := cmd(t, tc, "DATA"); code != 354 {
			t.Fatalf("DATA: %d", code)
		}
		dw := tc.DotWriter()
		dw.Write(big)
		dw.Close()
		code, msg, _ := tc.ReadResponse(0)
		if code != 552 || !strings.HasPrefix(msg, "5.3.4") {
			t.Fatalf("end of data: %d %s", code, msg)
		}
		// The session goes on.
		if code, _ := cmd(t, tc, "NOOP"); code != 250 {
			t.Fatalf("NOOP after 552: %d", code)
		}
	})
	if n := len(got.all()); n != 0 {
		t.Errorf("%d reports of refused messages", n)
	}
}

func TestConcurrentSessionsAreBounded(t *testing.T) {
	noLeaks(t)
	w := newWorld(t)
	s, _ := start(t, w, func(o *Options) { o.MaxSessions = 3; o.MaxSessionsPerIP = 2; o.DisableTLS = true })
	addr := s.Addr().String()
	for i := 0; i < 2; i++ {
		if _, _, code, _ := dial(t, addr); code != 220 {
			t.Fatalf("session %d: greeting %d", i, code)
		}
	}
	c, _, code, msg := dial(t, addr)
	if code != 421 || !strings.HasPrefix(msg, "4.7.0") || !strings.Contains(msg, "from your network") {
		t.Fatalf("third session from one IP: %d %s", code, msg)
	}
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("refused connection left open: %v", err)
	}
	if n := s.Sessions(); n != 2 {
		t.Errorf("%d sessions open, want 2", n)
	}
}

func TestSessionLifetimeIsBounded(t *testing.T) {
	noLeaks(t)
	w := newWorld(t)
	s, _ := start(t, w, func(o *Options) { o.SessionTimeout = 200 * time.Millisecond; o.DisableTLS = true })
	c, tc, _, _ := dial(t, s.Addr().String())
	cmd(t, tc, "EHLO slow.example")
	start := time.Now()
	if _, err := io.ReadAll(c); err != nil {
		t.Fatalf("read: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("session ended after %v, want about 200ms", d)
	}
}

func TestStopsPromptlyOnCancelEvenWhileScoring(t *testing.T) {
	noLeaks(t)
	w := newWorld(t)
	w.dns.SetLatency(5 * time.Second) // every check waits on DNS
	ctx, cancel := context.WithCancel(context.Background())
	got := &reports{}
	s, err := Listen(ctx, "127.0.0.1:0", Options{Hostname: "mx.test", NewResolver: w.resolver, OnReport: got.add, DisableTLS: true})
	if err != nil {
		t.Fatal(err)
	}
	idle, _, _, _ := dial(t, s.Addr().String())
	delivered := make(chan error, 1)
	go func() {
		_, err := deliver(t, s, "alice@example.com", []string{"bob@example.org"}, w.message(t, true))
		delivered <- err
	}()
	// The message is in and being scored once the DKIM key it names is
	// asked (nothing before the end of DATA names it); that answer, like
	// every other, is five seconds away.
	asked := func() bool {
		for _, q := range w.dns.Log() {
			if strings.EqualFold(q.Name, "s1._domainkey.example.com.") {
				return true
			}
		}
		return false
	}
	for deadline := time.Now().Add(5 * time.Second); !asked() && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if !asked() {
		t.Fatal("the message's DKIM key was never asked: scoring did not start")
	}

	// Stopped while the answers are still on their way: no report of the
	// abandoned scoring, the delivery cut off (answers would have let both
	// finish).
	cancel()
	select {
	case <-s.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("server still running 30s after cancel")
	}
	if err := <-delivered; err == nil {
		t.Error("delivery in progress succeeded, want it cut off")
	}
	if _, err := idle.Read(make([]byte, 64)); err == nil {
		t.Error("idle session still open after Close")
	}
	if n := len(got.all()); n != 0 {
		t.Errorf("%d reports of abandoned scoring", n)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := Listen(ctx, "127.0.0.1:0", Options{}); err != nil {
		t.Errorf("Listen with a cancelled context: %v", err) // serves nothing, stops at once
	}
}

func TestHostileEnvelopeTextIsSanitisedInTheReport(t *testing.T) {
	noLeaks(t)
	w := newWorld(t)
	s, got := start(t, w, func(o *Options) { o.DisableTLS = true })
	_, tc, _, _ := dial(t, s.Addr().String())
	cmd(t, tc, "EHLO evil\x1b]0;pwned\x07.example")
	cmd(t, tc, "MAIL FROM:<alice@example.com>")
	cmd(t, tc, "RCPT TO:<\"\x1b[2J\"@example.org>")
	if code, _ := cmd(t, tc, "DATA"); code != 354 {
		t.Skip("go-smtp refused the hostile envelope before DATA; nothing reaches a report")
	}
	if code, msg := message(t, tc, w.message(t, false)); code != 250 {
		t.Fatalf("end of data: %d %s", code, msg)
	}
	reps := got.all()
	if len(reps) != 1 {
		t.Fatalf("%d reports, want 1", len(reps))
	}
	all := reps[0].HELO + reps[0].MailFrom + strings.Join(reps[0].Rcpts, "")
	if strings.ContainsAny(all, "\x1b\x07") || !strings.Contains(reps[0].HELO, `\e]0;pwned\x07`) {
		t.Errorf("report envelope not sanitised into visible escapes: %q", all)
	}
}

func TestOptionsAreChecked(t *testing.T) {
	for name, o := range map[string]Options{
		"hostname with a space": {Hostname: "mx test"},
		"domain with an @":      {Hostname: "mx.test", Domains: []string{"a@example.com"}},
		"empty domain":          {Hostname: "mx.test", Domains: []string{" "}},
	} {
		t.Run(name, func(t *testing.T) {
			if s, err := Listen(context.Background(), "127.0.0.1:0", o); err == nil {
				s.Close()
				t.Fatal("accepted")
			}
		})
	}
}

func TestUnusableResolverDefersWith451(t *testing.T) {
	noLeaks(t)
	w := newWorld(t)
	s, got := start(t, w, func(o *Options) {
		o.DisableTLS = true
		o.NewResolver = func(...string) (*dnsx.Resolver, error) { return nil, errors.New("no resolver") }
	})
	_, err := deliver(t, s, "alice@example.com", []string{"bob@example.org"}, w.message(t, true))
	var re *smtpc.ReplyError
	if !errors.As(err, &re) || re.Reply.Code != 451 || re.Reply.Enhanced != "4.3.0" {
		t.Fatalf("got %v, want 451 4.3.0", err)
	}
	if len(got.all()) != 0 {
		t.Error("report without a score")
	}
}
