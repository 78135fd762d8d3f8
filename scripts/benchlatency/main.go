// Command benchlatency measures how mailcred's check, score, send and
// receive grow with DNS latency, against the critical path of their DNS
// work. scripts/bench-latency.sh runs it; BenchmarkLatency (go test
// -bench) gives the same figures as Go benchmark metrics.
//
// The world is on 127.0.0.1 only: an in-process DNS server
// (scoring/dnstest) with a realistic sender's zone and injected latency,
// and an SMTP server (session/smtptest, STARTTLS) behind a proxy that
// delays its replies by the same amount. Every command runs in process
// through the real command line (cmd/mailcred/cli) with --resolver set to
// that server, so nothing asks the system's resolver.
//
// For each command and each delay d it prints the wall time t and the
// round-trip equivalents (t − t₀)/d, t₀ being the same command's wall
// time at 0 ms, next to the critical path derived from the zone (see
// criticalPath): the figure a fully concurrent engine would reach.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
)

func main() { os.Exit(run(os.Stdout, os.Args[1:])) }

func run(out io.Writer, args []string) int {
	fs := flag.NewFlagSet("benchlatency", flag.ContinueOnError)
	runs := fs.Int("runs", 3, "timed runs per command and delay (the median is shown)")
	delaysFlag := fs.String("delays", "20ms,100ms", "DNS (and SMTP peer) round trips to inject, comma-separated")
	only := fs.String("only", "", "comma-separated commands to time (default all: check,score,send,smtp,receive)")
	serveDir := fs.String("serve", "", "write the peers' comparison files into this directory, print the DNS address and sending IP, serve until standard input closes")
	batch := fs.Int("batch", 0, "also time `score` over this many messages in one process, and dkimpy over the same (0: no)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *serveDir != "" {
		if err := serve(out, *serveDir); err != nil {
			fmt.Fprintln(os.Stderr, "benchlatency:", err)
			return 1
		}
		return 0
	}
	var delays []time.Duration
	for _, s := range strings.Split(*delaysFlag, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil || d <= 0 {
			fmt.Fprintf(os.Stderr, "benchlatency: -delays: %q is not a positive duration\n", s)
			return 2
		}
		delays = append(delays, d)
	}
	if *runs < 1 || *runs > 100 {
		fmt.Fprintln(os.Stderr, "benchlatency: -runs: want 1..100")
		return 2
	}
	want := map[string]bool{}
	for _, s := range strings.Split(*only, ",") {
		if s = strings.TrimSpace(s); s != "" {
			want[s] = true
		}
	}
	dir, err := os.MkdirTemp("", "mailcred-latency")
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchlatency:", err)
		return 1
	}
	defer os.RemoveAll(dir)

	fmt.Fprintf(out, "round trips injected: %v; median of %d runs; t₀ at 0 ms\n", delays, *runs)
	fmt.Fprintf(out, "%-22s %4s %5s %7s %8s", "command", "IPs", "crit", "queries", "t₀ ms")
	for _, d := range delays {
		fmt.Fprintf(out, " │ %6s: %8s %6s %6s", d, "wall ms", "rtt", "×crit")
	}
	fmt.Fprintln(out)
	type job struct {
		c   command
		ips int
	}
	var jobs []job
	for _, c := range commands() {
		if len(want) > 0 && !want[c.name] || want["none"] {
			continue
		}
		jobs = append(jobs, job{c, 2})
		if c.name == "check" {
			jobs = append(jobs, job{c, 8})
		}
	}
	worlds := map[int]*world{}
	defer func() {
		for _, w := range worlds {
			w.close()
		}
	}()
	results := map[string]measurement{}
	for _, j := range jobs {
		w := worlds[j.ips]
		if w == nil {
			if w, err = newWorld(dir, j.ips); err != nil {
				fmt.Fprintln(os.Stderr, "benchlatency:", err)
				return 1
			}
			worlds[j.ips] = w
		}
		m, err := measure(w, j.c, delays, *runs)
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchlatency:", err)
			return 1
		}
		results[j.c.name] = m
		printRow(out, j.c.name, m, delays)
		if j.c.name == "receive" {
			m2, err := measureSecond(w, delays, *runs)
			if err != nil {
				fmt.Fprintln(os.Stderr, "benchlatency:", err)
				return 1
			}
			printRow(out, "receive (2nd message)", m2, delays)
		}
	}
	if send, ok := results["send"]; ok {
		if smtp, ok := results["smtp"]; ok {
			fmt.Fprint(out, "send − bare SMTP, in round trips:")
			for _, d := range delays {
				fmt.Fprintf(out, "  %v: %.2f", d, send.rtt(d)-smtp.rtt(d))
			}
			fmt.Fprintln(out, "  (goal ≤ 1)")
		}
	}
	if *batch > 0 {
		if err := runBatch(out, dir, *batch); err != nil {
			fmt.Fprintln(os.Stderr, "benchlatency:", err)
			return 1
		}
	}
	fmt.Fprintln(out, "goals: check ≤ 1.1×crit (2 and 8 IPs), score ≤ 1.5×crit, send ≤ bare SMTP + 1, receive DATA ≤ 3 round trips")
	return 0
}

