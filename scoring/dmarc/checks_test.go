package dmarc

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnstest"
)

// runChecks runs dmarc.record and dmarc.reporting for domain against a
// dnstest server loaded with zoneText, after setup (faults) if any.
func runChecks(t *testing.T, domain, zoneText string, setup func(*dnstest.Server)) map[string]scoring.Result {
	t.Helper()
	srv, err := dnstest.Start(zoneText)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	if setup != nil {
		setup(srv)
	}
	env := &scoring.Env{Evidence: scoring.Evidence{Domain: domain}, DNS: newResolver(t, srv)}
	out := map[string]scoring.Result{}
	for _, r := range scoring.RunAll(context.Background(), env, Checks()) {
		out[r.ID] = r
		t.Logf("%s: %s — %s\n%s", r.ID, r.Status, r.Title, r.Detail)
		if r.Fix != nil {
			t.Logf("  fix: %s", r.Fix.Summary)
			for _, rec := range r.Fix.Records {
				t.Logf("  %s", rec.ZoneLine())
			}
		}
	}
	return out
}

func wantStatus(t *testing.T, r scoring.Result, s scoring.Status) {
	t.Helper()
	if r.Status != s {
		t.Errorf("%s: status %s, want %s (%s)\n%s", r.ID, r.Status, s, r.Title, r.Detail)
	}
}

// wantFixRecord asserts the result's fix includes exactly this record.
func wantFixRecord(t *testing.T, r scoring.Result, name, value string) {
	t.Helper()
	if r.Fix == nil {
		t.Fatalf("%s: no fix, want %s TXT %q", r.ID, name, value)
	}
	want := scoring.TXTRecord(name, value)
	for _, got := range r.Fix.Records {
		if got.Name == want.Name && got.Type == want.Type && got.Value == want.Value && slices.Equal(got.Strings, want.Strings) {
			return
		}
	}
	t.Errorf("%s: fix records %+v, want %s TXT %q", r.ID, r.Fix.Records, name, value)
}

func wantDetail(t *testing.T, r scoring.Result, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(r.Detail+"\n"+r.Title, p) {
			t.Errorf("%s: detail lacks %q:\n%s\n%s", r.ID, p, r.Title, r.Detail)
		}
	}
}

func TestCheckNoRecord(t *testing.T) {
	res := runChecks(t, "example.com", `example.com. TXT "v=spf1 -all"`, nil)
	rec := res[CheckRecord]
	wantStatus(t, rec, scoring.Fail)
	wantFixRecord(t, rec, "_dmarc.example.com", "v=DMARC1; p=none; rua=mailto:dmarc-reports@example.com")
	wantDetail(t, rec, "_dmarc.example.com, _dmarc.com")
	wantStatus(t, res[CheckReporting], scoring.Skip)
	if len(rec.Queries) == 0 {
		t.Errorf("the result carries no queries")
	}
}

func TestCheckLowercaseVersionIsNoRecord(t *testing.T) {
	res := runChecks(t, "example.com", `_dmarc.example.com. TXT "v=dmarc1; p=reject"`, nil)
	rec := res[CheckRecord]
	wantStatus(t, rec, scoring.Fail)
	wantDetail(t, rec, "Ignored TXT", "exactly DMARC1")
}

func TestCheckPolicyNone(t *testing.T) {
	res := runChecks(t, "example.com", `_dmarc.example.com. TXT "v=DMARC1; p=none; rua=mailto:dmarc@example.com"`, nil)
	rec := res[CheckRecord]
	wantStatus(t, rec, scoring.Warn)
	wantDetail(t, rec, "monitoring only", "Found at _dmarc.example.com (the domain's own record)")
	wantFixRecord(t, rec, "_dmarc.example.com", "v=DMARC1; p=quarantine; rua=mailto:dmarc@example.com")
	if strings.Contains(rec.Detail, rec.Title) {
		t.Errorf("the detail repeats the title %q:\n%s", rec.Title, rec.Detail)
	}
	rep := res[CheckReporting]
	wantStatus(t, rep, scoring.Pass)
	wantDetail(t, rep, "dmarc@example.com")
}

