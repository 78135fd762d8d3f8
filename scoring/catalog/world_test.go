package catalog

import (
	"net/netip"
	"testing"
	"time"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dkim"
	"github.com/mailcred/mailcred/scoring/dnstest"
	"github.com/mailcred/mailcred/scoring/dnsx"
	"github.com/mailcred/mailcred/scoring/simzone"
)

var (
	ip4 = netip.MustParseAddr("192.0.2.10")
	ip6 = netip.MustParseAddr("2001:db8::10")
)

// goodSetup is a realistic, healthy sender: an SPF include chain of depth
// 3, a 2048-bit DKIM key, DMARC p=reject with an external, authorised rua,
// forward-confirmed PTRs for both IPs and no listings.
func goodSetup(t testing.TB) (simzone.Setup, scoring.Evidence) {
	key, err := dkim.LoadPrivateKey("testdata/rsa2048-private.pem")
	if err != nil {
		t.Fatal(err)
	}
	rec, err := dkim.RecordForKey(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	setup := simzone.Setup{
		Domain: "example.com", MailHost: "mail.example.com",
		IPs: []netip.Addr{ip4, ip6}, PTR: map[netip.Addr]bool{ip4: true, ip6: true},
		SPF: "v=spf1 include:_spf.example.com -all",
		Extra: map[string]string{
			"_spf.example.com":                               "v=spf1 include:_spf.relay.example.net ~all",
			"_spf.relay.example.net":                         "v=spf1 include:_spf.example.org ?all",
			"_spf.example.org":                               "v=spf1 a:mail.example.com mx:example.com -all",
			"example.com._report._dmarc.reports.example.net": "v=DMARC1",
		},
		Selector: "s1", DKIM: rec,
		DMARC: "v=DMARC1; p=reject; rua=mailto:dmarc@reports.example.net",
	}
	ev := scoring.Evidence{Domain: "example.com", IPs: []netip.Addr{ip4, ip6}, HELO: "mail.example.com",
		Selector: "s1", DKIMKey: key}
	return setup, ev
}

// serve starts a DNS server with the setup's zone and a resolver on it.
func serve(t testing.TB, s simzone.Setup) (*dnstest.Server, *dnsx.Resolver) {
	t.Helper()
	zone, err := simzone.Zone(s)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := dnstest.Start(zone)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	r, err := dnsx.New(dnsx.Config{Servers: []string{srv.Addr}, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return srv, r
}
