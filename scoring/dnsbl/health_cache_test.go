package dnsbl

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnsx"
)

// TestHealthProbesKeptForTheirTTL checks that a second run of the
// blocklist checks with a resolver sharing a dnsx.Cache (the workbench's
// re-runs) asks the lists about the targets again but not for their test
// points, and that every question of a run is asked at once: eight
// targets on every list cost one round trip.
func TestHealthProbesKeptForTheirTTL(t *testing.T) {
	lists := Filter(Catalogue(), IPList)
	w := newWorld(t, lists)
	for _, l := range lists {
		// An SOA, so the clean test point's NXDOMAIN has a negative TTL.
		w.add(l.Zone + ". 300 IN SOA ns." + l.Zone + ". h." + l.Zone + ". 1 7200 3600 1209600 300")
	}
	cache := dnsx.NewCache(0, nil)
	var ev scoring.Evidence
	for i := 0; i < 8; i++ {
		ev.IPs = append(ev.IPs, netip.AddrFrom4([4]byte{198, 51, 100, byte(1 + i)}))
	}
	probes := map[string]bool{}
	for _, l := range lists {
		for _, p := range []string{l.TestListed, l.TestClean} {
			if p == "" {
				continue
			}
			probes[mustName(t, l, p)] = true
		}
	}
	survey := func() (listing, probed int) {
		t.Helper()
		r, err := dnsx.New(dnsx.Config{Servers: []string{w.srv.Addr}, Timeout: 10 * time.Second, Shared: cache})
		if err != nil {
			t.Fatal(err)
		}
		w.srv.ResetLog()
		res := scoring.RunAll(context.Background(), &scoring.Env{Evidence: ev, DNS: r}, ChecksFor(lists))
		if res[0].Status != scoring.Pass {
			t.Fatalf("blocklist.ip: %s %s\n%s", res[0].Status, res[0].Title, res[0].Detail)
		}
		// Distinct names, not packets: a retry after a timeout on a loaded
		// machine asks the same name again and is not a second question.
		seen := map[string]bool{}
		for _, q := range w.srv.Log() {
			name := strings.ToLower(q.Name)
			if seen[name] {
				continue
			}
			seen[name] = true
			if probes[name] {
				probed++
			} else {
				listing++
			}
		}
		return listing, probed
	}
	listing, probed := survey()
	if probed != len(probes) || listing != 8*len(lists) {
		t.Errorf("first run: %d listing questions and %d test points, want %d and %d", listing, probed, 8*len(lists), len(probes))
	}
	listing, probed = survey()
	if probed != 0 || listing != 8*len(lists) {
		t.Errorf("second run: %d listing questions and %d test points, want %d and none (kept for their TTL)", listing, probed, 8*len(lists))
	}
	if n := len(ev.IPs)*len(lists) + len(probes); n > MaxParallel {
		t.Errorf("a survey of 8 IPs needs %d questions, over the MaxParallel cap of %d: it would take two round trips", n, MaxParallel)
	}
}
