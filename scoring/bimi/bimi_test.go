package bimi

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnstest"
	"github.com/mailcred/mailcred/scoring/dnsx"
)

func TestBIMI(t *testing.T) {
	const rec = `default._bimi.example.com. TXT "v=BIMI1; l=https://example.com/logo.svg; a=https://example.com/vmc.pem"`
	for _, tc := range []struct {
		name, zone string
		want       scoring.Status
		title      string
	}{
		{"none", `_dmarc.example.com. TXT "v=DMARC1; p=reject"`, scoring.Info, "No BIMI"},
		{"enforced", rec + "\n" + `_dmarc.example.com. TXT "v=DMARC1; p=reject"`, scoring.Pass, "logo and certificate"},
		{"DMARC p=none", rec + "\n" + `_dmarc.example.com. TXT "v=DMARC1; p=none"`, scoring.Warn, "not at enforcement"},
		{"DMARC pct=50", rec + "\n" + `_dmarc.example.com. TXT "v=DMARC1; p=reject; pct=50"`, scoring.Warn, "not at enforcement"},
		{"http logo", `default._bimi.example.com. TXT "v=BIMI1; l=http://example.com/logo.svg"` + "\n" + `_dmarc.example.com. TXT "v=DMARC1; p=reject"`, scoring.Warn, "https://"},
		{"declined", `default._bimi.example.com. TXT "v=BIMI1; l=; a="` + "\n" + `_dmarc.example.com. TXT "v=DMARC1; p=reject"`, scoring.Info, "declined"},
		{"no certificate", `default._bimi.example.com. TXT "v=BIMI1; l=https://example.com/l.svg"` + "\n" + `_dmarc.example.com. TXT "v=DMARC1; p=quarantine"`, scoring.Info, "without a certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := dnstest.Start(tc.zone)
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			r, _ := dnsx.New(dnsx.Config{Servers: []string{srv.Addr}, Timeout: time.Second})
			res := scoring.RunAll(context.Background(), &scoring.Env{Evidence: scoring.Evidence{Domain: "example.com"}, DNS: r}, Checks())[0]
			if res.Status != tc.want || !strings.Contains(res.Title, tc.title) {
				t.Fatalf("%s %q\n%s", res.Status, res.Title, res.Detail)
			}
		})
	}
}

func FuzzParseRecord(f *testing.F) {
	f.Add("v=BIMI1; l=https://example.com/logo.svg; a=https://example.com/vmc.pem")
	f.Add("v=BIMI1;l=;a=;avp=brand")
	f.Fuzz(func(t *testing.T, txt string) {
		rec, err := ParseRecord(txt)
		if err != nil {
			return
		}
		for _, u := range []string{rec.Logo, rec.Certificate} {
			if u != "" && !strings.HasPrefix(strings.ToLower(u), "https:") {
				t.Fatalf("accepted %q", u)
			}
		}
	})
}
