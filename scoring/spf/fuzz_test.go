package spf

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

// FuzzParse feeds the record parser arbitrary text (a record is remote
// input) and checks that it never panics, and that what it accepts can be
// re-assembled and turned into the records our fixes suggest, which must
// parse too. Seeds: testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add("v=spf1 a mx -all")
	f.Fuzz(func(t *testing.T, record string) {
		rec, err := Parse(record)
		if err != nil {
			return
		}
		var terms []string
		for _, d := range rec.Directives {
			if d.Text == "" || d.Mechanism == "" {
				t.Fatalf("empty directive in %q", record)
			}
			terms = append(terms, d.Text)
		}
		for _, m := range rec.Modifiers {
			terms = append(terms, m.Text)
		}
		again, err := Parse("v=spf1 " + strings.Join(terms, " "))
		if err != nil || len(again.Directives) != len(rec.Directives) || len(again.Modifiers) != len(rec.Modifiers) {
			t.Fatalf("re-assembled %q: %v", record, err)
		}
		ips := []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1")}
		for _, s := range []string{AddIPs(record, ips), SetAll(record, QFail), first(MergeRecords([]string{record, record}))} {
			if _, err := Parse(s); err != nil {
				t.Fatalf("suggestion %q from %q does not parse: %v", s, record, err)
			}
		}
		_ = rec.LookupTerms()
		env := fuzzEnv("user")
		for _, d := range rec.Directives {
			if d.Domain != "" {
				_, _ = targetName(d.domain.macro.expand(env))
			}
		}
	})
}

func first(s string, _ []string) string { return s }

// FuzzMacroExpand feeds macro-strings (domain-specs and exp= text come
// from remote records) and local-parts (from the remote MAIL FROM) to the
// macro parser and expander. Seeds: testdata/fuzz/FuzzMacroExpand.
func FuzzMacroExpand(f *testing.F) {
	f.Add("%{ir}.%{v}._spf.%{d2}", false, "strong-bad")
	f.Fuzz(func(t *testing.T, s string, explain bool, local string) {
		m, err := parseMacroString(s, explain)
		if err == nil {
			out := m.expand(fuzzEnv(local))
			_, _ = targetName(out)
		}
		if ds, err := parseDomainSpec(s); err == nil {
			if _, err := parseMacroString(s, false); err != nil {
				t.Fatalf("domain-spec %q accepted but its macro-string is not: %v", s, err)
			}
			_ = ds.macro.expand(fuzzEnv(local))
		}
	})
}

func fuzzEnv(local string) *macroEnv {
	return &macroEnv{
		sender: local + "@example.com", local: local, sdomain: "example.com", domain: "example.com",
		helo: local, ip: netip.MustParseAddr("2001:db8::1"), now: time.Unix(0, 0),
		ptr: func(string) string { return "host." + local },
	}
}
