package catalog

import (
	"context"
	"testing"
	"time"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnsx"
)

// criticalPathRTTs is the longest chain of DNS questions in goodSetup that
// must wait for one another, whatever the engine does: the SPF record of
// example.com → _spf.example.com → _spf.relay.example.net →
// _spf.example.org → a:mail.example.com (A/AAAA) → mx:example.com (MX),
// whose host's addresses are already known from the a: step. Every other
// check is shorter: DMARC record → external-report authorisation (2),
// PTR → forward lookup (2), MX → host address (2), DKIM key (1), each
// blocklist and its test points (1).
const criticalPathRTTs = 6

// BenchmarkCheckRealisticDomain runs the whole `mailcred check` catalogue
// of goodSetup (SPF include chain of depth 3, DKIM, DMARC with an external
// rua, two IPs, every blocklist) against the in-process DNS server with
// 20 ms of latency on every answer, with a fresh resolver cache each time.
// Goal: wall time ≤ 1.5 × criticalPathRTTs × 20 ms = 180 ms.
func BenchmarkCheckRealisticDomain(b *testing.B) {
	const latency = 20 * time.Millisecond
	setup, ev := goodSetup(b)
	srv, _ := serve(b, setup)
	srv.SetLatency(latency)
	checks := DNS()
	srv.ResetLog()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := dnsx.New(dnsx.Config{Servers: []string{srv.Addr}, Timeout: 2 * time.Second})
		if err != nil {
			b.Fatal(err)
		}
		results := scoring.RunAll(context.Background(), &scoring.Env{Evidence: ev, DNS: r}, checks)
		if s := scoring.DefaultWeights.Compute(results); s.Value != 10 {
			b.Fatalf("score %.1f, the benchmark world must be healthy", s.Value)
		}
	}
	b.StopTimer()
	perOp := b.Elapsed() / time.Duration(b.N)
	ideal := criticalPathRTTs * latency
	b.ReportMetric(float64(perOp.Milliseconds()), "wall-ms/op")
	b.ReportMetric(criticalPathRTTs, "critical-rtts")
	b.ReportMetric(float64(perOp)/float64(ideal), "x-critical-path")
	b.ReportMetric(float64(srv.Queries())/float64(b.N), "queries/op")
}
