package catalog

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnsx"
)

// criticalPathRTTs is the longest chain of DNS questions in goodSetup that
// must wait for one another, whatever the engine does: the SPF record of
// example.com → _spf.example.com → _spf.relay.example.net →
// _spf.example.org; its a:mail.example.com and mx:example.com are known
// from the start (the HELO name, the MX check) and asked by then. Every
// other check is shorter: DMARC record → external-report authorisation
// (2), PTR → forward lookup (2), MX → host address (2), DKIM key (1), each
// blocklist and its test points (1). scripts/benchlatency derives the
// same figure from the zone and the questions asked.
const criticalPathRTTs = 4

// BenchmarkCheckRealisticDomain runs the whole `mailcred check` catalogue
// of goodSetup (SPF include chain of depth 3, DKIM, DMARC with an external
// rua, every blocklist) with two and with eight sending IPs against the
// in-process DNS server with 20 ms of latency on every answer, with a
// fresh resolver cache each time. It reports the wall time in round
// trips, (t − t₀) / 20 ms with t₀ the same run at 0 ms (the CPU work,
// which no DNS latency causes), against criticalPathRTTs. Goal: ≤ 1.1 ×
// the critical path, also with eight IPs (blocklist queries grow with
// the IPs, and all of them are one round trip deep). wall-x-critical-path
// is t alone over the critical path, t₀ included.
func BenchmarkCheckRealisticDomain(b *testing.B) {
	for _, n := range []int{2, 8} {
		b.Run(fmt.Sprintf("ips=%d", n), func(b *testing.B) { benchCheck(b, n) })
	}
}

func benchCheck(b *testing.B, nIPs int) {
	const latency = 20 * time.Millisecond
	setup, ev := goodSetup(b)
	for i := 2; i < nIPs; i++ {
		ip := netip.AddrFrom4([4]byte{192, 0, 2, byte(20 + i)})
		setup.IPs = append(setup.IPs, ip)
		setup.PTR[ip] = true
	}
	ev.IPs = setup.IPs
	srv, _ := serve(b, setup)
	checks := DNS()
	run := func() {
		r, err := dnsx.New(dnsx.Config{Servers: []string{srv.Addr}, Timeout: 2 * time.Second})
		if err != nil {
			b.Fatal(err)
		}
		results := scoring.RunAll(context.Background(), &scoring.Env{Evidence: ev, DNS: r}, checks)
		if s := scoring.DefaultWeights.Compute(results); s.Value != 10 {
			b.Fatalf("score %.1f, the benchmark world must be healthy", s.Value)
		}
	}
	// t₀: the same work with answers at once, as many times, untimed by
	// the framework (b.N is only known here).
	b.StopTimer()
	start := time.Now()
	for range b.N {
		run()
	}
	t0 := time.Since(start) / time.Duration(b.N)
	srv.SetLatency(latency)
	srv.ResetLog()
	b.StartTimer()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		run()
	}
	b.StopTimer()
	perOp := b.Elapsed() / time.Duration(b.N)
	ideal := criticalPathRTTs * latency
	b.ReportMetric(float64(perOp.Milliseconds()), "wall-ms/op")
	b.ReportMetric(float64(t0.Microseconds())/1000, "t0-ms/op")
	b.ReportMetric(criticalPathRTTs, "critical-rtts")
	b.ReportMetric(float64(perOp-t0)/float64(latency), "rtts")
	b.ReportMetric(float64(perOp-t0)/float64(ideal), "x-critical-path")
	b.ReportMetric(float64(perOp)/float64(ideal), "wall-x-critical-path")
	b.ReportMetric(float64(srv.Queries())/float64(b.N), "queries/op")
}