// measurement is one command's figures in one world.
type measurement struct {
	ips     int
	crit    int // critical path in round trips
	queries int // questions one run asks
	t0      time.Duration
	wall    map[time.Duration]time.Duration
}

// rtt is (t − t₀)/d.
func (m measurement) rtt(d time.Duration) float64 {
	return float64(m.wall[d]-m.t0) / float64(d)
}

// measure runs c once untimed (warm-up), once to log its questions at
// 0 ms (the critical path), then runs times at 0 ms and at each delay.
func measure(w *world, c command, delays []time.Duration, runs int) (measurement, error) {
	m := measurement{ips: len(w.ips), wall: map[time.Duration]time.Duration{}}
	w.setDelay(0)
	if _, err := c.run(w); err != nil {
		return m, err
	}
	w.dns.ResetLog()
	if _, err := c.run(w); err != nil {
		return m, err
	}
	log := w.dns.Log()
	m.queries = len(log)
	m.crit = criticalPath(w.dns, log, inputNames(w.ips))
	var err error
	if m.t0, err = median(runs, func() (time.Duration, error) { return c.run(w) }); err != nil {
		return m, err
	}
	for _, d := range delays {
		w.setDelay(d)
		t, err := median(runs, func() (time.Duration, error) { return c.run(w) })
		if err != nil {
			return m, err
		}
		m.wall[d] = t
	}
	w.setDelay(0)
	return m, nil
}

// measureSecond times the second message to one receive server.
func measureSecond(w *world, delays []time.Duration, runs int) (measurement, error) {
	second := func() (time.Duration, error) {
		_, d, err := receiveTwice(w)
		return d, err
	}
	m := measurement{ips: len(w.ips), wall: map[time.Duration]time.Duration{}}
	w.setDelay(0)
	var err error
	if m.t0, err = median(runs, second); err != nil {
		return m, err
	}
	for _, d := range delays {
		w.setDelay(d)
		if m.wall[d], err = median(runs, second); err != nil {
			return m, err
		}
	}
	w.setDelay(0)
	return m, nil
}

func median(runs int, f func() (time.Duration, error)) (time.Duration, error) {
	ts := make([]time.Duration, 0, runs)
	for i := 0; i < runs; i++ {
		t, err := f()
		if err != nil {
			return 0, err
		}
		ts = append(ts, t)
	}
	slices.Sort(ts)
	return ts[len(ts)/2], nil
}

func printRow(out io.Writer, name string, m measurement, delays []time.Duration) {
	crit, queries := fmt.Sprint(m.crit), fmt.Sprint(m.queries)
	if m.crit == 0 {
		crit, queries = "-", "-"
	}
	fmt.Fprintf(out, "%-22s %4d %5s %7s %8.1f", name, m.ips, crit, queries, ms(m.t0))
	for _, d := range delays {
		ratio := "-"
		if m.crit > 0 {
			ratio = fmt.Sprintf("%.2f", m.rtt(d)/float64(m.crit))
		}
		fmt.Fprintf(out, " │ %6s  %8.1f %6.2f %6s", "", ms(m.wall[d]), m.rtt(d), ratio)
	}
	fmt.Fprintln(out)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
