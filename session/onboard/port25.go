package onboard

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mailcred/mailcred/scoring/dnsx"
	"github.com/mailcred/mailcred/scoring/safetext"
)

// DefaultPort25Targets are well-known MX hosts, for a real host only:
// tests and the demo configure loopback servers instead.
var DefaultPort25Targets = []string{"gmail-smtp-in.l.google.com:25", "mx1.mail.icloud.com:25", "mta5.am0.yahoodns.net:25"}

// ProbeResult is one port-25 probe: one target over one family.
type ProbeResult struct {
	Target string // "gmail-smtp-in.l.google.com:25"
	Family int    // 4 or 6
	Addr   netip.AddrPort
	// Open: the TCP connection completed and a greeting line came.
	Open     bool
	Greeting string
	// Outcome is "open", "timed out", "refused", "no route", "no address".
	Outcome string
	Err     string
}

// Egress sums up probes of one family.
type Egress struct {
	Family  int
	Probes  []ProbeResult
	Open    bool // some target answered
	Blocked bool // every target with an address timed out: a filter on the way out
}

// probePort25 probes every target over IPv4 and IPv6 in parallel, each
// connection bounded by timeout.
func probePort25(ctx context.Context, r *dnsx.Resolver, targets []string, timeout time.Duration) (v4, v6 Egress) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	var all []ProbeResult
	for _, t := range targets {
		for _, fam := range []int{4, 6} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p := probeOne(ctx, r, t, fam, timeout)
				mu.Lock()
				all = append(all, p)
				mu.Unlock()
			}()
		}
	}
	wg.Wait()
	v4, v6 = Egress{Family: 4}, Egress{Family: 6}
	for _, t := range targets { // keep the configured order
		for _, p := range all {
			if p.Target != t {
				continue
			}
			e := &v4
			if p.Family == 6 {
				e = &v6
			}
			e.Probes = append(e.Probes, p)
		}
	}
	for _, e := range []*Egress{&v4, &v6} {
		tried, timedOut := 0, 0
		for _, p := range e.Probes {
			e.Open = e.Open || p.Open
			if p.Outcome != "no address" {
				tried++
			}
			if p.Outcome == "timed out" {
				timedOut++
			}
		}
		e.Blocked = tried > 0 && timedOut == tried
	}
	return v4, v6
}

func probeOne(ctx context.Context, r *dnsx.Resolver, target string, fam int, timeout time.Duration) ProbeResult {
	p := ProbeResult{Target: target, Family: fam}
	host, port, err := net.SplitHostPort(target)
	n, perr := strconv.Atoi(port)
	if err != nil || perr != nil || n < 1 || n > 65535 {
		p.Outcome, p.Err = "no address", "not HOST:PORT"
		return p
	}
	var addr netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		if ip.Is4() == (fam == 4) {
			addr = ip
		}
	} else if r != nil {
		qctx, cancel := context.WithTimeout(ctx, timeout)
		addrs, _ := r.LookupAddrs(qctx, host)
		cancel()
		for _, a := range addrs {
			if a.Unmap().Is4() == (fam == 4) {
				addr = a.Unmap()
				break
			}
		}
	}
	if !addr.IsValid() {
		p.Outcome = "no address"
		return p
	}
	p.Addr = netip.AddrPortFrom(addr, uint16(n))
	d := net.Dialer{Timeout: timeout}
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c, err := d.DialContext(dctx, "tcp"+strconv.Itoa(fam), p.Addr.String())
	if err != nil {
		p.Outcome, p.Err = classify(err), safetext.Line(err.Error(), 200)
		return p
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(timeout))
	line, err := bufio.NewReaderSize(c, 1024).ReadString('\n')
	if err != nil && line == "" {
		// Connected: the port is open on the way out even if no greeting came in time.
		p.Open, p.Outcome, p.Err = true, "open", "connected, no greeting within "+timeout.String()
		return p
	}
	p.Open, p.Outcome, p.Greeting = true, "open", safetext.Line(strings.TrimRight(line, "\r\n"), 200)
	// Say goodbye rather than drop the line: the MX is someone else's.
	c.SetWriteDeadline(time.Now().Add(timeout))
	c.Write([]byte("QUIT\r\n"))
	return p
}

// classify names a dial failure.
func classify(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.EADDRNOTAVAIL):
		return "no route"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timed out"
	}
	return "failed"
}
