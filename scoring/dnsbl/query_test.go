package dnsbl

import (
	"context"
	"errors"
	"net/netip"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mailcred/mailcred/scoring/dnstest"
	"github.com/mailcred/mailcred/scoring/dnsx"
)

func TestQueryNames(t *testing.T) {
	tests := []struct {
		name, target, zone, want string
	}{
		{"IPv4 octets are reversed", "192.0.2.99", "zen.spamhaus.org", "99.2.0.192.zen.spamhaus.org."},
		{"IPv4-mapped IPv6 is asked as IPv4", "::ffff:192.0.2.99", "zen.spamhaus.org", "99.2.0.192.zen.spamhaus.org."},
		{"IPv6 is 32 reversed nibbles", "2001:db8::1", "zen.spamhaus.org",
			"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.zen.spamhaus.org."},
		{"domain is lower-cased, final dot dropped", "Example.COM.", "dbl.spamhaus.org", "example.com.dbl.spamhaus.org."},
		{"zone dots are trimmed", "example.com", ".multi.uribl.com.", "example.com.multi.uribl.com."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pt, err := parseTarget(tc.target)
			if err != nil {
				t.Fatal(err)
			}
			got, err := queryName(pt, tc.zone)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("queryName = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestIPv6QueryNameHas32Nibbles(t *testing.T) {
	for _, s := range []string{"2001:db8::1", "::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "2a01:4f8:c17:1::2"} {
		got := reverseNibbles(netip.MustParseAddr(s))
		labels := strings.Split(got, ".")
		if len(labels) != 32 {
			t.Errorf("%s: %d labels in %q, want 32", s, len(labels), got)
		}
		for _, l := range labels {
			if len(l) != 1 || !strings.Contains("0123456789abcdef", l) {
				t.Errorf("%s: label %q is not one hex nibble", s, l)
			}
		}
	}
}

func TestBadTargets(t *testing.T) {
	for name, target := range map[string]string{
		"empty":             "",
		"spaces only":       "   ",
		"empty label":       "a..example",
		"label over 63":     strings.Repeat("a", 64) + ".example",
		"name over 253":     strings.Repeat("abcdefghi.", 26) + "com",
		"non-ASCII":         "bücher.example",
		"control character": "exa\x1bmple.com",
		"slash":             "example.com/x",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := parseTarget(target); !errors.Is(err, ErrTarget) {
				t.Errorf("parseTarget(%q) = %v, want ErrTarget", target, err)
			}
			res := Query(context.Background(), nil, []List{byName(t, "Spamhaus DBL")}, target)
			if !errors.Is(res[0].Err, ErrTarget) {
				t.Errorf("Query result error = %v, want ErrTarget", res[0].Err)
			}
		})
	}
	t.Run("query name longer than 253", func(t *testing.T) {
		target := strings.Repeat("abcdefghi.", 24) + "com" // fits alone, not with the zone
		res := Query(context.Background(), nil, []List{byName(t, "Spamhaus DBL")}, target)
		if !errors.Is(res[0].Err, ErrTarget) {
			t.Errorf("error = %v, want ErrTarget", res[0].Err)
		}
	})
}

func TestQueryWithoutResolverDoesNotPanic(t *testing.T) {
	res := Query(context.Background(), nil, Catalogue(), "192.0.2.10")
	for _, r := range res {
		if r.Skipped == "" && !errors.Is(r.Err, ErrNoResolver) {
			t.Errorf("%s: error %v, want ErrNoResolver", r.List.Name, r.Err)
		}
	}
}

func TestQueryResults(t *testing.T) {
	zen := byName(t, "Spamhaus ZEN")
	spamcop := byName(t, "SpamCop")
	lists := []List{zen, spamcop, byName(t, "Spamhaus DBL")}
	w := newWorld(t, lists)
	w.publish(zen, "192.0.2.10", lo(2), lo(4), lo(10))
	name := mustName(t, zen, "192.0.2.10")
	w.add(name + ` 300 IN TXT "Listed by SBL, see https://check.spamhaus.org/sbl/query/SBL1" "\007bell"`)

	res := Query(context.Background(), w.r, lists, "192.0.2.10")
	if len(res) != 3 {
		t.Fatalf("%d results, want 3", len(res))
	}
	t.Run("ZEN listed with three codes and their meanings", func(t *testing.T) {
		r := res[0]
		if !r.Listed || r.Err != nil {
			t.Fatalf("listed=%v err=%v, want listed", r.Listed, r.Err)
		}
		if got := joinAddrs(r.Codes); got != "127.0.0.2, 127.0.0.4, 127.0.0.10" {
			t.Errorf("codes %s", got)
		}
		var texts []string
		for _, m := range r.Meanings {
			texts = append(texts, m.Text)
		}
		contains(t, "meanings", strings.Join(texts, "|"), "SBL:", "XBL:", "PBL, ISP-maintained")
		if r.Name != name || r.Elapsed <= 0 || r.Outcome != dnsx.Success {
			t.Errorf("name %q elapsed %v outcome %v", r.Name, r.Elapsed, r.Outcome)
		}
		if strings.ContainsRune(r.Reason, '\x07') || !strings.Contains(r.Reason, "Listed by SBL") {
			t.Errorf("reason %q: want the TXT text without control characters", r.Reason)
		}
	})
	t.Run("SpamCop NXDOMAIN is not listed", func(t *testing.T) {
		r := res[1]
		if r.Listed || r.Err != nil || !r.Checked() || r.Outcome != dnsx.NXDomain {
			t.Errorf("listed=%v err=%v outcome=%v", r.Listed, r.Err, r.Outcome)
		}
	})
	t.Run("a domain list is not asked about an IP", func(t *testing.T) {
		if r := res[2]; r.Skipped == "" || r.Name != "" {
			t.Errorf("skipped=%q name=%q", r.Skipped, r.Name)
		}
	})
	t.Run("TXT is asked only for the listed name", func(t *testing.T) {
		txt := w.asked(16)
		if len(txt) != 1 || txt[0] != name {
			t.Errorf("TXT questions %v, want only %s", txt, name)
		}
	})
}

func TestRefusalCodesAreNeverListings(t *testing.T) {
	for _, l := range Catalogue() {
		for _, ref := range l.Refusals {
			t.Run(l.Name+" "+ref.Addr.String(), func(t *testing.T) {
				w := newWorld(t, []List{l})
				w.publish(l, targetFor(l), ref.Addr)
				r := Query(context.Background(), w.r, []List{l}, targetFor(l))[0]
				var re *RefusalError
				if r.Listed || !errors.As(r.Err, &re) || !errors.Is(r.Err, ErrRefused) {
					t.Fatalf("listed=%v err=%v, want a RefusalError", r.Listed, r.Err)
				}
				if r.Refusal == nil || r.Refusal.Addr != ref.Addr || re.Refusal.Remedy == "" {
					t.Errorf("refusal %+v", r.Refusal)
				}
			})
		}
	}
}

func TestForeignAnswerIsUnavailable(t *testing.T) {
	zen := byName(t, "Spamhaus ZEN")
	w := newWorld(t, []List{zen})
	w.publish(zen, "192.0.2.10", netip.MustParseAddr("198.51.100.7"), lo(2))
	r := Query(context.Background(), w.r, []List{zen}, "192.0.2.10")[0]
	if r.Listed || !errors.Is(r.Err, ErrHijacked) {
		t.Errorf("listed=%v err=%v, want ErrHijacked and not listed", r.Listed, r.Err)
	}
}

func TestDNSFailuresAreErrors(t *testing.T) {
	spamcop := byName(t, "SpamCop")
	for _, tc := range []struct {
		name  string
		fault dnstest.Fault
		want  dnsx.Outcome
	}{
		{"SERVFAIL", dnstest.ServFail, dnsx.ServFail},
		{"REFUSED rcode", dnstest.Refused, dnsx.Refused},
		{"timeout", dnstest.Timeout, dnsx.Timeout},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, nil)
			w.r = newResolver(t, w.srv.Addr, 150*time.Millisecond)
			w.srv.SetFault(mustName(t, spamcop, "192.0.2.10"), tc.fault)
			r := Query(context.Background(), w.r, []List{spamcop}, "192.0.2.10")[0]
			var de *dnsx.Error
			if r.Listed || r.Outcome != tc.want || !errors.As(r.Err, &de) {
				t.Errorf("listed=%v outcome=%v err=%v", r.Listed, r.Outcome, r.Err)
			}
		})
	}
}

