package dmarc

import (
	"strings"
	"testing"

	"github.com/mailcred/mailcred/scoring"
)

// RFC 9989 §4.10.1: with no record of its own, a domain under a public
// suffix gets the Public Suffix Domain's policy. The domain owner cannot
// change that record; RFC 7489 §3.2 receivers (Public Suffix List) never
// read it and apply the organizational domain's own policy instead.
func TestPublicSuffixOperatorsRecordIsNotTheUsersToChange(t *testing.T) {
	for _, rec := range []string{"v=DMARC1; p=none; psd=y", "v=DMARC1; p=none"} {
		got := runChecks(t, "shop.example.org.uk", `shop.example.org.uk. A 192.0.2.1
_dmarc.org.uk. TXT "`+rec+`"`, nil)
		r := got[CheckRecord]
		wantStatus(t, r, scoring.Fail)
		wantDetail(t, r, "RFC 7489 receivers", "Public Suffix List", "example.org.uk's own policy", rec)
		if r.Fix == nil || len(r.Fix.Records) != 1 || r.Fix.Records[0].Name != "_dmarc.example.org.uk" {
			t.Fatalf("%q: the fix must publish at the user's own organizational domain: %+v", rec, r.Fix)
		}
		for _, fr := range r.Fix.Records {
			if strings.HasSuffix(fr.Name, "_dmarc.org.uk") {
				t.Errorf("%q: the fix publishes under the public suffix: %s", rec, fr.ZoneLine())
			}
		}
		if got[CheckReporting].Status != scoring.Skip || got[CheckReporting].Fix != nil {
			t.Errorf("%q: dmarc.reporting proposes a change to the suffix operator's record: %s %+v", rec, got[CheckReporting].Title, got[CheckReporting].Fix)
		}
	}
}

// RFC 9989 §4.7 (np): the policy for a non-existent subdomain is np=,
// not sp=; the title states it.
func TestNonExistentSubdomainTitleNamesNP(t *testing.T) {
	r := runChecks(t, "nosuch.example.com", `example.com. A 192.0.2.1
_dmarc.example.com. TXT "v=DMARC1; p=reject; sp=quarantine; np=reject; rua=mailto:d@example.com"`, nil)[CheckRecord]
	wantStatus(t, r, scoring.Pass)
	if !strings.Contains(r.Title, "np=reject") || strings.Contains(r.Title, "sp=") {
		t.Errorf("title %q", r.Title)
	}
	r = runChecks(t, "nosuch.example.com", `example.com. A 192.0.2.1
_dmarc.example.com. TXT "v=DMARC1; p=reject; np=none; rua=mailto:d@example.com"`, nil)[CheckRecord]
	wantStatus(t, r, scoring.Warn)
	if !strings.Contains(r.Title, "np=none") {
		t.Errorf("title %q", r.Title)
	}
}

// RFC 9989 §4.7: v MUST be the first tag; a record with v=DMARC1 later
// is not a DMARC record. Say what was ignored, and fix it by moving v.
func TestVersionNotFirstShowsWhatWasIgnored(t *testing.T) {
	r := runChecks(t, "example.com", `_dmarc.example.com. TXT "p=reject; v=DMARC1; rua=mailto:d@example.com"`, nil)[CheckRecord]
	wantStatus(t, r, scoring.Fail)
	if !strings.Contains(r.Title, "v=DMARC1 is not its first tag") {
		t.Errorf("title %q", r.Title)
	}
	wantDetail(t, r, `"p=reject; v=DMARC1; rua=mailto:d@example.com"`)
	wantFixRecord(t, r, "_dmarc.example.com", "v=DMARC1; p=reject; rua=mailto:d@example.com")
}

// RFC 9989 §4.7 (rua): an invalid URI is ignored. That is a reporting
// problem, graded once by dmarc.reporting; the policy record is fine.
func TestBadRUACountedOnceInReporting(t *testing.T) {
	got := runChecks(t, "example.com", `_dmarc.example.com. TXT "v=DMARC1; p=reject; rua=d@example.com"`, nil)
	wantStatus(t, got[CheckRecord], scoring.Pass)
	if strings.Contains(got[CheckRecord].Title, "rua") {
		t.Errorf("dmarc.record title led by rua: %q", got[CheckRecord].Title)
	}
	wantStatus(t, got[CheckReporting], scoring.Warn)
	wantDetail(t, got[CheckReporting], "d@example.com")
}
