package cli

import (
	"strings"
	"testing"

	"github.com/mailcred/mailcred/scoring/safetext"
)

// One policy for untrusted text in every output: a message whose header
// carries C1, bidi, zero-width, BOM, tag and separator characters shows
// them escaped in text and as \u escapes in JSON.
func TestHiddenCharactersInAMessageAreEscapedInEveryOutput(t *testing.T) {
	hidden := "\u009b31m\u202eevil\u200b\ufeff\U000E0041\u2028x"
	msg := "From: Alice " + hidden + " <alice@example.com>\r\nTo: bob@example.org\r\nSubject: " + hidden +
		"\r\nDate: Mon, 01 Jun 2026 10:00:00 +0000\r\nMessage-ID: <" + hidden + "@example.com>\r\n\r\nHi " + hidden + "\r\n"
	file := writeFile(t, "hidden.eml", []byte(msg))
	dns := world(t, false)
	for _, format := range []string{"text", "json"} {
		_, out, stderr := run(t, nil, scoreArgs(dns, file, "--format", format, "-v")...)
		for _, r := range out + stderr {
			if safetext.Hidden(r) {
				t.Fatalf("%s output carries %U raw:\n%s", format, r, out)
			}
		}
		want := `\u202e`
		if !strings.Contains(out, want) {
			t.Errorf("%s output does not show the bidi override as %s:\n%s", format, want, out)
		}
	}
}
