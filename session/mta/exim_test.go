package mta

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailcred/mailcred/scoring/smtpx"
	"github.com/mailcred/mailcred/session/smtpc"
)

// parseFile feeds a recorded `exim -v -odf` output (made by exim 4.96
// against loopback servers) through a parser.
func parseFile(t *testing.T, name string) (Result, []smtpc.Event) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "exim", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := NewEximParser()
	var events []smtpc.Event
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		events = append(events, p.Feed(sc.Text())...)
	}
	events = append(events, p.Flush()...)
	return p.Result(), events
}

// dialogue is the sent and received lines, one string per event, with
// ~ marking TLS.
func dialogue(events []smtpc.Event) []string {
	var out []string
	for _, e := range events {
		mark := ""
		switch e.Kind {
		case smtpc.KindSent:
			mark = "->"
		case smtpc.KindReceived:
			mark = "<-"
		default:
			continue
		}
		if e.Secure {
			mark = strings.ReplaceAll(mark, "-", "~")
		}
		out = append(out, mark+" "+e.Lines[0])
	}
	return out
}

func TestEximDelivered(t *testing.T) {
	r, events := parseFile(t, "delivered.txt")
	if r.Status != StatusDelivered || r.QueueID != "1xa5Kj-00068h-2E" {
		t.Fatalf("status %v id %q, want delivered 1xa5Kj-00068h-2E", r.Status, r.QueueID)
	}
	if r.Stage != smtpx.EndOfData || r.Reply.Code != 250 || r.Reply.Enhanced != "2.0.0" {
		t.Errorf("deciding reply %v at %v, want 250 2.0.0 at end of data", r.Reply, r.Stage)
	}
	if r.HELO != "mail.sender.test" || r.Addr.String() != "127.0.0.1:2525" || r.Host != "127.0.0.1" {
		t.Errorf("HELO %q addr %v host %q", r.HELO, r.Addr, r.Host)
	}
	want := []string{"<- 220 capture ESMTP", "-> EHLO mail.sender.test", "<- 250-capture", "-> MAIL FROM:<a@sender.test> SIZE=1340",
		"<- 250 OK", "-> RCPT TO:<b@x.test>", "<- 250 OK", "-> DATA", "<- 354 go", "-> .", "<- 250 2.0.0 OK queued as X", "-> QUIT", "<- 221 bye"}
	if got := dialogue(events); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("dialogue:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, e := range events {
		if e.Kind == smtpc.KindReceived && e.Code == 250 && strings.HasPrefix(e.Lines[0], "250-capture") && len(e.Lines) != 3 {
			t.Errorf("the EHLO reply has %d lines, want 3: %q", len(e.Lines), e.Lines)
		}
		if e.Kind == smtpc.KindInfo && strings.Contains(e.Lines[0], "lost privilege") {
			// exim's own complaint about -C is shown, not hidden
			return
		}
	}
	t.Error("exim's own log line about -C is not in the transcript")
}

