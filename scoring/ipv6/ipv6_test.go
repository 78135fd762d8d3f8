package ipv6

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnstest"
	"github.com/mailcred/mailcred/scoring/dnsx"
)

const base = `
example.com.       IN TXT  "v=spf1 ip4:192.0.2.10 ip6:2001:db8::10 -all"
mail.example.com.  IN A    192.0.2.10
mail.example.com.  IN AAAA 2001:db8::10
0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. IN PTR mail.example.com.
`

func run(t *testing.T, zone string, ips ...string) (scoring.Result, *dnstest.Server) {
	t.Helper()
	srv, err := dnstest.Start(zone)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	r, err := dnsx.New(dnsx.Config{Servers: []string{srv.Addr}, Timeout: 200 * time.Millisecond, Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	ev := scoring.Evidence{Domain: "example.com", HELO: "mail.example.com"}
	for _, ip := range ips {
		ev.IPs = append(ev.IPs, netip.MustParseAddr(ip))
	}
	return check(context.Background(), &scoring.Env{Evidence: ev, DNS: r}), srv
}

func TestIPv6Readiness(t *testing.T) {
	t.Run("v6 with SPF and forward-confirmed PTR passes", func(t *testing.T) {
		if res, _ := run(t, base, "192.0.2.10", "2001:db8::10"); res.Status != scoring.Pass {
			t.Fatalf("%s: %s\n%s", res.Status, res.Title, res.Detail)
		}
	})
	t.Run("v6 without PTR fails with the PTR to ask for", func(t *testing.T) {
		zone := strings.Replace(base, "0.1.0.0", "f.1.0.0", 1) // PTR for another address
		res, _ := run(t, zone, "2001:db8::10")
		if res.Status != scoring.Fail || res.Fix == nil {
			t.Fatalf("%s: %s", res.Status, res.Title)
		}
		if rec := res.Fix.Records[0]; rec.Type != "PTR" || !strings.HasPrefix(rec.Name, "0.1.0.0.") || rec.Value != "mail.example.com." {
			t.Fatalf("fix record %+v", rec)
		}
		if !strings.Contains(res.Fix.Snippet, "disable_ipv6") {
			t.Fatal("fix does not offer turning IPv6 sending off")
		}
	})
	t.Run("v6 not in SPF fails naming the ip6 term", func(t *testing.T) {
		zone := strings.Replace(base, " ip6:2001:db8::10", "", 1)
		res, _ := run(t, zone, "2001:db8::10")
		if res.Status != scoring.Fail || !strings.Contains(res.Fix.Summary, "ip6:2001:db8::10") {
			t.Fatalf("%s: %+v", res.Status, res.Fix)
		}
	})
	t.Run("no v6 address is information, not a verdict", func(t *testing.T) {
		if res, _ := run(t, base, "192.0.2.10"); res.Status != scoring.Info {
			t.Fatalf("%s", res.Status)
		}
	})
	t.Run("SERVFAIL on the PTR is an error, never a fail", func(t *testing.T) {
		srv, err := dnstest.Start(base)
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		srv.SetFault(dnsx.ReverseName(netip.MustParseAddr("2001:db8::10")), dnstest.ServFail)
		r, _ := dnsx.New(dnsx.Config{Servers: []string{srv.Addr}, Attempts: 1})
		ev := scoring.Evidence{Domain: "example.com", IPs: []netip.Addr{netip.MustParseAddr("2001:db8::10")}}
		if res := check(context.Background(), &scoring.Env{Evidence: ev, DNS: r}); res.Status != scoring.Error {
			t.Fatalf("%s: %s", res.Status, res.Title)
		}
	})
}