func TestCheckRejectExternalAuthorised(t *testing.T) {
	zone := `
_dmarc.example.com. TXT "v=DMARC1; p=reject; rua=mailto:agg@reports.example.net"
example.com._report._dmarc.reports.example.net. TXT "v=DMARC1"
`
	var srv *dnstest.Server
	res := runChecks(t, "example.com", zone, func(s *dnstest.Server) { srv = s })
	wantStatus(t, res[CheckRecord], scoring.Pass)
	rep := res[CheckReporting]
	wantStatus(t, rep, scoring.Pass)
	wantDetail(t, rep, "authorised by example.com._report._dmarc.reports.example.net")
	if !slices.ContainsFunc(srv.Log(), func(q dns.Question) bool {
		return q.Name == "example.com._report._dmarc.reports.example.net."
	}) {
		t.Errorf("the authorization record was not looked up: %v", srv.Log())
	}
}

func TestCheckRejectExternalWildcardAuthorised(t *testing.T) {
	zone := `
_dmarc.example.com. TXT "v=DMARC1; p=reject; rua=mailto:agg@reports.example.net"
*._report._dmarc.reports.example.net. TXT "v=DMARC1"
`
	wantStatus(t, runChecks(t, "example.com", zone, nil)[CheckReporting], scoring.Pass)
}

func TestCheckRejectExternalNotAuthorised(t *testing.T) {
	zone := `_dmarc.example.com. TXT "v=DMARC1; p=reject; rua=mailto:dmarc@example.com,mailto:agg@reports.example.net"`
	res := runChecks(t, "example.com", zone, nil)
	wantStatus(t, res[CheckRecord], scoring.Pass)
	rep := res[CheckReporting]
	wantStatus(t, rep, scoring.Fail)
	wantDetail(t, rep, "are dropped", "has not authorised example.com", "RFC 7489 §7.1", "dmarc@example.com")
	wantFixRecord(t, rep, "example.com._report._dmarc.reports.example.net", "v=DMARC1")
}

func TestCheckExternalAuthorizationMalformed(t *testing.T) {
	zone := `
_dmarc.example.com. TXT "v=DMARC1; p=reject; rua=mailto:agg@reports.example.net"
example.com._report._dmarc.reports.example.net. TXT "v=DMARC1; p=none; p=reject"
`
	rep := runChecks(t, "example.com", zone, nil)[CheckReporting]
	wantStatus(t, rep, scoring.Fail)
	wantDetail(t, rep, "invalid DMARC record")
	wantFixRecord(t, rep, "example.com._report._dmarc.reports.example.net", "v=DMARC1")
}

func TestCheckExternalAuthorizationTempError(t *testing.T) {
	zone := `_dmarc.example.com. TXT "v=DMARC1; p=reject; rua=mailto:agg@reports.example.net"`
	res := runChecks(t, "example.com", zone, func(s *dnstest.Server) {
		s.SetFault("example.com._report._dmarc.reports.example.net", dnstest.ServFail)
	})
	wantStatus(t, res[CheckRecord], scoring.Pass)
	wantStatus(t, res[CheckReporting], scoring.Error)
}

func TestCheckTwoRecords(t *testing.T) {
	zone := `
_dmarc.example.com. TXT "v=DMARC1; p=reject; rua=mailto:dmarc@example.com"
_dmarc.example.com. TXT "v=DMARC1; p=none"
`
	res := runChecks(t, "example.com", zone, nil)
	rec := res[CheckRecord]
	wantStatus(t, rec, scoring.Fail)
	wantDetail(t, rec, "2 DMARC records at _dmarc.example.com", "discard them all")
	wantFixRecord(t, rec, "_dmarc.example.com", "v=DMARC1; p=reject; rua=mailto:dmarc@example.com")
}

func TestCheckServFailIsError(t *testing.T) {
	res := runChecks(t, "example.com", `_dmarc.example.com. TXT "v=DMARC1; p=reject"`, func(s *dnstest.Server) {
		s.SetFault("_dmarc.example.com", dnstest.ServFail)
	})
	wantStatus(t, res[CheckRecord], scoring.Error)
	wantStatus(t, res[CheckReporting], scoring.Error)
	wantDetail(t, res[CheckRecord], "SERVFAIL")
}

