package spf

import (
	"context"
	"net/netip"
	"testing"
)

// benchZone is a typical small-business policy: own hosts, one big
// provider with nested includes, one mailing service; the client is
// authorised by the last include, so every term is evaluated.
const benchZone = providerZone + `
example.com. TXT "v=spf1 a mx include:_spf.big.example include:spf.protection.example include:_spf.mailer.example.net ~all"
`

// BenchmarkEvaluate measures check_host() against dnstest over loopback.
// "cold" uses a new resolver (empty cache) per evaluation, so rtt/op is the
// number of DNS round trips one evaluation costs; "warm" reuses one
// resolver, leaving the evaluator's own cost.
func BenchmarkEvaluate(b *testing.B) {
	w := newWorld(b, benchZone)
	client := netip.MustParseAddr("198.51.100.7")
	for _, mode := range []string{"cold", "warm"} {
		b.Run(mode, func(b *testing.B) {
			r := w.fresh(b)
			start := w.srv.Queries()
			lookups := 0
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if mode == "cold" {
					b.StopTimer()
					r = w.fresh(b)
					b.StartTimer()
				}
				ev := Evaluate(context.Background(), r, client, "user@example.com", "mail.example.com")
				if ev.Result != Pass {
					b.Fatalf("result %s: %s", ev.Result, ev.Explanation)
				}
				lookups += ev.Lookups
			}
			b.ReportMetric(float64(w.srv.Queries()-start)/float64(b.N), "rtt/op")
			b.ReportMetric(float64(lookups)/float64(b.N), "lookups/op")
		})
	}
}

// BenchmarkParse measures the record parser alone.
func BenchmarkParse(b *testing.B) {
	const rec = "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a mx:mail.example.com/24//64 include:_spf.example.net exists:%{ir}.%{v}._spf.%{d2} redirect=_spf.example.com exp=explain.%{d}"
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Parse(rec); err != nil {
			b.Fatal(err)
		}
	}
}
