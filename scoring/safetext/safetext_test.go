package safetext

import (
	"encoding/json"
	"reflect"
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
		"zero-width space":           {"pay\u200bpal", `pay\u200bpal`},
		"zero-width joiner":          {"a\u200db", `a\u200db`},
		"byte order mark":            {"\ufeffv=spf1", `\ufeffv=spf1`},
		"tag characters":             {"ok\U000E0041\U000E0042", `ok\U000e0041\U000e0042`},
		"line separator":             {"a\u2028b\u2029c", `a\u2028b\u2029c`},
		"isolate":                    {"\u2067x\u2069", `\u2067x\u2069`},
		"soft hyphen":                {"ex\u00adample", `ex\u00adample`},
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
			if r < 0x20 || r == 0x7f || Hidden(r) {
				t.Fatalf("control %U survived in %q", r, out)
			}
		}
	})
}

func TestJSONEscapesHiddenCharacters(t *testing.T) {
	v := map[string]string{"t": "csi\u009b31m rlo\u202e zw\u200b bom\ufeff tag\U000E0041 ls\u2028 ok é 日本"}
	raw, _ := json.Marshal(v)
	out := JSON(raw)
	for _, r := range string(out) {
		if Hidden(r) {
			t.Fatalf("%U left raw in %s", r, out)
		}
	}
	for _, want := range []string{`\u009b`, `\u202e`, `\u200b`, `\ufeff`, `\udb40\udc41`, `\u2028`, "é 日本"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("%s lacks %s", out, want)
		}
	}
	var back map[string]string
	if err := json.Unmarshal(out, &back); err != nil || back["t"] != v["t"] {
		t.Fatalf("round trip: %v %q", err, back["t"])
	}
}

func FuzzJSON(f *testing.F) {
	for _, s := range []string{"", "\u009b[2J", "\u202e", "\U000E0041", "a\xff", "\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		raw, err := json.Marshal(map[string]string{s: s})
		if err != nil {
			t.Skip()
		}
		out := JSON(raw)
		for _, r := range string(out) {
			if Hidden(r) || r < 0x20 {
				t.Fatalf("%U left raw in %q", r, out)
			}
		}
		var a, b any
		if json.Unmarshal(raw, &a) != nil || json.Unmarshal(out, &b) != nil || !reflect.DeepEqual(a, b) {
			t.Fatalf("JSON(%q) = %q changes the document", raw, out)
		}
	})
}
