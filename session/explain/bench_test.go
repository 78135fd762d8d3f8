package explain

import (
	"strings"
	"testing"

	"github.com/mailcred/mailcred/scoring/smtpx"
)

// BenchmarkExplain times one typical reply (Gmail's seven-line 5.7.26) and
// one hostile 1 MiB reply, which is cut to maxMatchText before matching.
func BenchmarkExplain(b *testing.B) {
	kb := loadKB(b)
	var gmail string
	for _, tc := range gmailCases() {
		if tc.name == "gmail 550-5.7.26 unauthenticated, no SPF no DKIM" {
			gmail = tc.text
		}
	}
	for _, bc := range []struct{ name, text string }{
		{"gmail-5.7.26", gmail},
		{"hostile-1MiB", "550 " + strings.Repeat("5.7.1 S3140x ", 1<<20/13)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := Reply{Lines: lines(bc.text)}
			for b.Loop() {
				kb.Explain(r, smtpx.EndOfData)
			}
		})
	}
}
