package headers

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mailcred/mailcred/scoring"
)

var ev0 = scoring.Evidence{}

var testNow = time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)

// good is a well-formed message; cases below edit it.
const good = "Date: Sat, 14 Mar 2026 10:58:00 +0100\r\n" +
	"From: Alice Example <alice@example.com>\r\n" +
	"To: bob@example.org\r\n" +
	"Subject: Test message\r\n" +
	"Message-ID: <abc.123@example.com>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: text/plain; charset=UTF-8\r\n" +
	"Content-Transfer-Encoding: 7bit\r\n" +
	"\r\n" +
	"Hello Bob.\r\n"

// run runs every check on msg at testNow and returns the results by id.
func run(t *testing.T, msg string) map[string]scoring.Result {
	t.Helper()
	env := &scoring.Env{Evidence: scoring.Evidence{Message: []byte(msg), Domain: "example.com"}}
	out := map[string]scoring.Result{}
	for _, r := range scoring.RunAll(context.Background(), env, checks(func() time.Time { return testNow })) {
		out[r.ID] = r
	}
	return out
}

func replace(msg, old, new string) string {
	if !strings.Contains(msg, old) {
		panic("test case edits text that is not there: " + old)
	}
	return strings.Replace(msg, old, new, 1)
}

func TestGoodMessagePassesEverything(t *testing.T) {
	for id, r := range run(t, good) {
		if r.Status != scoring.Pass {
			t.Errorf("%s: %s %q\n%s", id, r.Status, r.Title, r.Detail)
		}
	}
}

func TestChecksSkipWithoutMessage(t *testing.T) {
	env := &scoring.Env{}
	for _, r := range scoring.RunAll(context.Background(), env, Checks()) {
		if r.Status != scoring.Skip {
			t.Errorf("%s: %s without a message, want skip", r.ID, r.Status)
		}
	}
}

func TestIDsAreTheCatalogueOnes(t *testing.T) {
	want := []string{IDFrom, IDTo, IDDate, IDMessageID, IDSubject, IDMIME, IDFormat}
	got := Checks()
	if len(got) != len(want) {
		t.Fatalf("%d checks, want %d", len(got), len(want))
	}
	for i, c := range got {
		if c.ID != want[i] {
			t.Errorf("check %d: %s, want %s", i, c.ID, want[i])
		}
	}
}

