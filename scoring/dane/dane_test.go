package dane

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnstest"
	"github.com/mailcred/mailcred/scoring/dnsx"
)

const digest = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// RFC 7672 §2.2: TLSA records count only when DNSSEC validated them (the
// resolver's AD bit, RFC 4035 §3.2.3), and so must the MX records
// (§2.2.1); §3.1.3: PKIX usages 0 and 1 are unusable for SMTP.
func TestDANE(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tlsa   string
		signed bool
		want   scoring.Status
		title  string
	}{
		{name: "no TLSA", want: scoring.Info, title: "No DANE"},
		{name: "3 1 1, validated", tlsa: "3 1 1 " + digest, signed: true, want: scoring.Pass, title: "validated TLSA"},
		{name: "3 1 1, not validated", tlsa: "3 1 1 " + digest, want: scoring.Warn, title: "not DNSSEC-validated"},
		{name: "PKIX-EE usage", tlsa: "1 1 1 " + digest, signed: true, want: scoring.Warn, title: "usage 1 (PKIX-EE)"},
		{name: "short digest", tlsa: "3 1 1 0123", signed: true, want: scoring.Warn, title: "needs 32 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			zone := "example.com. 300 IN MX 10 mx.example.com.\nmx.example.com. 300 IN A 192.0.2.1\n"
			if tc.tlsa != "" {
				zone += "_25._tcp.mx.example.com. 300 IN TLSA " + tc.tlsa + "\n"
			}
			srv, err := dnstest.Start(zone)
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			srv.SetAuthenticated("example.com", tc.signed)
			srv.SetAuthenticated("_25._tcp.mx.example.com", tc.signed)
			r, _ := dnsx.New(dnsx.Config{Servers: []string{srv.Addr}, Timeout: time.Second})
			res := scoring.RunAll(context.Background(), &scoring.Env{Evidence: scoring.Evidence{Domain: "example.com"}, DNS: r}, Checks())[0]
			t.Logf("%s: %s\n%s", res.Status, res.Title, res.Detail)
			if res.Status != tc.want || !strings.Contains(res.Title, tc.title) {
				t.Fatalf("%s %q", res.Status, res.Title)
			}
			if tc.tlsa != "" && !strings.Contains(res.Detail, "TLSA "+tc.tlsa[:5]) {
				t.Errorf("detail does not show the record as published")
			}
		})
	}
}
