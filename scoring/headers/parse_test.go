package headers

import (
	"bytes"
	"strings"
	"testing"
)

func TestParseFieldsAndFolding(t *testing.T) {
	raw := "Subject: a\r\n  folded\r\n\tsubject\r\nX-Empty:\r\nFrom : obs@example.com\r\n\r\nbody\r\n"
	m := Parse([]byte(raw))
	if len(m.Fields) != 3 {
		t.Fatalf("%d fields: %+v", len(m.Fields), m.Fields)
	}
	if got := m.Fields[0].Value; got != "a  folded\tsubject" {
		t.Errorf("unfolded value %q", got)
	}
	if got := m.Fields[0].Raw; got != "Subject: a\r\n  folded\r\n\tsubject" {
		t.Errorf("raw %q", got)
	}
	if m.Fields[1].Value != "" || m.Fields[2].Name != "From" || m.Fields[2].Line != 5 {
		t.Errorf("fields %+v", m.Fields)
	}
	if !m.Separated || string(m.Body) != "body\r\n" {
		t.Errorf("body %q separated %v", m.Body, m.Separated)
	}
	if m.BareLFCount != 0 || m.LongCount != 0 || len(m.Malformed) != 0 {
		t.Errorf("unexpected problems %+v", m)
	}
}

func TestParseHeaderOnlyAndEmpty(t *testing.T) {
	m := Parse([]byte("From: a@example.com\r\n"))
	if m.Separated || m.Body != nil || len(m.Fields) != 1 {
		t.Errorf("%+v", m)
	}
	m = Parse(nil)
	if m.Lines != 0 || len(m.Fields) != 0 {
		t.Errorf("%+v", m)
	}
	m = Parse([]byte("From: a@example.com\r\n\r\n"))
	if !m.Separated || m.Body == nil || len(m.Body) != 0 {
		t.Errorf("empty body: %+v", m)
	}
}

func TestParseCountsAreExactBeyondTheExamples(t *testing.T) {
	raw := "From: a@example.com\n\n" + strings.Repeat("line\n", 100)
	m := Parse([]byte(raw))
	if m.BareLFCount != 102 || len(m.BareLF) != keep {
		t.Errorf("count %d, kept %d", m.BareLFCount, len(m.BareLF))
	}
}

func TestParseContinuationBeforeAnyField(t *testing.T) {
	m := Parse([]byte(" leading continuation\r\nFrom: a@example.com\r\n\r\n"))
	if len(m.Malformed) != 1 || m.Malformed[0].Line != 1 || len(m.Fields) != 1 {
		t.Errorf("%+v", m)
	}
}

func TestParseMessageID(t *testing.T) {
	good := []string{"<a@b>", " <a.b.c@example.com> ", "<x+y=z@[127.0.0.1]>"}
	bad := []string{"", "<>", "a@b", "<a>", "<@b>", "<a@>", "<a..b@c>", "<a@b c>", "<a b@c>", "<\"q\"@c>"}
	for _, v := range good {
		if _, _, err := ParseMessageID(v); err != nil {
			t.Errorf("%q: %v", v, err)
		}
	}
	for _, v := range bad {
		if _, _, err := ParseMessageID(v); err == nil {
			t.Errorf("%q accepted", v)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte("a\r\n b\r\n\r\n"))
	f.Add([]byte("\r\r\n\n\x00:\r\n"))
	f.Add(bytes.Repeat([]byte("x"), 1200))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m := Parse(raw)
		if m.Size != len(raw) || len(m.BareLF) > keep || len(m.LongLines) > keep || len(m.Malformed) > keep {
			t.Fatalf("bad bookkeeping %+v", m)
		}
		for _, f := range m.Fields {
			if !ValidName(f.Name) {
				t.Fatalf("invalid name %q accepted", f.Name)
			}
		}
		// Every check must cope with whatever Parse returns.
		for _, run := range []func(*Message) string{
			func(m *Message) string { return checkFrom(m, ev0, testNow).Title },
			func(m *Message) string { return checkTo(m, ev0, testNow).Title },
			func(m *Message) string { return checkDate(m, ev0, testNow).Title },
			func(m *Message) string { return checkMessageID(m, ev0, testNow).Title },
			func(m *Message) string { return checkSubject(m, ev0, testNow).Title },
			func(m *Message) string { return checkMIME(m, ev0, testNow).Title },
			func(m *Message) string { return checkFormat(m, ev0, testNow).Title },
		} {
			if run(m) == "" {
				t.Fatal("empty title")
			}
		}
	})
}
