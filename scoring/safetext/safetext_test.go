package safetext

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestLineEscapesWhatATerminalWouldObey(t *testing.T) {
	for name, tc := range map[string]struct{ in, want string }{
		"plain text is kept":         {"250 mx.example.com", "250 mx.example.com"},
		"CSI colour becomes visible": {"\x1b[31mred", `\e[31mred`},
		"OSC 52 clipboard write":     {"\x1b]52;c;ZXZpbA==\x07", `\e]52;c;ZXZpbA==\x07`},
		"carriage return overwrite":  {"ok\rEVIL", `ok\rEVIL`},
		"backspace":                  {"a\bb", `a\x08b`},
		"8-bit CSI":                  {"\u009b31m", `\u009b31m`},
		"invalid UTF-8":              {"a\xffb", `a\xffb`},
		"bidi override":              {"abc\u202edef", `abc\u202edef`},
		"tab becomes a space":        {"a\tb", "a b"},
		"unicode letters are kept":   {"grüße 日本", "grüße 日本"},
		"DEL":                        {"a\x7f", `a\x7f`},
	} {
		t.Run(name, func(t *testing.T) {
			if got := Line(tc.in, 0); got != tc.want {
				t.Fatalf("Line(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestLineCapsLength(t *testing.T) {
	got := Line(strings.Repeat("x", 10_000_000), 100)
	if !strings.HasPrefix(got, strings.Repeat("x", 100)+"…[") || len(got) > 140 {
		t.Fatalf("capped line: %q", got[:min(len(got), 200)])
	}
}

func FuzzLine(f *testing.F) {
	for _, s := range []string{"", "\x1b[2J", "a\xff\xfe", "\u202e", "250-ok\r\n"} {
		f.Add(s, 10)
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		out := Line(s, max%200)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 out of %q", s)
		}
		for _, r := range out {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || isBidiControl(r) {
				t.Fatalf("control %U survived in %q", r, out)
			}
		}
	})
}
