package dnsbl

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
	zen := byName(t, "Spamhaus ZEN")
	uribl := byName(t, "URIBL multi")
	tests := []struct {
		name     string
		list     List
		answers  []netip.Addr
		listed   bool
		refusal  bool
		foreign  bool
		meanings int
	}{
		{"no answer is not listed", zen, nil, false, false, false, 0},
		{"duplicates count once", zen, []netip.Addr{lo(2), lo(2)}, true, false, false, 1},
		{"unknown code in 127/8 is still a listing", zen, []netip.Addr{lo(5)}, true, false, false, 1},
		{"refusal wins over listing codes", zen, []netip.Addr{lo(2), addr4(127, 255, 255, 254)}, false, true, false, 0},
		{"unnamed code in the error range is a refusal", zen, []netip.Addr{addr4(127, 255, 255, 7)}, false, true, false, 0},
		{"foreign answer wins over everything", zen, []netip.Addr{addr4(127, 255, 255, 254), addr4(8, 8, 8, 8)}, false, false, true, 0},
		{"IPv6 answer is foreign", zen, []netip.Addr{netip.MustParseAddr("2001:db8::2")}, false, false, true, 0},
		{"IPv4-mapped answer is read as IPv4", zen, []netip.Addr{netip.MustParseAddr("::ffff:127.0.0.4")}, true, false, false, 1},
		{"URIBL test point 14 is black, grey and red", uribl, []netip.Addr{lo(14)}, true, false, false, 3},
		{"URIBL 127.0.0.0 sets no bit: unknown listing", uribl, []netip.Addr{lo(0)}, true, false, false, 1},
		{"URIBL 127.0.1.2 is not a bitmask answer", uribl, []netip.Addr{addr4(127, 0, 1, 2)}, true, false, false, 1},
		{"invalid addresses are ignored", zen, []netip.Addr{{}}, false, false, false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := Decode(tc.list, tc.answers)
			if d.Listed != tc.listed || (d.Refusal != nil) != tc.refusal || (len(d.Foreign) > 0) != tc.foreign ||
				len(d.Meanings) != tc.meanings {
				t.Errorf("got listed=%v refusal=%v foreign=%v meanings=%d (%v)",
					d.Listed, d.Refusal != nil, d.Foreign, len(d.Meanings), d.Meanings)
			}
		})
	}
}

// FuzzDecode feeds arbitrary answers to every list's decoder. It must never
// panic, and an error code or a foreign answer must never come out as a
// listing. Seeds live in testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	f.Add([]byte{127, 0, 0, 2}, uint8(0))
	f.Add([]byte{127, 255, 255, 254, 127, 0, 0, 2}, uint8(0))
	f.Add([]byte{127, 0, 1, 255}, uint8(10))
	f.Add([]byte{127, 0, 0, 1}, uint8(12))
	f.Add([]byte{127, 0, 0, 254}, uint8(11))
	f.Add([]byte{10, 0, 0, 1}, uint8(3))
	lists := Catalogue()
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		l := lists[int(which)%len(lists)]
		var answers []netip.Addr
		for i := 0; i+4 <= len(data) && len(answers) < 32; i += 4 {
			answers = append(answers, netip.AddrFrom4([4]byte(data[i:i+4])))
		}
		if len(data)%4 == 1 && len(data) >= 17 { // sometimes an IPv6 answer too
			answers = append(answers, netip.AddrFrom16([16]byte(data[len(data)-17:len(data)-1])))
		}
		d := Decode(l, answers)

		if !slices.IsSortedFunc(d.Codes, netip.Addr.Compare) || len(slices.Compact(slices.Clone(d.Codes))) != len(d.Codes) {
			t.Errorf("codes not sorted and unique: %v", d.Codes)
		}
		foreign, refused := false, false
		for _, a := range answers {
			a = a.Unmap()
			if !a.Is4() || a.As4()[0] != 127 {
				foreign = true
			}
			if _, ok := refusalFor(l, a); ok {
				refused = true
			}
		}
		switch {
		case foreign && (len(d.Foreign) == 0 || d.Listed || d.Refusal != nil):
			t.Errorf("%s %v: foreign answer not reported alone: %+v", l.Name, answers, d)
		case !foreign && refused && (d.Refusal == nil || d.Listed):
			t.Errorf("%s %v: refusal code read as %+v", l.Name, answers, d)
		case !foreign && !refused && len(answers) > 0 && (!d.Listed || len(d.Meanings) == 0):
			t.Errorf("%s %v: 127/8 answer not a listing: %+v", l.Name, answers, d)
		case len(answers) == 0 && (d.Listed || d.Refusal != nil || len(d.Foreign) > 0):
			t.Errorf("no answers decoded as %+v", d)
		}
		for _, m := range d.Meanings {
			if m.Text == "" || m.Severity.String() == "unknown" {
				t.Errorf("%s: empty or bad meaning %+v", l.Name, m)
			}
		}
	})
}

