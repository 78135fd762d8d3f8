package dnsbl

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnstest"
)

var (
	testIP   = netip.MustParseAddr("192.0.2.10")
	ipOnly   = scoring.Evidence{IPs: []netip.Addr{testIP}}
	ipLists  = func() []List { return Filter(Catalogue(), IPList) }
	domLists = func() []List { return Filter(Catalogue(), DomainList) }
)

func TestCleanIPPasses(t *testing.T) {
	lists := ipLists()
	w := newWorld(t, lists)
	res := w.check(lists, "blocklist.ip", ipOnly)
	if res.Status != scoring.Pass {
		t.Fatalf("status %v (%s), want pass\n%s", res.Status, res.Title, res.Detail)
	}
	if got := strings.Count(res.Detail, "not listed"); got != len(lists) {
		t.Errorf("%d 'not listed' lines, want one per list (%d):\n%s", got, len(lists), res.Detail)
	}
	if len(res.Queries) == 0 {
		t.Error("the result does not show the queries it made")
	}
}

func TestZENListingFails(t *testing.T) {
	lists := ipLists()
	zen := byName(t, "Spamhaus ZEN")
	w := newWorld(t, lists)
	w.publish(zen, testIP.String(), lo(2), lo(4), lo(10))
	res := w.check(lists, "blocklist.ip", ipOnly)
	if res.Status != scoring.Fail {
		t.Fatalf("status %v (%s), want fail\n%s", res.Status, res.Title, res.Detail)
	}
	contains(t, "title", res.Title, "192.0.2.10", "Spamhaus ZEN")
	contains(t, "detail", res.Detail, "127.0.0.2: SBL", "127.0.0.4: XBL", "127.0.0.10: PBL", "SpamCop", "not listed")
	if res.Fix == nil || res.Fix.Link != "https://check.spamhaus.org/" {
		t.Errorf("fix %+v, want the Spamhaus removal link", res.Fix)
	}
}

func TestPublicResolverRefusalIsErrorNeverFail(t *testing.T) {
	lists := ipLists()
	zen, spamcop := byName(t, "Spamhaus ZEN"), byName(t, "SpamCop")
	for _, tc := range []struct {
		name   string
		listed bool
	}{
		{"other lists clean", false},
		{"another list lists the IP", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, lists)
			w.publish(zen, testIP.String(), addr4(127, 255, 255, 254))
			if tc.listed {
				w.publish(spamcop, testIP.String(), lo(2))
			}
			res := w.check(lists, "blocklist.ip", ipOnly)
			if res.Status != scoring.Error {
				t.Fatalf("status %v (%s), want error\n%s", res.Status, res.Title, res.Detail)
			}
			contains(t, "title", res.Title, "Unable to check", "Spamhaus ZEN", "127.255.255.254")
			contains(t, "detail", res.Detail, "public/open resolver", "not listed", "terms:")
			if res.Fix == nil {
				t.Fatal("no fix")
			}
			contains(t, "fix", res.Fix.Summary, "unbound", "DQS")
			if tc.listed {
				contains(t, "detail", res.Detail, "LISTED 127.0.0.2")
				contains(t, "title", res.Title, "SpamCop")
			}
		})
	}
}

func TestEveryRefusalCodeMakesTheCheckAnError(t *testing.T) {
	for _, l := range Catalogue() {
		id, ev := "blocklist.ip", ipOnly
		if l.Kind == DomainList {
			id, ev = "blocklist.domain", scoring.Evidence{Domain: "example.com"}
		}
		codes := append([]Refusal(nil), l.Refusals...)
		if l.ErrorRange.IsValid() {
			// A code in the reserved error range that the table does not name.
			codes = append(codes, Refusal{Addr: addr4(127, 255, 255, 1)})
		}
		for _, ref := range codes {
			t.Run(l.Name+" "+ref.Addr.String(), func(t *testing.T) {
				w := newWorld(t, []List{l})
				w.publish(l, targetFor(l), ref.Addr)
				res := w.check([]List{l}, id, ev)
				if res.Status != scoring.Error {
					t.Fatalf("status %v (%s), want error\n%s", res.Status, res.Title, res.Detail)
				}
				if res.Fix == nil || res.Fix.Summary == "" {
					t.Errorf("no remedy: %+v", res.Fix)
				}
			})
		}
	}
}

