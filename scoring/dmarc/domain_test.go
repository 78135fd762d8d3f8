package dmarc

import (
	"bufio"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestOrganizationalDomainPSLVectors runs the Public Suffix List's official
// vectors (testdata/psl_tests.txt, CC0, publicsuffix/list tests/tests.txt)
// against OrganizationalDomain. "null" (no registrable domain) is where we
// return the name itself (a public suffix is its own organizational
// domain) or "" (invalid input); U-labels compare as A-labels.
func TestOrganizationalDomainPSLVectors(t *testing.T) {
	f, err := os.Open("testdata/psl_tests.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n, ok := 0, 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "//") {
			continue
		}
		fields := strings.Fields(line)
		in, want := fields[0], fields[1]
		if in == "null" {
			continue // a null input is not a string in Go
		}
		n++
		got := OrganizationalDomain(in)
		self, _ := normalizeDomain(in)
		switch {
		case want == "null" && (got == "" || got == self):
			ok++
		case want != "null" && got == mustNormalize(want):
			ok++
		default:
			t.Errorf("OrganizationalDomain(%q) = %q, want %s", in, got, want)
		}
	}
	t.Logf("psl vectors: %d/%d", ok, n)
}

func TestWalkTargets(t *testing.T) {
	for _, tc := range []struct {
		domain string
		want   []string
	}{
		{"localhost", []string{"localhost"}},
		{"192.0.2.1", []string{"192.0.2.1"}},
		{"example.com", []string{"example.com", "com"}},
		{"a.mail.example.com", []string{"a.mail.example.com", "mail.example.com", "example.com", "com"}},
		// mailauth rfc9989-compliance-test.js: 8 labels lose one, 9 jump to 7.
		{"a.b.c.d.e.f.example.com", []string{"a.b.c.d.e.f.example.com", "b.c.d.e.f.example.com",
			"c.d.e.f.example.com", "d.e.f.example.com", "e.f.example.com", "f.example.com", "example.com", "com"}},
		{"x.a.b.c.d.e.f.example.com", []string{"x.a.b.c.d.e.f.example.com", "b.c.d.e.f.example.com",
			"c.d.e.f.example.com", "d.e.f.example.com", "e.f.example.com", "f.example.com", "example.com", "com"}},
	} {
		if got := walkTargets(tc.domain); !slices.Equal(got, tc.want) {
			t.Errorf("walkTargets(%s) = %v, want %v", tc.domain, got, tc.want)
		}
	}
}

func TestNormalizeDomain(t *testing.T) {
	for in, want := range map[string]string{
		"Example.COM.":   "example.com",
		"пример.рф":      "xn--e1afmkfd.xn--p1ai",
		"bücher.example": "xn--bcher-kva.example",
		"[192.0.2.1]":    "192.0.2.1",
		"a..b":           "",
		"":               "",
		"bad domain.com": "",
	} {
		got, ok := normalizeDomain(in)
		if got != want || ok != (want != "") {
			t.Errorf("normalizeDomain(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func mustNormalize(s string) string {
	n, _ := normalizeDomain(s)
	return n
}
