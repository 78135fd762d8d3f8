package dmarc

import (
	"errors"
	"slices"
	"testing"
)

// FuzzParse feeds Parse hostile TXT text (the seed corpus is in
// testdata/fuzz/FuzzParse: every record of cases.json and a few more). It
// checks Parse never panics, classifies every input, explains every
// rejection, and that a usable record's canonical form parses back to
// itself, since fixes are built from it.
func FuzzParse(f *testing.F) {
	f.Add("v=DMARC1; p=reject; rua=mailto:dmarc@example.com")
	f.Fuzz(func(t *testing.T, txt string) {
		rec, findings, err := Parse(txt)
		switch {
		case err == nil:
		case errors.Is(err, ErrNotDMARC):
			if rec != nil {
				t.Fatalf("ErrNotDMARC with a record %+v", rec)
			}
		case errors.Is(err, ErrSyntax), errors.Is(err, ErrNoPolicy):
			if rec == nil {
				t.Fatalf("%v without the record", err)
			}
		default:
			t.Fatalf("unclassified error %v", err)
		}
		if err != nil && !slices.ContainsFunc(findings, func(f Finding) bool { return f.Severity == SevError }) {
			t.Fatalf("%v but no error finding:%s", err, findingLines(findings))
		}
		if err != nil {
			return
		}
		s := rec.String()
		again, fs, err := Parse(s)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v%s", s, txt, err, findingLines(fs))
		}
		if again.String() != s {
			t.Fatalf("canonical form not stable: %q → %q", s, again.String())
		}
	})
}
