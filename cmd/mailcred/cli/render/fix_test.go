package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/themes"
)

// A snippet with CRLF line endings (an MTA-STS policy file, RFC 8461
// §3.2) prints as its lines: no "\r" shown escaped on the last one.
func TestFixSnippetWithCRLF(t *testing.T) {
	var b bytes.Buffer
	Text{Theme: themes.Mono(), Width: 80}.Result(&b, scoring.Result{ID: "mtasts.policy", Status: scoring.Info, Title: "No MTA-STS policy",
		Fix: &scoring.Fix{Summary: "Serve this file.", Snippet: "version: STSv1\r\nmode: testing\r\nmax_age: 604800\r\n"}})
	out := b.String()
	if strings.Contains(out, `\r`) || !strings.Contains(out, "  max_age: 604800\n") {
		t.Errorf("snippet printed as:\n%s", out)
	}
}