func TestIPv6OnlyOnListsThatSupportIt(t *testing.T) {
	lists := Filter(Catalogue(), IPList)
	w := newWorld(t, nil)
	res := Query(context.Background(), w.r, lists, "2001:db8::1")
	for _, r := range res {
		switch {
		case r.List.IPv6 && (r.Skipped != "" || r.Err != nil):
			t.Errorf("%s supports IPv6 but skipped=%q err=%v", r.List.Name, r.Skipped, r.Err)
		case !r.List.IPv6 && r.Skipped != "publishes no IPv6 data":
			t.Errorf("%s: skipped=%q, want an IPv6 reason", r.List.Name, r.Skipped)
		}
	}
	asked := w.asked(1)
	if len(asked) != 1 {
		t.Fatalf("asked %v, want one question (ZEN)", asked)
	}
	labels := strings.Split(strings.TrimSuffix(asked[0], ".zen.spamhaus.org."), ".")
	if len(labels) != 32 {
		t.Errorf("question %s has %d nibble labels, want 32", asked[0], len(labels))
	}
}

func TestParallelBoundIsRespected(t *testing.T) {
	lists := syntheticLists(MaxParallel + 20)
	w := newWorld(t, nil)
	// No answer leaves the proxy until MaxParallel questions are
	// outstanding at once: a client that keeps fewer in flight waits out
	// the gate (3 s, under the resolver's 4 s timeout, so nothing is
	// retried) and shows a smaller maximum. No timing is asserted.
	proxy := startGatedProxy(t, w.srv.Addr, MaxParallel, 3*time.Second)
	r := newResolver(t, proxy.pc.LocalAddr().String(), 4*time.Second)

	res := Query(context.Background(), r, lists, "192.0.2.10")
	for _, x := range res {
		if !x.Checked() || x.Listed {
			t.Errorf("%s: err=%v listed=%v", x.List.Name, x.Err, x.Listed)
		}
	}
	maxInFlight, total := proxy.stats()
	t.Logf("%d lists: %d questions, at most %d in flight", len(lists), total, maxInFlight)
	if total != len(lists) {
		t.Errorf("%d questions reached the server, want %d", total, len(lists))
	}
	if maxInFlight > MaxParallel {
		t.Errorf("%d questions in flight at once, bound is %d", maxInFlight, MaxParallel)
	}
	if maxInFlight < MaxParallel {
		t.Errorf("only %d questions in flight at once: the bound of %d is not used", maxInFlight, MaxParallel)
	}
}