func TestCheckTimeoutIsError(t *testing.T) {
	res := runChecks(t, "example.com", `_dmarc.example.com. TXT "v=DMARC1; p=reject"`, func(s *dnstest.Server) {
		s.SetFault("_dmarc.example.com", dnstest.Timeout)
	})
	wantStatus(t, res[CheckRecord], scoring.Error)
	wantStatus(t, res[CheckReporting], scoring.Error)
	wantDetail(t, res[CheckRecord], "timed out")
}

func TestCheckParentTimeoutAfterOwnRecordStillGrades(t *testing.T) {
	// The own record decides dmarc.record; the walk above it only finds
	// the organizational domain, so its failure is a note, not an error.
	res := runChecks(t, "example.com", `_dmarc.example.com. TXT "v=DMARC1; p=reject; rua=mailto:d@example.com"`, func(s *dnstest.Server) {
		s.SetFault("_dmarc.com", dnstest.Timeout)
	})
	wantStatus(t, res[CheckRecord], scoring.Pass)
}

func TestCheckUnparsableListsEveryProblem(t *testing.T) {
	zone := `_dmarc.example.com. TXT "v=DMARC1; p=reject; p=none; adkim=x; foo=bar; rua=bogus"`
	rec := runChecks(t, "example.com", zone, nil)[CheckRecord]
	wantStatus(t, rec, scoring.Fail)
	wantDetail(t, rec, "p= appears more than once", "adkim=\"x\"", "unknown tag foo=", `rua URI "bogus"`)
	wantFixRecord(t, rec, "_dmarc.example.com", "v=DMARC1; p=reject; rua=mailto:dmarc-reports@example.com")
}

func TestCheckNoPolicyNoRua(t *testing.T) {
	rec := runChecks(t, "example.com", `_dmarc.example.com. TXT "v=DMARC1; adkim=s"`, nil)[CheckRecord]
	wantStatus(t, rec, scoring.Fail)
	wantDetail(t, rec, "no usable policy", "no p= and no valid rua=")
	wantFixRecord(t, rec, "_dmarc.example.com", "v=DMARC1; p=none; adkim=s; rua=mailto:dmarc-reports@example.com")
}

func TestCheckMissingPolicyWithRua(t *testing.T) {
	rec := runChecks(t, "example.com", `_dmarc.example.com. TXT "v=DMARC1; rua=mailto:d@example.com"`, nil)[CheckRecord]
	wantStatus(t, rec, scoring.Warn)
	wantDetail(t, rec, "no p= tag", "monitoring only")
	wantFixRecord(t, rec, "_dmarc.example.com", "v=DMARC1; p=quarantine; rua=mailto:d@example.com")
}

func TestCheckInvalidPolicyCollapsesToNone(t *testing.T) {
	rec := runChecks(t, "example.com", `_dmarc.example.com. TXT "v=DMARC1; p=rejcet; sp=reject; rua=mailto:d@example.com"`, nil)[CheckRecord]
	wantStatus(t, rec, scoring.Fail)
	wantDetail(t, rec, "p= is invalid", `p="rejcet"`)
}

func TestCheckRemovedTags(t *testing.T) {
	rec := runChecks(t, "example.com", `_dmarc.example.com. TXT "v=DMARC1; p=reject; pct=100; ri=86400; rf=afrf; rua=mailto:d@example.com"`, nil)[CheckRecord]
	wantStatus(t, rec, scoring.Info)
	wantDetail(t, rec, "pct=100 is the old default and removed in RFC 9989", "ri= is removed in RFC 9989", "rf= is removed in RFC 9989")
	wantFixRecord(t, rec, "_dmarc.example.com", "v=DMARC1; p=reject; rua=mailto:d@example.com")

	rec = runChecks(t, "example.com", `_dmarc.example.com. TXT "v=DMARC1; p=reject; pct=20"`, nil)[CheckRecord]
	wantStatus(t, rec, scoring.Warn)
	wantDetail(t, rec, "pct=20 is removed in RFC 9989")
}

