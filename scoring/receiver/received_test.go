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
