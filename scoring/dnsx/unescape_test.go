package dnsx

import "testing"

func TestUnescapeTXT(t *testing.T) {
	for in, want := range map[string]string{
		`plain`:           "plain",
		`a\"b\\c`:         `a"b\c`,
		`\239\187\191x`:   "\xef\xbb\xbfx",
		`v=spf1 a\013ptr`: "v=spf1 a\rptr",
		`trailing\`:       `trailing\`,
		`\999`:            "999",
		`\1`:              "1",
	} {
		if got := unescapeTXT(in); got != want {
			t.Errorf("unescapeTXT(%q) = %q, want %q", in, got, want)
		}
	}
}