func TestNamedRefusals(t *testing.T) {
	for _, tc := range []struct {
		list string
		code netip.Addr
		want string
	}{
		{"Spamhaus DBL", addr4(127, 0, 1, 255), "IP address was queried against a domain list"},
		{"URIBL multi", lo(1), "URIBL_BLOCKED"},
		{"URIBL multi", lo(255), "not a listing"},
		{"SURBL multi", lo(1), "access blocked"},
		{"Spamhaus DBL", addr4(127, 255, 255, 254), "public/open resolver"},
	} {
		t.Run(tc.list+" "+tc.code.String(), func(t *testing.T) {
			l := byName(t, tc.list)
			w := newWorld(t, []List{l})
			w.publish(l, "example.com", tc.code)
			res := w.check([]List{l}, "blocklist.domain", scoring.Evidence{Domain: "example.com"})
			if res.Status != scoring.Error {
				t.Fatalf("status %v, want error\n%s", res.Status, res.Detail)
			}
			contains(t, "detail", res.Detail, tc.want)
		})
	}
}

func TestInformationOnlyListings(t *testing.T) {
	lists := ipLists()
	for _, tc := range []struct {
		name  string
		list  string
		code  netip.Addr
		want  scoring.Status
		title string
	}{
		{"UCEPROTECT L2 only is info", "UCEPROTECT L2", lo(2), scoring.Info, "information only"},
		{"UCEPROTECT L3 only is info", "UCEPROTECT L3", lo(2), scoring.Info, "information only"},
		{"Mailspike neutral is info", "Mailspike reputation", lo(15), scoring.Info, "information only"},
		{"Mailspike H3 good passes", "Mailspike reputation", lo(18), scoring.Pass, "Not listed"},
		{"Mailspike L2 suspicious warns", "Mailspike reputation", lo(13), scoring.Warn, "Poor reputation"},
		{"Mailspike BL L5 fails", "Mailspike BL", lo(10), scoring.Fail, "is listed on Mailspike BL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, lists)
			w.publish(byName(t, tc.list), testIP.String(), tc.code)
			res := w.check(lists, "blocklist.ip", ipOnly)
			if res.Status != tc.want {
				t.Fatalf("status %v (%s), want %v\n%s", res.Status, res.Title, tc.want, res.Detail)
			}
			contains(t, "title", res.Title, tc.title)
		})
	}
}

func TestSURBLBitmask(t *testing.T) {
	surbl := byName(t, "SURBL multi")
	tests := []struct {
		name  string
		code  byte
		texts []string
		worst Severity
	}{
		{"8 is phishing", 8, []string{"PH: phishing"}, Blocking},
		{"24 is phishing and malware", 24, []string{"PH: phishing", "MW: malware"}, Blocking},
		{"192 is abuse and cracked", 192, []string{"ABUSE: spam and other abuse", "CR: cracked (compromised) site"}, Blocking},
		{"36 is the two informational lists", 36, []string{"DM list (informational)", "CT list (informational)"}, Informational},
		{"66 is abuse and an unknown bit", 66, []string{"ABUSE: spam and other abuse", "unknown bit(s) 0x02 — see the list's documentation"}, Blocking},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := Decode(surbl, []netip.Addr{lo(tc.code)})
			if !d.Listed || d.Refusal != nil {
				t.Fatalf("listed=%v refusal=%v", d.Listed, d.Refusal)
			}
			var got []string
			for _, m := range d.Meanings {
				got = append(got, m.Text)
			}
			if strings.Join(got, "|") != strings.Join(tc.texts, "|") {
				t.Errorf("meanings %q, want %q", got, tc.texts)
			}
			if w, _ := Worst(d.Meanings); w != tc.worst {
				t.Errorf("worst %v, want %v", w, tc.worst)
			}
		})
	}
	t.Run("127.0.0.1 is a refusal, not bit 0x1", func(t *testing.T) {
		if d := Decode(surbl, []netip.Addr{lo(1)}); d.Listed || d.Refusal == nil {
			t.Errorf("listed=%v refusal=%v", d.Listed, d.Refusal)
		}
	})
	t.Run("through DNS, a phishing listing fails the domain check", func(t *testing.T) {
		lists := domLists()
		w := newWorld(t, lists)
		w.publish(surbl, "example.com", lo(8|64))
		res := w.check(lists, "blocklist.domain", scoring.Evidence{Domain: "example.com"})
		if res.Status != scoring.Fail {
			t.Fatalf("status %v, want fail\n%s", res.Status, res.Detail)
		}
		contains(t, "detail", res.Detail, "PH: phishing", "ABUSE")
	})
}

