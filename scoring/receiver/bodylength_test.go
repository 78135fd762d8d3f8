package receiver

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/simzone"
)

// RFC 8601 §2.7.1: "policy: The message was signed, but some aspect of
// the signature or signatures was not acceptable to the ADMD." A signature
// whose l= leaves appended content unsigned (RFC 6376 §8.2) verifies, as
// dkimpy and OpenDKIM say; it is reported dkim=policy and graded warn.
func TestBodyLengthWithAppendedContentIsPolicyAndWarns(t *testing.T) {
	msg, err := os.ReadFile("../dkim/testdata/vectors/g06-l-tag-appended-content.eml")
	if err != nil {
		t.Fatal(err)
	}
	srv := setup(t, func(s *simzone.Setup) {
		s.Extra["brisbane._domainkey.example.com"] = "v=DKIM1; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDwIRP/UC3SBsEmGqZ9ZJW3/DkMoGeLnQg1fWn7/zYtIxN2SnFCjxOCKG9v3b4jYfcTNh5ijSsq631uBItLa7od+v/RtdC2UzJ1lWT947qR+Rcac2gbto/NMqJ0fzfVjH4OuKhitdY9tf6mcwGjaNBcWToIMmPSPDdQPNUYckcQ2QIDAQAB"
	})
	ev := evidence(msg, goodIP, "bounce@example.com")
	got := run(t, srv, ev)
	expect(t, got["dkim.signature"], scoring.Warn, "l=", "unsigned", "54 octets")
	field := AuthenticationResults("mx.example.org", Judge(context.Background(), resolver(t, srv), ev))
	if !strings.Contains(field, "dkim=policy") || strings.Contains(field, "dkim=fail") {
		t.Fatalf("Authentication-Results: %s", field)
	}
}
