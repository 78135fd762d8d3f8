package mta

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailcred/mailcred/scoring/smtpx"
	"github.com/mailcred/mailcred/session/smtpc"
)

var fixedNow = func() time.Time { return time.Date(2026, 12, 6, 6, 0, 0, 0, time.UTC) }

// postfixLog is a delivery as postfix 3.7 logs it (syslog format): one
// line of another message in between, which must not be confused.
func postfixLog(qid, mid, status, detail string) []string {
	return []string{
		"Dec  6 06:00:16 vps postfix/pickup[812]: " + qid + ": uid=1000 from=<a@sender.test>",
		"Dec  6 06:00:16 vps postfix/cleanup[900]: " + qid + ": message-id=<" + mid + ">",
		"Dec  6 06:00:16 vps postfix/cleanup[900]: 9ZZZZZZZZZ: message-id=<other@sender.test>",
		"Dec  6 06:00:16 vps postfix/qmgr[813]: " + qid + ": from=<a@sender.test>, size=420, nrcpt=1 (queue active)",
		"Dec  6 06:00:16 vps postfix/smtp[901]: 9ZZZZZZZZZ: to=<c@x.test>, relay=mx.x.test[192.0.2.9]:25, delay=0.2, delays=0/0/0.1/0.1, dsn=2.0.0, status=sent (250 other)",
		"Dec  6 06:00:17 vps postfix/smtp[902]: " + qid + ": to=<b@x.test>, relay=mx.x.test[2001:db8::25]:25, delay=1.1, delays=0.1/0/0.5/0.5, dsn=" + status + " (" + detail + ")",
	}
}

func follow(lines []string, mid string) (*PostfixFollower, []smtpc.Event) {
	f := NewPostfixFollower(mid, 1, 300*time.Second, fixedNow)
	var events []smtpc.Event
	for _, l := range lines {
		events = append(events, f.Feed(l)...)
	}
	return f, events
}

func TestPostfixSent(t *testing.T) {
	f, events := follow(postfixLog("4F1A2B3C4D", "m1@sender.test", "2.0.0, status=sent", "250 2.0.0 OK 1733 queued as X"), "m1@sender.test")
	r := f.Result()
	if !f.Done() || r.Status != StatusDelivered || r.QueueID != "4F1A2B3C4D" || r.Reply.Code != 250 || r.Stage != smtpx.EndOfData {
		t.Fatalf("got %+v", r)
	}
	if r.Host != "mx.x.test" || r.Addr.String() != "[2001:db8::25]:25" {
		t.Errorf("relay %q %v", r.Host, r.Addr)
	}
	for _, e := range events {
		if strings.Contains(strings.Join(e.Lines, " "), "9ZZZZZZZZZ") || strings.Contains(strings.Join(e.Lines, " "), "250 other") {
			t.Errorf("another message's line in the transcript: %q", e.Lines)
		}
	}
}

func TestPostfixDeferredAndBounced(t *testing.T) {
	f, _ := follow(postfixLog("4F1A2B3C4D", "m2@sender.test", "4.7.1, status=deferred", "host mx.x.test[2001:db8::25] said: 450 4.7.1 Try again later (in reply to RCPT TO command)"), "m2@sender.test")
	r := f.Result()
	if r.Status != StatusDeferred || r.Stage != smtpx.RCPT || r.Reply.Code != 450 || r.Reply.Enhanced != "4.7.1" {
		t.Fatalf("deferred: %+v", r)
	}
	if !r.RetryAt.Equal(fixedNow().Add(300*time.Second)) || !strings.Contains(r.RetryNote, "minimal_backoff_time") {
		t.Errorf("retry %v %q", r.RetryAt, r.RetryNote)
	}
	f, _ = follow(postfixLog("4F1A2B3C4D", "m3@sender.test", "5.7.1, status=bounced", "host mx.x.test[2001:db8::25] said: 550-5.7.1 [2001:db8::5] The IP you're using to send mail is not authorized (in reply to end of DATA command)"), "m3@sender.test")
	if r := f.Result(); r.Status != StatusBounced || r.Stage != smtpx.EndOfData || r.Reply.Code != 550 {
		t.Fatalf("bounced: %+v", r)
	}
	f, _ = follow(postfixLog("4F1A2B3C4D", "m4@sender.test", "4.4.1, status=deferred", "connect to mx.x.test[192.0.2.1]:25: Connection timed out"), "m4@sender.test")
	if r := f.Result(); r.Status != StatusDeferred || r.Reply.Code != 0 || r.Reason != "connect to mx.x.test[192.0.2.1]:25: Connection timed out" {
		t.Fatalf("timeout: %+v", r)
	}
}

