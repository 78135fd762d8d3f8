// Package dnsxtest pairs an in-process DNS server (scoring/dnstest) with a
// resolver pointed at it, for the tests of packages that ask DNS through
// dnsx and publish records as they go (DKIM verification, signing). It is
// not used by dnsx's own tests, which would import it in a cycle.
package dnsxtest

import (
	"testing"
	"time"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnstest"
	"github.com/mailcred/mailcred/scoring/dnsx"
)

// World is the server, empty at first, and the resolver.
type World struct {
	Srv *dnstest.Server
	R   *dnsx.Resolver
}

// New starts an empty zone, closed with the test, and a resolver asking it.
func New(t testing.TB) *World {
	t.Helper()
	srv, err := dnstest.Start("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	r, err := dnsx.New(dnsx.Config{Servers: []string{srv.Addr}, Timeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return &World{Srv: srv, R: r}
}

// Publish adds a TXT record split in 255-byte strings, as keygen says to
// publish one, and makes the resolver forget what it had.
func (w *World) Publish(name, value string) {
	w.PublishStrings(name, scoring.SplitTXT(value)...)
}

// PublishStrings adds a TXT record of exactly these character-strings.
func (w *World) PublishStrings(name string, parts ...string) {
	w.Srv.AddTXT(name, parts...)
	w.R.Flush()
}

// Reset forgets every record and fault at names.
func (w *World) Reset(names ...string) {
	for _, n := range names {
		w.Srv.Remove(n, 0)
		w.Srv.SetFault(n, dnstest.NoFault)
	}
	w.R.Flush()
}
