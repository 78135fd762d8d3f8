package dmarc

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestParseListsEveryProblem: a lint-grade parser reports all problems,
// in record order, not just the first.
func TestParseListsEveryProblem(t *testing.T) {
	rec, findings, err := Parse("v=DMARC1; sp=reject; p=quarantine; adkim=x; aspf=s; foo=bar; junk; ;" +
		" rua=mailto:a@example.com!10m,bogus; pct=50; ri=3600; rf=afrf; fo=1; t=maybe; psd=n; np=none")
	if err != nil {
		t.Fatalf("err = %v, want a usable record", err)
	}
	var tags []string
	for _, f := range findings {
		tags = append(tags, f.Severity+":"+f.Tag)
	}
	want := []string{
		"warn:p",      // p not right after v (RFC 7489 grammar)
		"error:adkim", // x
		"warn:foo",    // unknown
		"warn:",       // "junk" without =
		"warn:",       // empty tag
		"info:rua",    // !10m size suffix
		"error:rua",   // bogus
		"warn:pct",    // pct=50 removed
		"info:ri",     // removed
		"info:rf",     // removed
		"error:t",     // maybe
		"info:fo",     // fo without ruf
	}
	if !slices.Equal(tags, want) {
		t.Errorf("findings %v\nwant     %v%s", tags, want, findingLines(findings))
	}
	if rec.P != PolicyQuarantine || rec.SP != PolicyReject || rec.NP != PolicyNone || rec.ADKIM != Relaxed ||
		rec.ASPF != Strict || rec.PSD != "n" || rec.T || *rec.PCT != 50 || len(rec.RUA) != 1 {
		t.Errorf("record %+v", rec)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		txt  string
		want error
	}{
		{"v=spf1 -all", ErrNotDMARC},
		{"v=DMARC1 p=none", ErrNotDMARC},
		{"v=dmarc1; p=none", ErrNotDMARC},
		{"v=DMARC1; p=none; P=reject", ErrSyntax},
		{"v=DMARC1; v=DMARC1; p=none", ErrSyntax},
		{"v=DMARC1; p=bogus", ErrNoPolicy},
		{"v=DMARC1; rua=mailto:", ErrNoPolicy},
		{"v=DMARC1; rua=dmarc@example.com", ErrNoPolicy},
		{"v=DMARC1", ErrNoPolicy},
	} {
		rec, findings, err := Parse(tc.txt)
		if !errors.Is(err, tc.want) {
			t.Errorf("Parse(%q) err = %v, want %v", tc.txt, err, tc.want)
		}
		if len(findings) == 0 {
			t.Errorf("Parse(%q): no finding says why", tc.txt)
		}
		if (rec == nil) != (tc.want == ErrNotDMARC) {
			t.Errorf("Parse(%q) record %v: a DMARC record, even unusable, must be returned for the linter", tc.txt, rec)
		}
	}
}

func TestParseImpliedNone(t *testing.T) {
	// RFC 9989 §4.7: a missing p= is p=none, other tags kept.
	rec, _, err := Parse("v=DMARC1; sp=reject; rua=mailto:d@example.com")
	if err != nil || rec.P != PolicyNone || rec.SP != PolicyReject || !rec.ImpliedNone {
		t.Errorf("missing p: %+v, %v", rec, err)
	}
	// RFC 9989 §4.10.1: an invalid sp= makes the record act as only p=none.
	rec, _, err = Parse("v=DMARC1; p=reject; sp=bounce; rua=mailto:d@example.com")
	if err != nil || rec.P != PolicyNone || rec.SP != "" || !rec.ImpliedNone {
		t.Errorf("invalid sp: %+v, %v", rec, err)
	}
}

func TestParseURIs(t *testing.T) {
	rec, _, err := Parse("v=DMARC1; p=none; rua=mailto:Agg%2BReports@Reports.Example.NET!20M, https://report.example.org/dmarc")
	if err != nil {
		t.Fatal(err)
	}
	want := []URI{
		{Raw: "mailto:Agg%2BReports@Reports.Example.NET!20M", URI: "mailto:Agg%2BReports@Reports.Example.NET", Scheme: "mailto",
			Address: "Agg+Reports@Reports.Example.NET", Domain: "reports.example.net", MaxSize: "20m"},
		{Raw: "https://report.example.org/dmarc", URI: "https://report.example.org/dmarc", Scheme: "https",
			Address: "https://report.example.org/dmarc", Domain: "report.example.org"},
	}
	if !slices.Equal(rec.RUA, want) {
		t.Errorf("rua = %+v\nwant  %+v", rec.RUA, want)
	}
	for _, bad := range []string{"mailto:a@example.com!", "mailto:a@example.com!10p", "mailto:a@example.com!1kk",
		"mailto:a@example.com!99999999999999999999999", "mailto:a b@example.com", "mailto:a@exa mple.com", "mailto:@example.com", "nourl"} {
		if u, err := parseURI(bad); err == nil {
			t.Errorf("parseURI(%q) = %+v, want an error", bad, u)
		}
	}
}

// TestStringRoundTrip: the canonical rendering parses back to itself, so
// fixes built from it are valid records.
func TestStringRoundTrip(t *testing.T) {
	for _, txt := range []string{
		"v=DMARC1; rua=mailto:d@example.com",
		"V = DMARC1 ; P = reject ;\tSP=none; adkim=s; aspf=s; rua=mailto:a@example.com  ,\tmailto:b@example.net!10m; RUF=mailto:c@example.com; RI = 123; FO = 0:1:d:s ; RF= afrf : other; Pct = 0",
		"v=DMARC1; p=quarantine; np=reject; psd=n; t=y",
	} {
		rec, _, err := Parse(txt)
		if err != nil {
			t.Fatalf("Parse(%q): %v", txt, err)
		}
		s := rec.String()
		again, _, err := Parse(s)
		if err != nil || again.String() != s {
			t.Errorf("round trip of %q: %q → %v %q", txt, s, err, again)
		}
		if !strings.HasPrefix(s, "v=DMARC1; p=") {
			t.Errorf("canonical form %q must start with v and p (RFC 7489 order)", s)
		}
	}
}