func TestCases(t *testing.T) {
	cases := []struct {
		name   string
		msg    string
		id     string
		status scoring.Status
		title  string // substring of the title
	}{
		{"missing To fails (the story's MISSING_HEADERS)", replace(good, "To: bob@example.org\r\n", ""), IDTo, scoring.Fail, "No To"},
		{"missing To fails even with Cc", replace(good, "To: bob@example.org\r\n", "Cc: bob@example.org\r\n"), IDTo, scoring.Fail, "No To"},
		{"undisclosed-recipients group passes", replace(good, "To: bob@example.org", "To: undisclosed-recipients:;"), IDTo, scoring.Pass, "empty group"},
		{"two To fields fail", replace(good, "To: bob@example.org\r\n", "To: bob@example.org\r\nTo: eve@example.net\r\n"), IDTo, scoring.Fail, "2 To"},
		{"two Cc fields fail", replace(good, "To: bob@example.org\r\n", "To: bob@example.org\r\nCc: a@b.example\r\nCc: c@d.example\r\n"), IDTo, scoring.Fail, "2 Cc"},
		{"unparseable To warns", replace(good, "To: bob@example.org", "To: bob@@example..org <"), IDTo, scoring.Warn, "does not parse"},
		{"several To recipients pass", replace(good, "To: bob@example.org", "To: bob@example.org, \"Carol, C.\" <carol@example.org>"), IDTo, scoring.Pass, "2 recipients"},

		{"missing From fails", replace(good, "From: Alice Example <alice@example.com>\r\n", ""), IDFrom, scoring.Fail, "No From"},
		{"two From fields fail", replace(good, "From: Alice", "From: mallory@evil.example\r\nFrom: Alice"), IDFrom, scoring.Fail, "2 From"},
		{"two addresses in From fail", replace(good, "From: Alice Example <alice@example.com>", "From: alice@example.com, carol@example.com"), IDFrom, scoring.Fail, "2 addresses"},
		{"unparseable From fails", replace(good, "From: Alice Example <alice@example.com>", "From: Alice <alice@>"), IDFrom, scoring.Fail, "does not parse"},
		{"raw UTF-8 display name warns", replace(good, "From: Alice Example", "From: Jürgen"), IDFrom, scoring.Warn, "8-bit"},
		{"encoded display name passes", replace(good, "From: Alice Example", "From: =?UTF-8?Q?J=C3=BCrgen?="), IDFrom, scoring.Pass, "alice@example.com"},
		{"folded From passes", replace(good, "From: Alice Example <alice@example.com>", "From: Alice Example\r\n <alice@example.com>"), IDFrom, scoring.Pass, "alice@example.com"},
		{"lower-case field name counts", replace(good, "From: Alice", "from: Alice"), IDFrom, scoring.Pass, "alice"},

		{"missing Date fails", replace(good, "Date: Sat, 14 Mar 2026 10:58:00 +0100\r\n", ""), IDDate, scoring.Fail, "No Date"},
		{"bad Date fails", replace(good, "Sat, 14 Mar 2026 10:58:00 +0100", "yesterday at noon"), IDDate, scoring.Fail, "does not parse"},
		{"future Date warns", replace(good, "10:58:00 +0100", "11:58:00 +0100"), IDDate, scoring.Warn, "in the future"},
		{"10 minutes ahead passes", replace(good, "10:58:00 +0100", "11:10:00 +0100"), IDDate, scoring.Pass, "Date:"},
		{"two-day-old Date warns", replace(good, "Sat, 14 Mar 2026", "Thu, 12 Mar 2026"), IDDate, scoring.Warn, "old"},
		{"two Date fields fail", replace(good, "Date: Sat", "Date: Sat, 14 Mar 2026 10:58:00 +0100\r\nDate: Sat"), IDDate, scoring.Fail, "2 Date"},

		{"missing Message-ID fails", replace(good, "Message-ID: <abc.123@example.com>\r\n", ""), IDMessageID, scoring.Fail, "No Message-ID"},
		{"Message-ID without brackets fails", replace(good, "<abc.123@example.com>", "abc.123@example.com"), IDMessageID, scoring.Fail, "not <left@right>"},
		{"Message-ID without @ fails", replace(good, "<abc.123@example.com>", "<abc.123>"), IDMessageID, scoring.Fail, "not <left@right>"},
		{"Message-ID with space fails", replace(good, "<abc.123@example.com>", "<abc 123@example.com>"), IDMessageID, scoring.Fail, "not <left@right>"},
		{"Message-ID on localhost warns", replace(good, "<abc.123@example.com>", "<abc.123@localhost>"), IDMessageID, scoring.Warn, "localhost"},
		{"Message-ID with domain literal passes", replace(good, "<abc.123@example.com>", "<abc.123@[192.0.2.1]>"), IDMessageID, scoring.Pass, "Message-ID"},
		{"Message-Id spelling counts", replace(good, "Message-ID:", "Message-Id:"), IDMessageID, scoring.Pass, "Message-ID"},

		{"missing Subject warns", replace(good, "Subject: Test message\r\n", ""), IDSubject, scoring.Warn, "No Subject"},
		{"empty Subject warns", replace(good, "Subject: Test message", "Subject:"), IDSubject, scoring.Warn, "empty"},
		{"raw 8-bit Subject warns", replace(good, "Subject: Test message", "Subject: Grüße"), IDSubject, scoring.Warn, "8-bit"},
		{"encoded Subject passes and is decoded", replace(good, "Subject: Test message", "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?="), IDSubject, scoring.Pass, "Grüße"},
		{"two Subject fields fail", replace(good, "Subject: Test", "Subject: one\r\nSubject: Test"), IDSubject, scoring.Fail, "2 Subject"},

		{"8-bit body declared 7bit fails", replace(good, "Hello Bob.", "Grüße, Bob."), IDMIME, scoring.Fail, "declared 7bit"},
		{"8-bit body with 8bit and charset passes", replace(replace(good, "Hello Bob.", "Grüße, Bob."), "7bit", "8bit"), IDMIME, scoring.Pass, "utf-8"},
		{"8-bit body without charset fails", replace(replace(replace(good, "Hello Bob.", "Grüße"), "7bit", "8bit"), "; charset=UTF-8", ""), IDMIME, scoring.Fail, "without a charset"},
		{"Content-Type without MIME-Version warns", replace(good, "MIME-Version: 1.0\r\n", ""), IDMIME, scoring.Warn, "without MIME-Version"},
		{"MIME-Version 2.0 fails", replace(good, "MIME-Version: 1.0", "MIME-Version: 2.0"), IDMIME, scoring.Fail, "not 1.0"},
		{"MIME-Version with comment passes", replace(good, "MIME-Version: 1.0", "MIME-Version: 1.0 (Generated by X)"), IDMIME, scoring.Pass, "text/plain"},
		{"broken Content-Type fails", replace(good, "text/plain; charset=UTF-8", "text/plain; charset"), IDMIME, scoring.Fail, "does not parse"},
		{"multipart without boundary fails", replace(good, "text/plain; charset=UTF-8", "multipart/mixed"), IDMIME, scoring.Fail, "boundary"},
		{"unknown transfer encoding fails", replace(good, "Content-Transfer-Encoding: 7bit", "Content-Transfer-Encoding: uuencode"), IDMIME, scoring.Fail, "Unknown"},
		{"Latin-1 body declared UTF-8 warns", replace(replace(good, "Hello Bob.", "Gr\xfc\xdfe"), "7bit", "8bit"), IDMIME, scoring.Warn, "not"},
		{"QP body with bad UTF-8 warns", replace(replace(good, "Hello Bob.", "Gr=FC=DFe"), "7bit", "quoted-printable"), IDMIME, scoring.Warn, "not"},
		{"ASCII message without MIME passes", replace(replace(replace(good, "MIME-Version: 1.0\r\n", ""), "Content-Type: text/plain; charset=UTF-8\r\n", ""), "Content-Transfer-Encoding: 7bit\r\n", ""), IDMIME, scoring.Pass, "ASCII"},
		{"8-bit body without MIME fails", replace(replace(replace(replace(good, "MIME-Version: 1.0\r\n", ""), "Content-Type: text/plain; charset=UTF-8\r\n", ""), "Content-Transfer-Encoding: 7bit\r\n", ""), "Hello", "Grüß"), IDMIME, scoring.Fail, "8-bit body"},
		{"two Content-Type fields fail", replace(good, "MIME-Version: 1.0\r\n", "MIME-Version: 1.0\r\nContent-Type: text/html\r\n"), IDMIME, scoring.Fail, "2 Content-Type"},

		{"bare LF fails", strings.ReplaceAll(good, "\r\n", "\n"), IDFormat, scoring.Fail, "bare LF"},
		{"one bare LF in the body fails", replace(good, "Hello Bob.\r\n", "Hello\nBob.\r\n"), IDFormat, scoring.Fail, "1 line end in a bare LF"},
		{"bare CR fails", replace(good, "Hello Bob.", "Hello\rBob."), IDFormat, scoring.Fail, "Bare CR"},
		{"line over 998 octets fails", replace(good, "Hello Bob.", strings.Repeat("x", 999)), IDFormat, scoring.Fail, "longer than 998"},
		{"line of exactly 998 octets passes", replace(good, "Hello Bob.", strings.Repeat("x", 998)), IDFormat, scoring.Pass, "clean"},
		{"NUL byte fails", replace(good, "Hello Bob.", "Hello\x00Bob."), IDFormat, scoring.Fail, "NUL"},
		{"header line without colon fails", replace(good, "Subject: Test message\r\n", "Subject: Test message\r\nthis is not a field\r\n"), IDFormat, scoring.Fail, "not fields"},
		{"two Reply-To fields fail", replace(good, "Subject:", "Reply-To: a@example.com\r\nReply-To: b@example.com\r\nSubject:"), IDFormat, scoring.Fail, "2 Reply-To"},
		{"Bcc field warns", replace(good, "Subject:", "Bcc: secret@example.net\r\nSubject:"), IDFormat, scoring.Warn, "Bcc"},
		{"over 10 MB warns", good + strings.Repeat("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\r\n", (10<<20)/64+1), IDFormat, scoring.Warn, "MiB"},
		{"not a message at all fails", "just some text\r\nwithout any header\r\n", IDFormat, scoring.Fail, "not fields"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := run(t, c.msg)[c.id]
			if r.Status != c.status || !strings.Contains(r.Title, c.title) {
				t.Fatalf("%s: %s %q, want %s with %q\n%s", c.id, r.Status, r.Title, c.status, c.title, r.Detail)
			}
			if (r.Status == scoring.Fail || r.Status == scoring.Warn) && (r.Fix == nil || r.Fix.Summary == "") {
				t.Errorf("%s %s without a fix", c.id, r.Status)
			}
			if r.Detail == "" && r.Status != scoring.Pass {
				t.Errorf("%s %s without a detail", c.id, r.Status)
			}
		})
	}
}

func TestMissingToFixMentionsTheField(t *testing.T) {
	r := run(t, replace(good, "To: bob@example.org\r\n", ""))[IDTo]
	if !strings.Contains(r.Fix.Snippet, "To:") || !strings.Contains(r.Detail, "MISSING_HEADERS") {
		t.Errorf("fix %+v, detail %q", r.Fix, r.Detail)
	}
}

func TestFormatListsSeveralProblems(t *testing.T) {
	msg := strings.ReplaceAll(replace(good, "Hello Bob.", strings.Repeat("y", 1200)), "\r\n", "\n")
	r := run(t, msg)[IDFormat]
	if r.Status != scoring.Fail || !strings.Contains(r.Title, "and 1 more") {
		t.Fatalf("%s %q", r.Status, r.Title)
	}
	if !strings.Contains(r.Detail, "bare LF") || !strings.Contains(r.Detail, "998") {
		t.Errorf("detail misses a problem:\n%s", r.Detail)
	}
}