// Cancelling a query of many lists ends every list's question with the
// cancellation (answers and timeouts are a minute away), and starts no
// new ones after it.
func TestCancellationStopsQuickly(t *testing.T) {
	lists := syntheticLists(20)
	w := newWorld(t, nil)
	w.srv.SetLatency(time.Minute)
	r := newResolver(t, w.srv.Addr, 2*time.Minute)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan []ListResult, 1)
	go func() { done <- Query(ctx, r, lists, "192.0.2.10") }()
	for w.srv.Queries() == 0 {
		runtime.Gosched() // until questions are in flight
	}
	cancel()
	res := <-done
	for _, x := range res {
		if !errors.Is(x.Err, context.Canceled) {
			t.Errorf("%s: err=%v, want context.Canceled", x.List.Name, x.Err)
		}
	}
	if n := w.srv.Queries(); n > MaxParallel {
		t.Errorf("%d questions sent; after cancellation no new ones may start (bound %d)", n, MaxParallel)
	}
}

func TestHealthCheck(t *testing.T) {
	zen := byName(t, "Spamhaus ZEN")
	t.Run("a list answering its test points is healthy", func(t *testing.T) {
		w := newWorld(t, []List{zen})
		if h := HealthCheck(context.Background(), w.r, zen); h.Err != nil || !h.Listed.Listed || h.Clean.Listed {
			t.Errorf("err=%v listed=%v clean=%v", h.Err, h.Listed.Listed, h.Clean.Listed)
		}
	})
	t.Run("a list silent on 127.0.0.2 is unhealthy", func(t *testing.T) {
		w := newWorld(t, nil)
		h := HealthCheck(context.Background(), w.r, zen)
		if !errors.Is(h.Err, ErrUnhealthy) {
			t.Errorf("err=%v, want ErrUnhealthy", h.Err)
		}
	})
	t.Run("a list listing 127.0.0.1 is unhealthy", func(t *testing.T) {
		w := newWorld(t, nil, "*.zen.spamhaus.org. 300 IN A 127.0.0.2")
		h := HealthCheck(context.Background(), w.r, zen)
		if !errors.Is(h.Err, ErrUnhealthy) || !h.Clean.Listed {
			t.Errorf("err=%v clean listed=%v", h.Err, h.Clean.Listed)
		}
	})
	t.Run("a refusal on the test point carries the refusal", func(t *testing.T) {
		w := newWorld(t, nil)
		w.publish(zen, "127.0.0.2", addr4(127, 255, 255, 254))
		h := HealthCheck(context.Background(), w.r, zen)
		if !errors.Is(h.Err, ErrRefused) {
			t.Errorf("err=%v, want ErrRefused", h.Err)
		}
	})
	t.Run("domain lists use their own test names", func(t *testing.T) {
		dbl := byName(t, "Spamhaus DBL")
		w := newWorld(t, []List{dbl})
		h := HealthCheck(context.Background(), w.r, dbl)
		if h.Err != nil || h.Listed.Name != "dbltest.com.dbl.spamhaus.org." || h.Clean.Name != "invalid.dbl.spamhaus.org." {
			t.Errorf("err=%v names %q %q", h.Err, h.Listed.Name, h.Clean.Name)
		}
	})
	t.Run("a list without test points is not tested", func(t *testing.T) {
		rep := byName(t, "Mailspike reputation")
		h := HealthCheck(context.Background(), nil, rep)
		if h.Tested() || h.Err != nil {
			t.Errorf("tested=%v err=%v", h.Tested(), h.Err)
		}
	})
}