func TestCheckWeakSubdomainPolicy(t *testing.T) {
	rec := runChecks(t, "example.com", `_dmarc.example.com. TXT "v=DMARC1; p=reject; sp=none; np=reject; rua=mailto:d@example.com"`, nil)[CheckRecord]
	wantStatus(t, rec, scoring.Warn)
	wantDetail(t, rec, "sp=none is weaker than p=reject", "Non-existent subdomains: np=reject")
	wantFixRecord(t, rec, "_dmarc.example.com", "v=DMARC1; p=reject; np=reject; rua=mailto:d@example.com")
}

func TestCheckTestMode(t *testing.T) {
	rec := runChecks(t, "example.com", `_dmarc.example.com. TXT "v=DMARC1; p=reject; t=y; rua=mailto:d@example.com"`, nil)[CheckRecord]
	wantStatus(t, rec, scoring.Warn)
	wantDetail(t, rec, "t=y (test mode, RFC 9989): receivers apply reject as quarantine")
	wantFixRecord(t, rec, "_dmarc.example.com", "v=DMARC1; p=reject; rua=mailto:d@example.com")
}

func TestCheckPSDFlag(t *testing.T) {
	rec := runChecks(t, "example.com", `_dmarc.example.com. TXT "v=DMARC1; p=reject; psd=y; rua=mailto:d@example.com"`, nil)[CheckRecord]
	wantStatus(t, rec, scoring.Warn)
	wantDetail(t, rec, "psd=y declares example.com a public suffix domain")

	rec = runChecks(t, "example.com", `_dmarc.example.com. TXT "v=DMARC1; p=reject; psd=n; rua=mailto:d@example.com"`, nil)[CheckRecord]
	wantStatus(t, rec, scoring.Pass)
	wantDetail(t, rec, "psd=n: example.com is its own organizational domain")
}

func TestCheckInheritedFromOrgDomain(t *testing.T) {
	zone := `
_dmarc.example.com. TXT "v=DMARC1; p=quarantine; sp=reject; rua=mailto:d@example.com"
mail.example.com. A 192.0.2.1
`
	res := runChecks(t, "mail.example.com", zone, nil)
	rec := res[CheckRecord]
	wantStatus(t, rec, scoring.Pass)
	wantDetail(t, rec, "No record at _dmarc.mail.example.com; the policy comes from the organizational domain's record at _dmarc.example.com",
		"sp=reject of _dmarc.example.com applies to mail.example.com")
	wantStatus(t, res[CheckReporting], scoring.Pass)
}

func TestCheckSubdomainOwnRecordWithoutParent(t *testing.T) {
	// RFC 9989: with no record above it, mail.example.com is its own
	// organizational domain; the PSL says example.com. Both are shown.
	rec := runChecks(t, "mail.example.com", `_dmarc.mail.example.com. TXT "v=DMARC1; p=reject"`, nil)[CheckRecord]
	wantStatus(t, rec, scoring.Pass)
	wantDetail(t, rec, "Organizational domain: mail.example.com (RFC 9989 tree walk); example.com under the Public Suffix List")
}

func TestCheckNoRua(t *testing.T) {
	rep := runChecks(t, "example.com", `_dmarc.example.com. TXT "v=DMARC1; p=reject"`, nil)[CheckReporting]
	wantStatus(t, rep, scoring.Warn)
	wantFixRecord(t, rep, "_dmarc.example.com", "v=DMARC1; p=reject; rua=mailto:dmarc-reports@example.com")
}

func TestCheckRufIsInfo(t *testing.T) {
	rep := runChecks(t, "example.com", `_dmarc.example.com. TXT "v=DMARC1; p=reject; rua=mailto:d@example.com; ruf=mailto:f@example.com"`, nil)[CheckReporting]
	wantStatus(t, rep, scoring.Info)
	wantDetail(t, rep, "failure reports")
}

func TestCheckInternalSubdomainDestination(t *testing.T) {
	// reports.example.com is inside example.com's organization: no
	// authorization record is needed, and none is asked for.
	var srv *dnstest.Server
	res := runChecks(t, "example.com", `_dmarc.example.com. TXT "v=DMARC1; p=reject; rua=mailto:d@reports.example.com"`,
		func(s *dnstest.Server) { srv = s })
	wantStatus(t, res[CheckReporting], scoring.Pass)
	for _, q := range srv.Log() {
		if strings.Contains(q.Name, "._report.") {
			t.Errorf("asked %s for an internal destination", q.Name)
		}
	}
}