// The journal's short-iso form is read the same.
func TestPostfixJournalLine(t *testing.T) {
	l, ok := ParsePostfixLine("2026-12-06T06:00:17+0000 vps postfix/smtp[902]: 4F1A2B3C4D: to=<b@x.test>, relay=none, delay=30, delays=0/0/30/0, dsn=4.4.1, status=deferred (connect to mx.x.test[192.0.2.1]:25: Connection timed out)")
	if !ok || l.Program != "smtp" || l.Fields["status"] != "deferred" || l.Fields["to"] != "<b@x.test>" || !strings.HasPrefix(l.Detail, "connect to") {
		t.Errorf("got %+v %v", l, ok)
	}
}

// Deliver through a stand-in for postfix's sendmail: a script that logs
// what postfix would into a log file. The real postfix is in the interop
// tests; this proves the following (log from its end, queue ID by
// Message-ID, the end of the delivery) without it.
func TestDeliverPostfixFollowsTheLog(t *testing.T) {
	dir := t.TempDir()
	logFile := filepath.Join(dir, "mail.log")
	if err := os.WriteFile(logFile, []byte("Dec  6 05:00:00 vps postfix/cleanup[1]: 1AAAAAAAAA: message-id=<m5@sender.test>\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "sendmail")
	lines := postfixLog("5B5B5B5B5B", "m5@sender.test", "2.0.0, status=sent", "250 2.0.0 OK")
	body := "#!/bin/sh\ncat >/dev/null\n"
	for _, l := range lines {
		body += fmt.Sprintf("printf '%%s\\n' %q >> %s\n", l, logFile)
	}
	if err := os.WriteFile(script, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var events []smtpc.Event
	r, err := Deliver(ctx, Options{Command: Command{Kind: Postfix, Argv: []string{script}}, Log: LogSource{File: logFile}, Backoff: time.Minute,
		Events: func(e smtpc.Event) { events = append(events, e) }}, "a@sender.test", []string{"b@x.test"},
		[]byte("From: a@sender.test\r\nMessage-ID: <m5@sender.test>\r\n\r\nhi\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != StatusDelivered || r.QueueID != "5B5B5B5B5B" {
		t.Fatalf("got %+v, want delivered as 5B5B5B5B5B (not the older 1AAAAAAAAA line)", r)
	}
	if events[len(events)-1].Kind != smtpc.KindDone {
		t.Errorf("last event %+v", events[len(events)-1])
	}
}

func FuzzPostfixFollower(f *testing.F) {
	for _, l := range postfixLog("4F1A2B3C4D", "m@x", "4.7.1, status=deferred", "host a[192.0.2.1] said: 450 4.7.1 x (in reply to RCPT TO command)") {
		f.Add(l)
	}
	f.Fuzz(func(t *testing.T, line string) {
		fl := NewPostfixFollower("m@x", 1, time.Minute, fixedNow)
		fl.Feed("Dec  6 06:00:16 vps postfix/cleanup[900]: 4F1A2B3C4D: message-id=<m@x>")
		for _, e := range fl.Feed(line) {
			checkEvent(t, e)
		}
		if r := fl.Result(); r.Status == StatusDelivered && !strings.Contains(line, "status=sent") {
			t.Fatalf("delivered from %q", line)
		}
	})
}

// The journald source reads `journalctl -f`'s output: here a stand-in
// journalctl on PATH that prints postfix's lines in journalctl's
// short-iso form, as the real one does for SYSLOG_FACILITY=2.
func TestJournalSource(t *testing.T) {
	dir := t.TempDir()
	var body strings.Builder
	body.WriteString("#!/bin/sh\n")
	for _, l := range postfixLog("6C6C6C6C6C", "m6@sender.test", "2.0.0, status=sent", "250 2.0.0 OK") {
		_, rest, _ := strings.Cut(l, " vps ")
		fmt.Fprintf(&body, "printf '%%s\\n' %q\n", "2026-12-06T06:00:17+0000 vps "+rest)
	}
	body.WriteString("sleep 30\n")
	if err := os.WriteFile(filepath.Join(dir, "journalctl"), []byte(body.String()), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+":"+os.Getenv("PATH"))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	lines, err := LogSource{Journal: true}.lines(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f := NewPostfixFollower("m6@sender.test", 1, time.Minute, fixedNow)
	for l := range lines {
		f.Feed(l)
		if f.Done() {
			break
		}
	}
	cancel()
	if r := f.Result(); r.Status != StatusDelivered || r.QueueID != "6C6C6C6C6C" {
		t.Fatalf("%+v", r)
	}
}
