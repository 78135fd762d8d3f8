package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
)

// BenchmarkLatency gives the table of the command as Go benchmark
// metrics: for each command, number of sending IPs and delay, rtt/op is
// (t − t₀)/delay (t₀ timed in the same iteration at 0 ms), crit-rtt the
// critical path derived from the zone, x-crit their ratio.
//
//	go test -run '^$' -bench Latency -benchtime 1x ./scripts/benchlatency/
func BenchmarkLatency(b *testing.B) {
	dir := b.TempDir()
	worlds := map[int]*world{}
	b.Cleanup(func() {
		for _, w := range worlds {
			w.close()
		}
	})
	for _, c := range commands() {
		sizes := []int{2}
		if c.name == "check" {
			sizes = append(sizes, 8)
		}
		for _, n := range sizes {
			w := worlds[n]
			if w == nil {
				var err error
				if w, err = newWorld(dir, n); err != nil {
					b.Fatal(err)
				}
				worlds[n] = w
			}
			w.setDelay(0)
			w.dns.ResetLog()
			if _, err := c.run(w); err != nil {
				b.Fatal(err)
			}
			crit := criticalPath(w.dns, w.dns.Log(), inputNames(w.ips))
			for _, d := range []time.Duration{20 * time.Millisecond, 100 * time.Millisecond} {
				b.Run(fmt.Sprintf("%s/ips=%d/%v", c.name, n, d), func(b *testing.B) {
					var sum time.Duration
					for i := 0; i < b.N; i++ {
						w.setDelay(0)
						t0, err := c.run(w)
						if err != nil {
							b.Fatal(err)
						}
						w.setDelay(d)
						t, err := c.run(w)
						if err != nil {
							b.Fatal(err)
						}
						sum += t - t0
					}
					w.setDelay(0)
					rtt := float64(sum) / float64(b.N) / float64(d)
					b.ReportMetric(rtt, "rtt/op")
					if crit > 0 {
						b.ReportMetric(float64(crit), "crit-rtt")
						b.ReportMetric(rtt/float64(crit), "x-crit")
					}
				})
			}
		}
	}
}

// TestCriticalPath checks the derivation on the world's zone: check's
// longest chain is the SPF include chain (the record, three nested
// includes); a:/mx: targets are known earlier from the HELO name and the
// MX check, and DMARC's report authorisation is only 2 deep.
func TestCriticalPath(t *testing.T) {
	w, err := newWorld(t.TempDir(), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
	if _, err := runCheck(w); err != nil {
		t.Fatal(err)
	}
	if got := criticalPath(w.dns, w.dns.Log(), inputNames(w.ips)); got != 4 {
		t.Errorf("critical path of check = %d, want 4", got)
	}
	// Without the HELO name among the inputs, mail.example.com is known
	// only from an answer (the PTRs, the MX): one level deeper than them,
	// still not deeper than the SPF chain.
	if got := criticalPath(w.dns, w.dns.Log(), []string{domain}); got != 4 {
		t.Errorf("critical path from the domain alone = %d, want 4", got)
	}
	// Only the domain's own record asked: a chain of one.
	if got := criticalPath(w.dns, w.dns.Log()[:0], nil); got != 0 {
		t.Errorf("critical path of nothing = %d, want 0", got)
	}
}

// TestRunTable runs the whole table once with a short delay: every
// command works in the world, and the table has a row for each.
func TestRunTable(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every command at several delays")
	}
	var out bytes.Buffer
	if code := run(&out, []string{"-runs", "1", "-delays", "5ms"}); code != 0 {
		t.Fatalf("exit %d:\n%s", code, out.String())
	}
	for _, row := range []string{"check", "score", "send", "smtp", "receive", "receive (2nd message)", "send − bare SMTP"} {
		if !strings.Contains(out.String(), "\n"+row) {
			t.Errorf("no %q row in:\n%s", row, out.String())
		}
	}
}
