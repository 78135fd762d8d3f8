package scoring

import "testing"

func TestDomainOf(t *testing.T) {
	for in, want := range map[string]string{
		"bob@example.com":             "example.com",
		"Bob@Example.COM.":            "example.com",
		"a@b@mail.example.org":        "mail.example.org", // the last @ separates the domain
		"postmaster@ mail.example. ":  "mail.example",
		"\"odd@local\"@example.net":   "example.net",
		"no-at-sign":                  "",
		"trailing@":                   "",
		"dot-only@.":                  "",
		"":                            "",
		"user@xn--bcher-kva.example.": "xn--bcher-kva.example",
	} {
		if got := DomainOf(in); got != want {
			t.Errorf("DomainOf(%q) = %q, want %q", in, got, want)
		}
	}
}
