package demo

import (
	"context"
	"net/netip"
	"slices"
	"testing"
)

// The IPs the checks judge keep one order (IPv4, then IPv6) before and
// after a send over IPv6; the session's connecting IP is the one the
// provider saw.
func TestBenchKeepsTheIPOrder(t *testing.T) {
	w, _ := startWorld(t, "story")
	b := w.Bench()
	before, err := b.Evidence(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	draft, rcpt := b.Draft()
	sent, err := b.Send(context.Background(), draft, rcpt, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(before.IPs, sent.Evidence.IPs) {
		t.Fatalf("IPs before the send %v, after %v", before.IPs, sent.Evidence.IPs)
	}
	if !before.IPs[0].Is4() {
		t.Fatalf("IPv4 is not first: %v", before.IPs)
	}
	if got := sent.Evidence.SMTP.Local; got != w.SourceIP().String() || !netip.MustParseAddr(got).Is6() {
		t.Fatalf("connecting IP %s, want the IPv6 source %s", got, w.SourceIP())
	}
}