func TestCatalogue(t *testing.T) {
	lists := Catalogue()
	names, zones := map[string]bool{}, map[string]bool{}
	for _, l := range lists {
		t.Run(l.Name, func(t *testing.T) {
			if names[l.Name] || zones[l.Zone] {
				t.Errorf("duplicate name or zone")
			}
			names[l.Name], zones[l.Zone] = true, true
			if strings.Contains(l.Zone, "sorbs") {
				t.Errorf("SORBS was shut down on 2024-06-05 and must not be queried")
			}
			if !strings.HasPrefix(l.Delist, "https://") || l.Terms == "" || l.Source == "" || strings.Contains(l.Source, ".md") {
				// Source names the operator's pages, never a file outside the repo.
				t.Errorf("delist %q, terms %q, source %q", l.Delist, l.Terms, l.Source)
			}
			if len(l.Codes) == 0 && len(l.Bits) == 0 {
				t.Error("no return codes")
			}
			for _, c := range l.Codes {
				if !loopback8.Contains(c.Addr) || c.Meaning == "" {
					t.Errorf("code %v %q", c.Addr, c.Meaning)
				}
				if _, ok := refusalFor(l, c.Addr); ok {
					t.Errorf("%v is both a listing and a refusal", c.Addr)
				}
			}
			for _, r := range l.Refusals {
				if r.Reason == "" || r.Remedy == "" || !loopback8.Contains(r.Addr) {
					t.Errorf("refusal %+v", r)
				}
			}
			if l.Kind == DomainList && l.IPv6 {
				t.Error("a domain list cannot take IPv6 queries")
			}
			if (l.TestListed == "") != (l.TestClean == "") {
				t.Error("test points come in pairs")
			}
		})
	}
	if len(Filter(lists, IPList)) != 10 || len(Filter(lists, DomainList)) != 3 {
		t.Errorf("%d IP lists and %d domain lists", len(Filter(lists, IPList)), len(Filter(lists, DomainList)))
	}
	t.Run("each call returns a fresh copy", func(t *testing.T) {
		a := Catalogue()
		a[0].Zone = "changed.example"
		a[0].Codes[0].Meaning = "changed"
		b := Catalogue()
		if b[0].Zone == "changed.example" || b[0].Codes[0].Meaning == "changed" {
			t.Error("a change to one catalogue leaked into the next")
		}
	})
}

func TestUseDQS(t *testing.T) {
	key := "abcdefghijklmnopqrstuvwxyz"
	lists, ok := UseDQS(Catalogue(), key)
	if !ok {
		t.Fatal("a 26-character key was refused")
	}
	for _, l := range lists {
		switch {
		case strings.HasPrefix(l.Name, "Spamhaus") && !strings.HasSuffix(l.Zone, ".dq.spamhaus.net"):
			t.Errorf("%s still on %s", l.Name, l.Zone)
		case !strings.HasPrefix(l.Name, "Spamhaus") && strings.Contains(l.Zone, "dq.spamhaus"):
			t.Errorf("%s moved to %s", l.Name, l.Zone)
		}
	}
	if lists[0].Zone != key+".zen.dq.spamhaus.net" {
		t.Errorf("ZEN zone %s", lists[0].Zone)
	}
	for _, bad := range []string{"", "short", key + "x", "abcdefghijklmnopqrstuvwxy."} {
		if out, ok := UseDQS(Catalogue(), bad); ok || out[0].Zone != "zen.spamhaus.org" {
			t.Errorf("key %q accepted", bad)
		}
	}
}
