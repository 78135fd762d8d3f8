package render

import (
	"slices"
	"strings"
	"testing"

	"github.com/mailcred/mailcred/themes"
)

func TestWrap(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		width int
		want  []string
	}{
		{name: "short text stays one line", text: "Fix: publish it", width: 40,
			want: []string{"Fix: publish it"}},
		{name: "breaks at spaces, never after a hyphen", text: "run mailcred keygen --domain example.com --selector s1", width: 24,
			want: []string{"run mailcred keygen", "--domain example.com", "--selector s1"}},
		{name: "a word longer than the width is cut", text: "p=MIIBIjANBgkqhkiG9w0BAQEFAAOC end", width: 12,
			want: []string{"p=MIIBIjANBg", "kqhkiG9w0BAQ", "EFAAOC", "end"}},
		{name: "under 10 columns nothing is cut", text: "abcdefghijkl mn", width: 5,
			want: []string{"abcdefghijkl", "mn"}},
		{name: "empty text is one empty line", text: "", width: 20, want: []string{""}},
		{name: "indentation is kept on every line", text: "    ip4:192.0.2.0/24 ip4:198.51.100.0/24", width: 26,
			want: []string{"    ip4:192.0.2.0/24", "    ip4:198.51.100.0/24"}},
		{name: "width counts cells, not bytes", text: "ééééé ééééé", width: 5,
			want: []string{"ééééé", "ééééé"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Wrap(tc.text, tc.width); !slices.Equal(got, tc.want) {
				t.Errorf("Wrap(%q, %d) = %q, want %q", tc.text, tc.width, got, tc.want)
			}
		})
	}
}

// The check's subtitle breaks between its parts, never inside one:
// "resolver" stays with its address.
func TestSubtitleBreaksBetweenParts(t *testing.T) {
	var b strings.Builder
	Text{Theme: themes.Mono(), Width: 60}.subtitle(&b, "IPs 192.0.2.10 · HELO mail.example.com · selector s1 · resolver 127.0.0.1:45184")
	want := "  IPs 192.0.2.10 · HELO mail.example.com · selector s1\n  resolver 127.0.0.1:45184\n"
	if got := b.String(); got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}