func TestForeignAnswerMakesTheCheckAnError(t *testing.T) {
	lists := ipLists()
	zen := byName(t, "Spamhaus ZEN")
	w := newWorld(t, lists)
	w.publish(zen, testIP.String(), netip.MustParseAddr("203.0.113.80"))
	res := w.check(lists, "blocklist.ip", ipOnly)
	if res.Status != scoring.Error {
		t.Fatalf("status %v (%s), want error\n%s", res.Status, res.Title, res.Detail)
	}
	contains(t, "detail", res.Detail, "outside 127.0.0.0/8", "203.0.113.80")
}

func TestDNSFailuresMakeTheCheckAnError(t *testing.T) {
	lists := ipLists()
	zen, spamcop := byName(t, "Spamhaus ZEN"), byName(t, "SpamCop")
	for _, tc := range []struct {
		name   string
		fault  dnstest.Fault
		listed bool
		want   scoring.Status
	}{
		{"SERVFAIL alone is an error", dnstest.ServFail, false, scoring.Error},
		{"timeout alone is an error", dnstest.Timeout, false, scoring.Error},
		{"timeout with a real listing fails, noting the error", dnstest.Timeout, true, scoring.Fail},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, lists)
			w.r = newResolver(t, w.srv.Addr, 200*time.Millisecond)
			w.srv.SetFault(mustName(t, spamcop, testIP.String()), tc.fault)
			if tc.listed {
				w.publish(zen, testIP.String(), lo(2))
			}
			res := w.check(lists, "blocklist.ip", ipOnly)
			if res.Status != tc.want {
				t.Fatalf("status %v (%s), want %v\n%s", res.Status, res.Title, tc.want, res.Detail)
			}
			contains(t, "title", res.Title, "SpamCop")
			contains(t, "detail", res.Detail, "unable to check")
		})
	}
}

func TestUnhealthyListsAreNotTrusted(t *testing.T) {
	zen := byName(t, "Spamhaus ZEN")
	t.Run("silent test point turns not-listed into an error", func(t *testing.T) {
		w := newWorld(t, nil) // no test points published
		res := w.check([]List{zen}, "blocklist.ip", ipOnly)
		if res.Status != scoring.Error {
			t.Fatalf("status %v, want error\n%s", res.Status, res.Detail)
		}
		contains(t, "detail", res.Detail, "did not list its own test point 127.0.0.2")
	})
	t.Run("a list answering everything cannot fail the check", func(t *testing.T) {
		w := newWorld(t, nil, "*.zen.spamhaus.org. 300 IN A 127.0.0.2")
		res := w.check([]List{zen}, "blocklist.ip", ipOnly)
		if res.Status != scoring.Error {
			t.Fatalf("status %v, want error\n%s", res.Status, res.Detail)
		}
		contains(t, "detail", res.Detail, "listing not trusted")
	})
	t.Run("a listing stands when only the test point is silent", func(t *testing.T) {
		w := newWorld(t, nil)
		w.publish(zen, testIP.String(), lo(4))
		if res := w.check([]List{zen}, "blocklist.ip", ipOnly); res.Status != scoring.Fail {
			t.Fatalf("status %v, want fail\n%s", res.Status, res.Detail)
		}
	})
}

