package spf

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

// TestMacroExamples are the examples of RFC 7208 §7.4.
func TestMacroExamples(t *testing.T) {
	env := &macroEnv{
		sender: "strong-bad@email.example.com", local: "strong-bad", sdomain: "email.example.com",
		domain: "email.example.com", helo: "mx.example.org", ip: netip.MustParseAddr("192.0.2.3"),
		now: time.Unix(1700000000, 0), receiver: "mx.receiver.example",
	}
	v6 := *env
	v6.ip = netip.MustParseAddr("2001:db8::cb01")
	tests := []struct {
		env      *macroEnv
		in, want string
		explain  bool
	}{
		{env, "%{s}", "strong-bad@email.example.com", false},
		{env, "%{o}", "email.example.com", false},
		{env, "%{d}", "email.example.com", false},
		{env, "%{d4}", "email.example.com", false},
		{env, "%{d3}", "email.example.com", false},
		{env, "%{d2}", "example.com", false},
		{env, "%{d1}", "com", false},
		{env, "%{dr}", "com.example.email", false},
		{env, "%{d2r}", "example.email", false},
		{env, "%{l}", "strong-bad", false},
		{env, "%{l-}", "strong.bad", false},
		{env, "%{lr}", "strong-bad", false},
		{env, "%{lr-}", "bad.strong", false},
		{env, "%{l1r-}", "strong", false},
		{env, "%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com", false},
		{env, "%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com", false},
		{env, "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com", false},
		{env, "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com", false},
		{env, "%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net", false},
		{&v6, "%{ir}.%{v}._spf.%{d2}", "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com", false},
		// §7.3: upper case letters are URL-escaped; %%, %_ and %-.
		{env, "%{L}", "strong-bad", false},
		{env, "%{S}", "strong-bad%40email.example.com", false},
		{env, "100%% %_%-", "100%  %20", true},
		{env, "%{d999}", "email.example.com", false},
		{env, "%{h}", "mx.example.org", false},
		// exp-only letters.
		{env, "%{c} %{r} %{t}", "192.0.2.3 mx.receiver.example 1700000000", true},
		{&v6, "%{c}", "2001:db8::cb01", true},
		{env, "%{p}", "unknown", false},
	}
	for _, tc := range tests {
		m, err := parseMacroString(tc.in, tc.explain)
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if got := m.expand(tc.env); got != tc.want {
			t.Errorf("%s = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMacroSyntaxErrors(t *testing.T) {
	for _, in := range []string{"%", "foo%", "%a", "%{", "%{d", "%{}", "%{x}", "%{d0}", "%{d2x}", "%{c}", "%{r}", "%{t}", "a b"} {
		if _, err := parseMacroString(in, false); err == nil {
			t.Errorf("%q parsed", in)
		}
	}
}

func TestTargetName(t *testing.T) {
	long := strings.Repeat("abcdefghi.", 30) + "example.com"
	name, ok := targetName(long + ".")
	if !ok || len(name) > 253 || !strings.HasSuffix(name, ".example.com") || strings.HasPrefix(name, ".") {
		t.Errorf("targetName(long) = %q, %v", name, ok)
	}
	for in, want := range map[string]bool{
		"mail.example.com.": true, "mail.example...com": false, "": false,
		strings.Repeat("a", 64) + ".example.com": false, strings.Repeat("a", 63) + ".example.com": true,
	} {
		if _, ok := targetName(in); ok != want {
			t.Errorf("targetName(%q) ok = %v", in, ok)
		}
	}
}

func TestCheckDomain(t *testing.T) {
	for in, ok := range map[string]bool{
		"example.com": true, "Example.COM.": true, "A2345678": false, "[1.2.3.5]": false,
		"a...example.com": false, "bücher.example": false, "xn--bcher-kva.example": true,
		strings.Repeat("a", 64) + ".example.com": false, "foo bar.example": false,
	} {
		if _, err := checkDomain(in); (err == nil) != ok {
			t.Errorf("checkDomain(%q) err = %v", in, err)
		}
	}
}
