package receiver

import (
	"bytes"
	"testing"
)

func TestToCRLF(t *testing.T) {
	for in, want := range map[string]string{
		"a\nb\n":     "a\r\nb\r\n",
		"a\r\nb\n":   "a\r\nb\r\n",
		"a\r\nb\r\n": "a\r\nb\r\n",
		"\n":         "\r\n",
	} {
		if got, _ := ToCRLF([]byte(in)); string(got) != want {
			t.Errorf("ToCRLF(%q) = %q", in, got)
		}
	}
}

func FuzzToCRLF(f *testing.F) {
	for _, s := range []string{"", "\n", "a\r\nb\nc\r", "\r\n\n\r\r\n", "From: a\n\nbody"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		out, n := ToCRLF(raw)
		if c := bareLFs(raw); c != n {
			t.Fatalf("bareLFs %d, ToCRLF converted %d", c, n)
		}
		if len(out) != len(raw)+n {
			t.Fatalf("len %d, want %d+%d", len(out), len(raw), n)
		}
		if bytes.Count(out, []byte("\n")) != bytes.Count(out, []byte("\r\n")) {
			t.Fatalf("bare LF left in %q", out)
		}
		if !bytes.Equal(bytes.ReplaceAll(out, []byte("\r\n"), []byte("\n")), bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n"))) {
			t.Fatalf("content changed: %q → %q", raw, out)
		}
	})
}

func TestHeaderCRLF(t *testing.T) {
	for in, want := range map[string]string{
		"From: a@example.com\n\nbody\n":          "From: a@example.com\r\n\r\n",
		"From: a@example.com\r\n\r\nbody\n\n":    "From: a@example.com\r\n\r\n",
		"From: a@example.com\nTo: b@example.org": "From: a@example.com\r\nTo: b@example.org",
		"\nbody":                                 "\r\n",
	} {
		if got := HeaderCRLF([]byte(in)); string(got) != want {
			t.Errorf("HeaderCRLF(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzHeaderCRLF: the header section alone says what the whole message
// says about its author, and is the start of the whole CRLF form.
func FuzzHeaderCRLF(f *testing.F) {
	for _, s := range []string{"From: a@example.com\n\nbody", "From: a@b.example\r\nFrom: c@d.example\r\n\r\n", "\r\n\n", "From: a@example.com\n\r\nFrom: x@y.example\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		h := HeaderCRLF(raw)
		all, _ := ToCRLF(raw)
		if !bytes.HasPrefix(all, h) {
			t.Fatalf("%q is not the start of %q", h, all)
		}
		a1, d1, p1 := AuthorAddress(h)
		a2, d2, p2 := AuthorAddress(all)
		if a1 != a2 || d1 != d2 || p1 != p2 {
			t.Fatalf("author from the header section %q %q %q, from the message %q %q %q", a1, d1, p1, a2, d2, p2)
		}
	})
}