// Pipelined commands (SMTP|>) get their replies later, in order: each
// reply is tagged with the stage of the command it answers, and all is
// under TLS after the 220 to STARTTLS.
func TestEximPipelinedTLS(t *testing.T) {
	r, events := parseFile(t, "delivered-tls-pipelined.txt")
	if r.Status != StatusDelivered || r.TLS == nil || r.TLS.Version != "TLS 1.3" || r.TLS.Verified {
		t.Fatalf("status %v TLS %+v, want delivered over TLS 1.3, not verified (CV=no)", r.Status, r.TLS)
	}
	if r.Reply.Code != 250 || !strings.Contains(r.Reply.Lines[0], "OK: queued") {
		t.Errorf("deciding reply %v, want the C= reply", r.Reply)
	}
	d := dialogue(events)
	want := []string{"~> MAIL FROM:<a@sender.test> SIZE=1340", "~> RCPT TO:<b@x.test>", "~> BDAT 1153 LAST", "~> QUIT",
		"<~ 250 2.0.0 Roger, accepting mail from <a@sender.test>", "<~ 250 2.0.0 I'll make sure <b@x.test> gets this",
		"<~ 250 2.0.0 OK: queued", "<~ 221 2.0.0 Bye"}
	if got := strings.Join(d[len(d)-len(want):], "\n"); got != strings.Join(want, "\n") {
		t.Errorf("pipelined tail:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
	if d[3] != "-> STARTTLS" || d[4] != "<- 220 2.0.0 Ready to start TLS" || d[5] != "~> EHLO mail.sender.test" {
		t.Errorf("STARTTLS exchange: %q", d[3:6])
	}
}

func TestEximDeferredAtRCPT(t *testing.T) {
	r, _ := parseFile(t, "deferred-rcpt.txt")
	if r.Status != StatusDeferred || r.Stage != smtpx.RCPT || r.Reply.Code != 450 || r.Reply.Enhanced != "4.7.1" {
		t.Fatalf("got %v %v %v, want deferred with 450 4.7.1 at RCPT", r.Status, r.Stage, r.Reply)
	}
	if !strings.Contains(r.Reason, "450 4.7.1 go away later") {
		t.Errorf("reason %q", r.Reason)
	}
}

// The remote refusal bounces the message; exim's bounce to the sender is
// refused too and frozen: the message is reported bounced with the
// remote's reason, the frozen bounce as a note.
func TestEximBouncedAndFrozenBounce(t *testing.T) {
	r, events := parseFile(t, "bounced-frozen-bounce.txt")
	if r.Status != StatusBounced || r.Stage != smtpx.RCPT || r.Reply.Code != 550 || r.QueueID != "1xa5Kj-00068t-2i" {
		t.Fatalf("got %v %v %v %q, want bounced, 550 at RCPT, the first message's ID", r.Status, r.Stage, r.Reply, r.QueueID)
	}
	frozen := false
	for _, n := range r.Notes {
		frozen = frozen || strings.Contains(n, "froze 1xa5Kj-00068w-2w")
	}
	if !frozen {
		t.Errorf("notes %q do not say the bounce was frozen", r.Notes)
	}
	for _, e := range dialogue(events) {
		if strings.Contains(e, "MAIL FROM:<>") {
			t.Errorf("the bounce's own dialogue is in the transcript: %q", e)
		}
	}
}

// The case of a Debian exim set up for local mail only: no SMTP at all,
// a bounce made by a router — reported bounced, never accepted.
func TestEximBouncedByRouter(t *testing.T) {
	r, _ := parseFile(t, "bounced-nonlocal.txt")
	if r.Status != StatusBounced || r.Reason != "Mailing to remote domains not supported" || r.Reply.Code != 0 {
		t.Fatalf("got %v %q %v, want bounced with the router's reason and no remote reply", r.Status, r.Reason, r.Reply)
	}
}

func TestEximConnectionRefusedAndRetryNotReached(t *testing.T) {
	r, events := parseFile(t, "connection-refused.txt")
	if r.Status != StatusDeferred || r.Reason != "Connection refused" {
		t.Errorf("refused: %v %q, want deferred, Connection refused", r.Status, r.Reason)
	}
	found := false
	for _, e := range events {
		found = found || e.Kind == smtpc.KindError && strings.Contains(e.Err, "smtp connect: Connection refused")
	}
	if !found {
		t.Error("no error event at connect")
	}
	r, _ = parseFile(t, "retry-not-reached.txt")
	if r.Status != StatusDeferred || !strings.Contains(r.Reason, "retry time not reached for any host") {
		t.Errorf("retry not reached: %v %q", r.Status, r.Reason)
	}
}

// Exim's frozen message of its own (not a bounce's) is frozen, and an
// AUTH exchange never shows the credentials.
func TestEximFrozenAndAuthMasked(t *testing.T) {
	p := NewEximParser()
	var events []smtpc.Event
	for _, l := range []string{
		"delivering 1abcDE-000001-AB",
		"Connecting to smtp.example.net [192.0.2.7]:587 from [192.0.2.1] ...",
		" connected",
		"  SMTP<< 220 hi",
		"  SMTP>> AUTH PLAIN AGFsaWNlAHNlY3JldA==",
		"  SMTP<< 235 ok",
		"  SMTP>> AUTH LOGIN",
		"  SMTP<< 334 VXNlcm5hbWU6",
		"  SMTP>> YWxpY2U=",
		"  SMTP<< 334 UGFzc3dvcmQ6",
		"  SMTP>> c2VjcmV0",
		"  SMTP<< 235 ok",
		"LOG: MAIN",
		"  Frozen (too many Received: headers)",
	} {
		events = append(events, p.Feed(l)...)
	}
	r := p.Result()
	if r.Status != StatusFrozen || r.Reason != "too many Received: headers" || r.Local.Addr().String() != "192.0.2.1" {
		t.Errorf("got %v %q local %v", r.Status, r.Reason, r.Local)
	}
	for _, e := range events {
		for _, l := range e.Lines {
			if strings.Contains(l, "AGFsaWNl") || strings.Contains(l, "YWxpY2U") || strings.Contains(l, "c2VjcmV0") {
				t.Errorf("credentials in the transcript: %q", l)
			}
		}
	}
}

// Hostile output: escape sequences are neutralised, a flood of
// continuation lines is bounded, an endless line is cut.
func TestEximHostileOutput(t *testing.T) {
	p := NewEximParser()
	var events []smtpc.Event
	events = append(events, p.Feed("delivering 1abcDE-000001-AB")...)
	events = append(events, p.Feed("  SMTP<< 250-\x1b]0;pwned\x07evil")...)
	for i := 0; i < 10000; i++ {
		events = append(events, p.Feed("         250-more")...)
	}
	events = append(events, p.Feed("         250 "+strings.Repeat("x", 1<<20))...)
	events = append(events, p.Flush()...)
	for _, e := range events {
		if len(e.Lines) > maxReplyLines {
			t.Errorf("a reply of %d lines", len(e.Lines))
		}
		for _, l := range e.Lines {
			if strings.ContainsAny(l, "\x1b\x07") || len(l) > 4*smtpc.DisplayLineMax {
				t.Errorf("unsafe line of %d bytes: %.60q", len(l), l)
			}
		}
	}
	if p.Result().Status != StatusUnknown {
		t.Errorf("status %v from no log line, want unknown", p.Result().Status)
	}
}

func FuzzEximParser(f *testing.F) {
	entries, _ := os.ReadDir(filepath.Join("testdata", "exim"))
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join("testdata", "exim", e.Name()))
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, out string) {
		p := NewEximParser()
		for _, l := range strings.Split(out, "\n") {
			for _, e := range p.Feed(l) {
				checkEvent(t, e)
			}
		}
		for _, e := range p.Flush() {
			checkEvent(t, e)
		}
		r := p.Result()
		if r.Status == StatusDelivered && !strings.Contains(out, "=>") && !strings.Contains(out, "->") {
			t.Errorf("delivered without a delivery line")
		}
		if len(r.Notes) > maxNotes {
			t.Errorf("%d notes", len(r.Notes))
		}
	})
}

func checkEvent(t *testing.T, e smtpc.Event) {
	t.Helper()
	if len(e.Lines) > maxReplyLines {
		t.Fatalf("event of %d lines", len(e.Lines))
	}
	for _, l := range append(e.Lines, e.Err) {
		if strings.ContainsAny(l, "\x1b\x07\r\n") {
			t.Fatalf("unsafe text %q", l)
		}
	}
}