func TestIPv6AndPrivateAddresses(t *testing.T) {
	lists := ipLists()
	t.Run("IPv6 is asked of ZEN only; the others say why not", func(t *testing.T) {
		w := newWorld(t, lists)
		ev := scoring.Evidence{IPs: []netip.Addr{netip.MustParseAddr("2001:db8::25")}}
		res := w.check(lists, "blocklist.ip", ev)
		if res.Status != scoring.Pass {
			t.Fatalf("status %v, want pass\n%s", res.Status, res.Detail)
		}
		contains(t, "detail", res.Detail, "not asked, publishes no IPv6 data: SpamCop, Barracuda BRBL")
		contains(t, "title", res.Title, "Not listed on Spamhaus ZEN")
	})
	t.Run("private and loopback addresses are not looked up", func(t *testing.T) {
		w := newWorld(t, lists)
		ev := scoring.Evidence{IPs: []netip.Addr{netip.MustParseAddr("10.0.0.5"), netip.MustParseAddr("127.0.0.1")}}
		res := w.check(lists, "blocklist.ip", ev)
		if res.Status != scoring.Skip || len(w.srv.Log()) != 0 {
			t.Errorf("status %v, %d questions; want skip and none", res.Status, len(w.srv.Log()))
		}
	})
	t.Run("each public address is reported", func(t *testing.T) {
		w := newWorld(t, lists)
		other := netip.MustParseAddr("198.51.100.20")
		w.publish(byName(t, "SpamCop"), other.String(), lo(2))
		res := w.check(lists, "blocklist.ip", scoring.Evidence{IPs: []netip.Addr{testIP, other, testIP}})
		if res.Status != scoring.Fail {
			t.Fatalf("status %v, want fail\n%s", res.Status, res.Detail)
		}
		contains(t, "title", res.Title, "198.51.100.20 on SpamCop")
		contains(t, "detail", res.Detail, "192.0.2.10:", "198.51.100.20:")
	})
}

func TestDomainCheckUsesTheRegistrableDomain(t *testing.T) {
	lists := domLists()
	dbl := byName(t, "Spamhaus DBL")
	w := newWorld(t, lists)
	w.publish(dbl, "example.co.uk", addr4(127, 0, 1, 2))
	res := w.check(lists, "blocklist.domain", scoring.Evidence{Domain: "Mail.Example.co.uk."})
	if res.Status != scoring.Fail {
		t.Fatalf("status %v, want fail\n%s", res.Status, res.Detail)
	}
	contains(t, "detail", res.Detail, "registrable domain example.co.uk", "spam domain")
	for _, name := range w.asked(1) {
		if strings.HasPrefix(name, "mail.") {
			t.Errorf("asked %s: only the registrable domain should be asked", name)
		}
	}
	t.Run("a public suffix or a bare host name is not applicable", func(t *testing.T) {
		// Not "could not check": nothing transient, asking again gives
		// the same, so the score is not marked incomplete by it.
		for _, d := range []string{"co.uk", "vm"} {
			res := w.check(lists, "blocklist.domain", scoring.Evidence{Domain: d})
			if res.Status != scoring.Skip || !strings.Contains(res.Title, d+" is not a registrable domain") || strings.Contains(res.Detail, "publicsuffix") {
				t.Errorf("%s: %v %q %q", d, res.Status, res.Title, res.Detail)
			}
		}
	})
}

func TestChecksApply(t *testing.T) {
	checks := Checks()
	if len(checks) != 2 || checks[0].ID != "blocklist.ip" || checks[1].ID != "blocklist.domain" {
		t.Fatalf("checks %+v", checks)
	}
	empty := scoring.Evidence{}
	if checks[0].Applies(empty) || checks[1].Applies(empty) {
		t.Error("checks apply to empty evidence")
	}
}

// Spamhaus's error 127.255.255.252 means the zone name is wrong (a typo
// or a list that does not exist): the title says that, not "refused".
func TestZoneTypoCodeTitleSaysWrongZoneName(t *testing.T) {
	zen := byName(t, "Spamhaus ZEN")
	w := newWorld(t, []List{zen})
	w.publish(zen, testIP.String(), addr4(127, 255, 255, 252))
	res := w.check([]List{zen}, "blocklist.ip", ipOnly)
	if res.Status != scoring.Error {
		t.Fatalf("status %v", res.Status)
	}
	contains(t, "title", res.Title, "127.255.255.252", "wrong zone name")
	if strings.Contains(res.Title, "refused") {
		t.Errorf("title says refused: %s", res.Title)
	}
}
