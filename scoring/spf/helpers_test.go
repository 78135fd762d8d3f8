package spf

import (
	"net/netip"
	"testing"
	"time"

	"github.com/mailcred/mailcred/scoring/dnstest"
	"github.com/mailcred/mailcred/scoring/dnsx"
)

// world is a dnstest server and a fresh resolver pointed at it.
type world struct {
	srv     *dnstest.Server
	r       *dnsx.Resolver
	timeout time.Duration
}

// Resolver timeouts: generous where no fault is injected (the machine
// running the tests may be loaded, and a spurious timeout would turn a
// verdict into temperror), short where timeouts are the point.
const (
	okTimeout    = 2 * time.Second
	faultTimeout = 400 * time.Millisecond
)

// newWorld starts a dnstest server with zone (master-file text) and a
// resolver pointed at it.
func newWorld(t testing.TB, zone string) *world {
	return newWorldTimeout(t, zone, okTimeout)
}

// newFaultWorld is newWorld for tests that inject timeouts.
func newFaultWorld(t testing.TB, zone string) *world {
	return newWorldTimeout(t, zone, faultTimeout)
}

func newWorldTimeout(t testing.TB, zone string, timeout time.Duration) *world {
	t.Helper()
	srv, err := dnstest.Start(zone)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return &world{srv: srv, timeout: timeout, r: newResolver(t, srv.Addr, timeout)}
}

func newResolver(t testing.TB, addr string, timeout time.Duration) *dnsx.Resolver {
	t.Helper()
	r, err := dnsx.New(dnsx.Config{Servers: []string{addr}, Timeout: timeout, Attempts: 2})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// fresh returns a new resolver (an empty cache) on the same server.
func (w *world) fresh(t testing.TB) *dnsx.Resolver { return newResolver(t, w.srv.Addr, w.timeout) }

var (
	ip4 = netip.MustParseAddr("203.0.113.5")
	ip6 = netip.MustParseAddr("2001:db8::5")
)
