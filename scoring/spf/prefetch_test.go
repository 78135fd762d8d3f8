package spf

import (
	"context"
	"net/netip"
	"testing"

	"github.com/miekg/dns"

	"github.com/mailcred/mailcred/scoring/dnstest"
)

// TestInspectAsksAhead checks that the whole-tree walk does not wait for
// one include's subtree before asking for the next include's record: the
// first include's a: target never answers, and the second include's
// record must still be asked before that question is tried again. In
// series it would be asked only after both attempts timed out.
func TestInspectAsksAhead(t *testing.T) {
	w := newFaultWorld(t, `
ahead.example.com. TXT "v=spf1 include:slow.example.com include:next.example.com -all"
slow.example.com.  TXT "v=spf1 a:hang.example.com -all"
next.example.com.  TXT "v=spf1 mx:mx.example.com -all"
mx.example.com.    MX 10 host.example.com.
host.example.com.  A 192.0.2.1
hang.example.com.  A 192.0.2.2
`)
	w.srv.SetFault("hang.example.com", dnstest.Timeout)
	a := Inspect(context.Background(), w.r, "ahead.example.com", netip.Addr{}, "")
	if a.Result != TempError {
		t.Fatalf("result %q (%s), want temperror from the hanging a: term", a.Result, a.Error)
	}
	if a.Lookups != 4 {
		t.Errorf("%d lookups, want 4 (two includes, a, mx): asking ahead must not count", a.Lookups)
	}
	firstHang, nextTXT, hostA := -1, -1, -1
	hangs := 0
	for i, q := range w.srv.Log() {
		switch {
		case q.Name == "hang.example.com." && q.Qtype == dns.TypeA:
			hangs++
			if firstHang < 0 {
				firstHang = i
			}
		case q.Name == "next.example.com." && q.Qtype == dns.TypeTXT && nextTXT < 0:
			nextTXT = i
		case q.Name == "host.example.com." && q.Qtype == dns.TypeA && hostA < 0:
			hostA = i
		}
	}
	if nextTXT < 0 || hostA < 0 {
		t.Fatalf("next.example.com's record or its MX host's address never asked:\n%v", w.srv.Log())
	}
	// The retry of the hanging question comes a whole timeout after the
	// first try; everything of the second include must come before it.
	retry := -1
	for i, q := range w.srv.Log() {
		if q.Name == "hang.example.com." && q.Qtype == dns.TypeA && i > firstHang {
			retry = i
			break
		}
	}
	if hangs < 2 || retry < 0 {
		t.Fatalf("the hanging question was asked %d times, want a retry", hangs)
	}
	if nextTXT > retry || hostA > retry {
		t.Errorf("the second include was asked only after the first one's timeout (log positions: next TXT %d, host A %d, retry %d)",
			nextTXT, hostA, retry)
	}
}
