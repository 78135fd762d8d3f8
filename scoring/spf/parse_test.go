package spf

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	rec, err := Parse("v=spf1 +a -mx:mail.example.com/24//64 ~ptr ?ip4:192.0.2.0/24 ip6:2001:DB8::/32 exists:%{ir}.%{v}._spf.%{d2} include:_spf.example.net redirect=_spf.example.com exp=explain.%{d} x-unknown=%{l} -all")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		q    Qualifier
		mech string
	}{{QPass, "a"}, {QFail, "mx"}, {QSoftFail, "ptr"}, {QNeutral, "ip4"}, {QPass, "ip6"}, {QPass, "exists"}, {QPass, "include"}, {QFail, "all"}}
	if len(rec.Directives) != len(want) {
		t.Fatalf("%d directives, want %d", len(rec.Directives), len(want))
	}
	for i, w := range want {
		if d := rec.Directives[i]; d.Qualifier != w.q || d.Mechanism != w.mech {
			t.Errorf("directive %d = %c%s, want %c%s", i, d.Qualifier, d.Mechanism, w.q, w.mech)
		}
	}
	mx := rec.Directives[1]
	if mx.Domain != "mail.example.com" || mx.CIDR4 != 24 || mx.CIDR6 != 64 {
		t.Errorf("mx = %+v", mx)
	}
	if a := rec.Directives[0]; a.CIDR4 != 32 || a.CIDR6 != 128 || a.Domain != "" {
		t.Errorf("a = %+v", a)
	}
	if got := rec.Directives[4].Net; got != netip.MustParsePrefix("2001:db8::/32") {
		t.Errorf("ip6 net %s", got)
	}
	if rec.Redirect == nil || rec.Redirect.Value != "_spf.example.com" || rec.Exp == nil || rec.Exp.Value != "explain.%{d}" {
		t.Errorf("modifiers %+v %+v", rec.Redirect, rec.Exp)
	}
	if len(rec.Modifiers) != 3 || rec.Modifiers[2].Name != "x-unknown" {
		t.Errorf("modifiers %+v", rec.Modifiers)
	}
	// a, mx, ptr, exists, include; the redirect is void because of "all".
	if n := rec.LookupTerms(); n != 5 {
		t.Errorf("LookupTerms = %d, want 5", n)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		record, term, reason string
	}{
		{"v=spf1 ip4:1.2.3.4 -all moo", "moo", "unknown mechanism"},
		{"v=spf1 -all.", "-all.", "unknown mechanism"},
		{"v=spf1 -all:foo", "-all:foo", "takes no argument"},
		{"v=spf1 a:foo-bar -all", "a:foo-bar", "top-level label"},
		{"v=spf1 a:example.com:8080", "a:example.com:8080", "top-level label"},
		{"v=spf1 a:111.222.33.44", "a:111.222.33.44", "top-level label"},
		{"v=spf1 a/33", "a/33", "out of range"},
		{"v=spf1 mx//129", "mx//129", "out of range"},
		{"v=spf1 a/24/64", "a/24/64", "CIDR length"},
		{"v=spf1 ip4:1.2.3.4/032", "ip4:1.2.3.4/032", "invalid CIDR"},
		{"v=spf1 ip4:1.2.3", "ip4:1.2.3", "not an IPv4"},
		{"v=spf1 ip4:1.2.3.4//32", "ip4:1.2.3.4//32", "invalid CIDR"},
		{"v=spf1 ip6:1.2.3.4", "ip6:1.2.3.4", "not an IPv6"},
		{"v=spf1 ip6::CAFE::BABE", "ip6::CAFE::BABE", "not an IPv6"},
		{"v=spf1 include:", "include:", "empty"},
		{"v=spf1 include", "include", "needs a domain"},
		{"v=spf1 exists:foo.example.com/24", "exists:foo.example.com/24", "top-level label"},
		{"v=spf1 ptr/0", "ptr/0", "no CIDR"},
		{"v=spf1 redirect=a.example.com redirect=b.example.com", "redirect=b.example.com", "more than once"},
		{"v=spf1 exp=", "exp=", "empty"},
		{"v=spf1 1up=foo", "1up=foo", "modifier name"},
		{"v=spf1 =all", "=all", "without a name"},
		{"v=spf1 foo=%abc", "foo=%abc", "must be followed"},
		{"v=spf1 exists:%{x}.example.com", "exists:%{x}.example.com", "unknown macro letter"},
		{"v=spf1 a:%{d0}.example.com", "a:%{d0}.example.com", "must not be zero"},
		{"v=spf1 exp=%{r}.example.com", "exp=%{r}.example.com", "only allowed in exp= text"},
		{"v=spf1 a:foo.example.com\x00", "a:foo.example.com\x00", "not allowed"},
		{"v=spf1 a:ctrl.example.com\rptr -all", "a:ctrl.example.com\rptr", "not allowed"},
		{"v=spf1 \xc2\x80a:example.net", "\xc2\x80a:example.net", "7-bit ASCII"},
		{"v=spf1 -", "-", "without a mechanism"},
	}
	for _, tc := range tests {
		t.Run(tc.record, func(t *testing.T) {
			_, err := Parse(tc.record)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want a *ParseError", err)
			}
			if pe.Term != tc.term || !strings.Contains(pe.Reason, tc.reason) {
				t.Errorf("got term %q reason %q, want %q and %q", pe.Term, pe.Reason, tc.term, tc.reason)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	for _, rec := range []string{
		"v=spf1",
		"V=SpF1 ~ALL",
		"v=spf1 a  -all ",
		"v=spf1 a:foo.example.xn--zckzah -all",
		"v=spf1 a:foo:bar/baz.example.com",
		"v=spf1 a:macro%%percent%_%_space%-url-space.example.com -all",
		"v=spf1 moo.cow-far_out=man:dog/cat ip4:1.2.3.4 -all",
		"v=spf1 default=+",
		"v=spf1 a:example.com. -all",
		"v=spf1 exists:%{l2r+-}.user.%{d2}",
		"v=spf1 ip6:::FFFF:1.2.3.4 ip6:::1.1.1.1/0",
		"v=spf1 include:%{d}",
		"v=spf1 a:abc.123-4",
	} {
		if _, err := Parse(rec); err != nil {
			t.Errorf("Parse(%q): %v", rec, err)
		}
	}
}

func TestIsSPF(t *testing.T) {
	for rec, want := range map[string]bool{
		"v=spf1": true, "v=spf1 -all": true, "V=SPF1 a": true,
		"v=spf10": false, "v=spf1mx": false, "v=spf1\t-all": false, " v=spf1": false, "spf2.0/pra": false,
	} {
		if IsSPF(rec) != want {
			t.Errorf("IsSPF(%q) = %v", rec, !want)
		}
		if _, err := Parse(rec); (err == nil) != want {
			t.Errorf("Parse(%q) err = %v", rec, err)
		}
	}
}

func TestFixHelpers(t *testing.T) {
	ips := []netip.Addr{ip4, ip6}
	if got := NewRecord(ips); got != "v=spf1 ip4:203.0.113.5 ip6:2001:db8::5 -all" {
		t.Errorf("NewRecord = %q", got)
	}
	if got := NewRecord(nil); got != "v=spf1 a mx -all" {
		t.Errorf("NewRecord(nil) = %q", got)
	}
	if got := AddIPs("v=spf1 include:_spf.example.net ~all", ips); got != "v=spf1 ip4:203.0.113.5 ip6:2001:db8::5 include:_spf.example.net ~all" {
		t.Errorf("AddIPs = %q", got)
	}
	if got := AddIPs("v=spf1 ip4:203.0.113.5 redirect=_spf.example.com", ips); got != "v=spf1 ip6:2001:db8::5 ip4:203.0.113.5 redirect=_spf.example.com" {
		t.Errorf("AddIPs with redirect = %q", got)
	}
	merged, dropped := MergeRecords([]string{"v=spf1 mx include:a.example ~all", "v=spf1 MX bad:term ip4:192.0.2.1 -all exp=e.example"})
	if merged != "v=spf1 mx include:a.example ip4:192.0.2.1 ~all exp=e.example" || len(dropped) != 1 || dropped[0] != "bad:term" {
		t.Errorf("MergeRecords = %q, %q", merged, dropped)
	}
	if got := SetAll("v=spf1 mx +all exp=e.example redirect=x.example", QFail); got != "v=spf1 mx -all exp=e.example" {
		t.Errorf("SetAll = %q", got)
	}
}
