package compose

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/headers"
)

var now = time.Date(2026, 3, 14, 10, 0, 0, 0, time.FixedZone("", 3600))

func draft() Message {
	return Message{
		From:    mail.Address{Name: "Alice Example", Address: "alice@example.com"},
		To:      []mail.Address{{Address: "bob@example.org"}},
		Subject: "Test message",
		Body:    "Hello Bob.\n",
	}
}

func render(t *testing.T, m Message) []byte {
	t.Helper()
	out, err := m.Render(now, "")
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	checkWire(t, out)
	return out
}

// checkWire asserts the properties every rendered message must have: CRLF
// only, lines within 998 octets, a header that parses.
func checkWire(t testing.TB, out []byte) {
	t.Helper()
	p := headers.Parse(out)
	if p.BareLFCount > 0 || len(p.BareCR) > 0 {
		t.Fatalf("bare LF/CR in output:\n%q", out)
	}
	if p.LongCount > 0 {
		t.Fatalf("line over 998 octets (%d)", p.Longest)
	}
	if len(p.Malformed) > 0 || !p.Separated {
		t.Fatalf("header does not parse: %+v\n%q", p.Malformed, out)
	}
}

func TestRenderPlainMessage(t *testing.T) {
	m := draft()
	m.MessageID = "<fixed@example.com>"
	got := string(render(t, m))
	want := "Date: Sat, 14 Mar 2026 10:00:00 +0100\r\n" +
		"From: \"Alice Example\" <alice@example.com>\r\n" +
		"To: <bob@example.org>\r\n" +
		"Subject: Test message\r\n" +
		"Message-ID: <fixed@example.com>\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=UTF-8\r\n" +
		"Content-Transfer-Encoding: 7bit\r\n" +
		"\r\n" +
		"Hello Bob.\r\n"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestRenderedMessagePassesTheHeaderChecks(t *testing.T) {
	m := draft()
	m.Subject = "Grüße aus Köln — a subject long enough to need folding across more than one line"
	m.Body = "Zeile eins\nline two with a very long tail " + strings.Repeat("lorem ipsum ", 100) + "\n"
	out, err := m.Render(time.Now(), "")
	if err != nil {
		t.Fatal(err)
	}
	checkWire(t, out)
	env := &scoring.Env{Evidence: scoring.Evidence{Message: out, Domain: "example.com"}}
	for _, r := range scoring.RunAll(context.Background(), env, headers.Checks()) {
		if r.Status != scoring.Pass {
			t.Errorf("%s: %s %q\n%s", r.ID, r.Status, r.Title, r.Detail)
		}
	}
}

func TestGeneratedMessageIDIsOnTheSendersDomain(t *testing.T) {
	re := regexp.MustCompile(`(?m)^Message-ID: <[a-z2-7]{24}@([^>]+)>\r$`)
	out := render(t, draft())
	if m := re.FindSubmatch(out); m == nil || string(m[1]) != "example.com" {
		t.Fatalf("no Message-ID on example.com in\n%s", out)
	}
	m := draft()
	out2, err := m.Render(now, "Mail.Example.NET.")
	if err != nil {
		t.Fatal(err)
	}
	if m := re.FindSubmatch(out2); m == nil || string(m[1]) != "mail.example.net" {
		t.Fatalf("domain argument not used:\n%s", out2)
	}
	if bytes.Equal(re.Find(out), re.Find(out2)) {
		t.Error("two renders made the same Message-ID")
	}
}

func TestMessageIDWithoutBracketsIsAccepted(t *testing.T) {
	m := draft()
	m.MessageID = "x.y@example.com"
	if !bytes.Contains(render(t, m), []byte("Message-ID: <x.y@example.com>\r\n")) {
		t.Error("brackets not added")
	}
}

func TestOmitTo(t *testing.T) {
	m := draft()
	m.Omit = map[string]bool{"to": true}
	out := render(t, m)
	if bytes.Contains(out, []byte("\nTo:")) {
		t.Fatalf("To: written although omitted:\n%s", out)
	}
	env := &scoring.Env{Evidence: scoring.Evidence{Message: out}}
	for _, r := range scoring.RunAll(context.Background(), env, headers.Checks()) {
		if r.ID == headers.IDTo && r.Status != scoring.Fail {
			t.Errorf("headers.to on the story's message: %s", r.Status)
		}
	}
	// Omitting To needs no recipient in the draft.
	m.To = nil
	render(t, m)
}

func TestOmitEveryStandardHeader(t *testing.T) {
	m := draft()
	m.Omit = map[string]bool{}
	for _, name := range Standard() {
		m.Omit[name] = true
	}
	got := string(render(t, m))
	if got != "\r\nHello Bob.\r\n" {
		t.Errorf("got %q", got)
	}
}

func TestOmittedHeaderCanBeWrittenByHand(t *testing.T) {
	m := draft()
	m.Omit = map[string]bool{"Date": true}
	m.Extra = []Header{{"Date", "yesterday at noon"}}
	out := render(t, m)
	if !bytes.Contains(out, []byte("\r\nDate: yesterday at noon\r\n")) || bytes.Count(out, []byte("Date:")) != 1 {
		t.Errorf("hand-written Date:\n%s", out)
	}
}

func TestValidationErrors(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(*Message)
		field string
		text  string
	}{
		{"CRLF in Subject is header injection", func(m *Message) { m.Subject = "hi\r\nBcc: victim@example.net" }, "Subject", "header injection"},
		{"bare LF in Subject", func(m *Message) { m.Subject = "hi\nX-Evil: 1" }, "Subject", "header injection"},
		{"bare CR in Subject", func(m *Message) { m.Subject = "hi\rX-Evil: 1" }, "Subject", "line break"},
		{"CRLF in display name", func(m *Message) { m.From.Name = "Alice\r\nBcc: x@y.example" }, "From name", "header injection"},
		{"CRLF in address", func(m *Message) { m.To[0].Address = "bob@example.org\r\nBcc: x@y.example" }, "To[0]", "header injection"},
		{"CRLF in extra value", func(m *Message) { m.Extra = []Header{{"X-Test", "a\r\nBcc: x@y.example"}} }, "Extra[0].Value", "header injection"},
		{"CRLF in extra name", func(m *Message) { m.Extra = []Header{{"X-Test\r\nBcc", "x"}} }, "Extra[0].Name", "header injection"},
		{"space in extra name", func(m *Message) { m.Extra = []Header{{"X Test", "x"}} }, "Extra[0].Name", "not a header name"},
		{"colon in extra name", func(m *Message) { m.Extra = []Header{{"X:Test", "x"}} }, "Extra[0].Name", "not a header name"},
		{"empty extra name", func(m *Message) { m.Extra = []Header{{"", "x"}} }, "Extra[0].Name", "not a header name"},
		{"extra duplicating a standard header", func(m *Message) { m.Extra = []Header{{"subject", "again"}} }, "Extra[0].Name", "omit subject first"},
		{"extra Bcc", func(m *Message) { m.Extra = []Header{{"BCC", "x@y.example"}} }, "Extra[0].Name", "blind"},
		{"control character in Subject", func(m *Message) { m.Subject = "bell\a" }, "Subject", "control character"},
		{"invalid UTF-8 Subject", func(m *Message) { m.Subject = "caf\xe9" }, "Subject", "UTF-8"},
		{"From without address", func(m *Message) { m.From = mail.Address{} }, "From", "no address"},
		{"From not an address", func(m *Message) { m.From.Address = "alice at example.com" }, "From", "local@domain"},
		{"From with two @", func(m *Message) { m.From.Address = "a@b@example.com" }, "From", "local@domain"},
		{"non-ASCII address", func(m *Message) { m.To[0].Address = "bob@bücher.example" }, "To[0]", "SMTPUTF8"},
		{"local part over 64", func(m *Message) { m.To[0].Address = strings.Repeat("a", 65) + "@example.org" }, "To[0]", "64"},
		{"no To and not omitted", func(m *Message) { m.To = nil }, "To", "no recipient"},
		{"bad Cc", func(m *Message) { m.Cc = []mail.Address{{Address: "carol"}} }, "Cc[0]", "local@domain"},
		{"bad Message-ID", func(m *Message) { m.MessageID = "<no at sign>" }, "MessageID", "RFC 5322"},
		{"unknown Omit name", func(m *Message) { m.Omit = map[string]bool{"Received": true} }, "Omit", "cannot be omitted"},
		{"NUL in body", func(m *Message) { m.Body = "a\x00b" }, "Body", "NUL"},
		{"invalid UTF-8 body", func(m *Message) { m.Body = "caf\xe9" }, "Body", "UTF-8"},
		{"body too big", func(m *Message) { m.Body = strings.Repeat("x", MaxBody+1) }, "Body", "limited"},
		{"unfoldable extra value", func(m *Message) { m.Extra = []Header{{"X-Long", strings.Repeat("z", 1000)}} }, "Extra[0].Value", "too long to fold"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := draft()
			c.edit(&m)
			before := clone(m)
			errs := m.Validate()
			if len(errs) == 0 {
				t.Fatal("no error")
			}
			var fe *FieldError
			if !errors.As(errs[0], &fe) {
				t.Fatalf("%T, want *FieldError", errs[0])
			}
			if fe.Field != c.field || !strings.Contains(fe.Problem, c.text) {
				t.Fatalf("%v, want field %s mentioning %q", errs, c.field, c.text)
			}
			out, err := m.Render(now, "")
			if out != nil || !errors.As(err, &fe) {
				t.Fatalf("Render: %v, %q", err, out)
			}
			if !reflect.DeepEqual(m, before) {
				t.Fatal("validation changed the draft")
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	m := Message{Subject: "a\nb", Body: "\x00", Omit: map[string]bool{"X": true}}
	if errs := m.Validate(); len(errs) != 5 { // Omit, From, To, Subject, Body
		t.Errorf("%d errors: %v", len(errs), errs)
	}
}

func TestRenderDoesNotChangeTheDraft(t *testing.T) {
	m := draft()
	m.Cc = []mail.Address{{Name: "Çarol", Address: "carol@example.org"}}
	m.Extra = []Header{{"X-Note", "naïve"}}
	m.Omit = map[string]bool{"Date": false}
	before := clone(m)
	render(t, m)
	if !reflect.DeepEqual(m, before) {
		t.Error("Render changed the draft")
	}
}

func TestNonASCIIHeadersAreEncodedWords(t *testing.T) {
	m := draft()
	m.From.Name = "Jürgen Müller"
	m.Subject = "Grüße — ünïcödé"
	m.Extra = []Header{{"X-Note", "naïve"}}
	out := render(t, m)
	if !isASCII(string(out)) {
		t.Fatalf("non-ASCII bytes in output:\n%s", out)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	dec := new(mime.WordDecoder)
	for name, want := range map[string]string{"Subject": m.Subject, "X-Note": "naïve"} {
		got, err := dec.DecodeHeader(msg.Header.Get(name))
		if err != nil || got != want {
			t.Errorf("%s decodes to %q (%v), want %q", name, got, err, want)
		}
	}
	from, err := msg.Header.AddressList("From")
	if err != nil || from[0].Name != "Jürgen Müller" || from[0].Address != "alice@example.com" {
		t.Errorf("From round trip: %v %v", from, err)
	}
}

func TestLiteralEncodedWordTextIsProtected(t *testing.T) {
	m := draft()
	m.Subject = "about =?utf-8?q?x?= syntax"
	out := render(t, m)
	msg, _ := mail.ReadMessage(bytes.NewReader(out))
	got, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || got != m.Subject {
		t.Errorf("decodes to %q (%v)", got, err)
	}
}

func TestLongHeadersAreFolded(t *testing.T) {
	m := draft()
	m.Subject = strings.Repeat("word ", 60)
	for i := 0; i < 12; i++ {
		m.To = append(m.To, mail.Address{Name: "Recipient Number", Address: "r@example.org"})
	}
	out := render(t, m)
	head := out[:bytes.Index(out, []byte("\r\n\r\n"))]
	for _, line := range strings.Split(string(head), "\r\n") {
		if len(line) > foldAt {
			t.Errorf("line of %d octets: %q", len(line), line)
		}
	}
	msg, err := mail.ReadMessage(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if got := msg.Header.Get("Subject"); got != strings.TrimSpace(m.Subject) {
		t.Errorf("unfolded Subject %q", got)
	}
	to, err := msg.Header.AddressList("To")
	if err != nil || len(to) != 13 {
		t.Errorf("To: %d addresses, %v", len(to), err)
	}
}

func TestUnbreakableSubjectIsEncodedNotRefused(t *testing.T) {
	for _, subject := range []string{strings.Repeat("x", 1500), strings.Repeat(" ", 1500) + "x"} {
		m := draft()
		m.Subject = subject
		out := render(t, m)
		msg, _ := mail.ReadMessage(bytes.NewReader(out))
		got, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		if got != strings.TrimSpace(m.Subject) && got != m.Subject {
			t.Errorf("long subject did not round trip: %q", got)
		}
	}
}

func TestBodyEncoding(t *testing.T) {
	cases := []struct {
		name, body, cte string
	}{
		{"ASCII stays 7bit", "plain\ntext\n", "7bit"},
		{"LF and CR become CRLF", "a\nb\rc\r\nd", "7bit"},
		{"998-octet line stays 7bit", strings.Repeat("x", 998), "7bit"},
		{"999-octet line needs QP", strings.Repeat("x", 999), "quoted-printable"},
		{"non-ASCII needs QP", "Grüße\nzweite Zeile\n", "quoted-printable"},
		{"trailing spaces and = survive QP", "é a=b \nend\t\n", "quoted-printable"},
		{"empty body", "", "7bit"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := draft()
			m.Body = c.body
			out := render(t, m)
			msg, err := mail.ReadMessage(bytes.NewReader(out))
			if err != nil {
				t.Fatal(err)
			}
			if got := msg.Header.Get("Content-Transfer-Encoding"); got != c.cte {
				t.Fatalf("CTE %s, want %s", got, c.cte)
			}
			var r io.Reader = msg.Body
			if c.cte == "quoted-printable" {
				r = quotedprintable.NewReader(r)
			}
			got, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			want := crlf(c.body)
			if string(got) != want {
				t.Errorf("round trip:\n got %q\nwant %q", got, want)
			}
		})
	}
}

func TestFoldUnfoldsToTheSameText(t *testing.T) {
	for _, v := range []string{
		"short",
		strings.Repeat("a b  c\td ", 40),
		strings.Repeat("y", 200) + " " + strings.Repeat("z", 10),
		"\"Quoted, Name\" <q@example.com>, " + strings.Repeat("<r@example.com>, ", 10) + "<s@example.com>",
	} {
		folded, longest := fold("X-Test", v)
		if got := strings.ReplaceAll(folded, "\r\n", ""); got != "X-Test: "+v {
			t.Errorf("unfolding changed the text:\n%q\n%q", got, "X-Test: "+v)
		}
		for _, line := range strings.Split(folded, "\r\n") {
			if strings.TrimSpace(line) == "" {
				t.Errorf("white-space-only line in %q", folded)
			}
			if len(line) > longest {
				t.Errorf("longest %d < %d", longest, len(line))
			}
		}
	}
}

func clone(m Message) Message {
	c := m
	c.To = append([]mail.Address(nil), m.To...)
	c.Cc = append([]mail.Address(nil), m.Cc...)
	c.Extra = append([]Header(nil), m.Extra...)
	if m.Omit != nil {
		c.Omit = map[string]bool{}
		for k, v := range m.Omit {
			c.Omit[k] = v
		}
	}
	return c
}

func FuzzRender(f *testing.F) {
	f.Add("Alice", "alice@example.com", "bob@example.org", "Subject", "X-Test", "value", "body\n", false)
	f.Add("Jürgen", "j@example.com", "b@example.org", "Grüße\r\nBcc: x@y", "X-A", "naïve", "é\r\n.\r\n", true)
	f.Add("", "a@b", "c@d", strings.Repeat("w ", 600), "X", strings.Repeat("v", 990), strings.Repeat("é", 2000), false)
	f.Add("\"q\"", "a@b.example", "", "=?utf-8?q?x?=", "Subject", "s", "\r\r\n\n", true)
	f.Fuzz(func(t *testing.T, name, from, to, subject, xname, xvalue, body string, omitTo bool) {
		m := Message{
			From:    mail.Address{Name: name, Address: from},
			Subject: subject,
			Extra:   []Header{{xname, xvalue}},
			Body:    body,
		}
		if to != "" {
			m.To = []mail.Address{{Address: to}}
		}
		if omitTo {
			m.Omit = map[string]bool{"To": true}
		}
		before := clone(m)
		out, err := m.Render(now, "example.com")
		if !reflect.DeepEqual(m, before) {
			t.Fatal("Render changed the draft")
		}
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *FieldError", err)
			}
			return
		}
		checkWire(t, out)
		if i := bytes.IndexByte(out, '\n'); i >= 0 && (i == 0 || out[i-1] != '\r') {
			t.Fatal("bare LF")
		}
		// No input can add a header field beyond those of the draft.
		p := headers.Parse(out)
		if n := len(p.Fields); n > len(Standard())+1 {
			t.Fatalf("%d header fields: injection?\n%s", n, out)
		}
		if p.Count("Bcc") > 0 {
			t.Fatalf("Bcc field injected:\n%s", out)
		}
	})
}
