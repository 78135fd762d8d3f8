package dmarc

import (
	"context"
	"errors"
	"fmt"

	"github.com/mailcred/mailcred/scoring/dnsx"
)

// Authorization is the answer to "does DestDomain accept DMARC reports
// about PolicyDomain?" (RFC 7489 §7.1, kept by RFC 9990 for aggregate
// reports): a receiver sends reports to an address outside the policy
// domain's Organizational Domain only if
// <policy-domain>._report._dmarc.<dest-domain> has a TXT record starting
// with v=DMARC1.
type Authorization struct {
	PolicyDomain string
	DestDomain   string
	Name         string   // the name asked
	Status       Status   // found, none, permerror or temperror
	Records      []string // the DMARC records found there
	// Findings are those of the records, without the "no policy" one: a
	// report authorization record needs no p= (RFC 9989 §4.7, p).
	Findings []Finding
	Err      error
}

// ReportAuthName is the name a destination publishes to accept reports
// about policyDomain: <policyDomain>._report._dmarc.<destDomain>.
func ReportAuthName(policyDomain, destDomain string) string {
	return policyDomain + "._report._dmarc." + destDomain
}

// AuthorizeExternal looks up whether destDomain accepts reports about
// policyDomain. The bool is true when at least one TXT record there is a
// DMARC record that is not invalid as a whole (the bare "v=DMARC1" of the
// RFC's examples is enough; several are fine). A temporary DNS failure
// gives temperror and false, so callers must look at Status before
// telling a user reports will be dropped.
func AuthorizeExternal(ctx context.Context, r *dnsx.Resolver, policyDomain, destDomain string) (bool, *Authorization) {
	a := &Authorization{PolicyDomain: policyDomain, DestDomain: destDomain, Status: StatusNone}
	pd, ok1 := normalizeDomain(policyDomain)
	dd, ok2 := normalizeDomain(destDomain)
	if !ok1 || !ok2 {
		a.Err = fmt.Errorf("dmarc: report authorization for %q at %q: not domain names", policyDomain, destDomain)
		return false, a
	}
	a.PolicyDomain, a.DestDomain, a.Name = pd, dd, ReportAuthName(pd, dd)
	ans := r.Lookup(ctx, a.Name, typeTXT)
	switch {
	case ans.Outcome.Temporary():
		a.Status, a.Err = StatusTempError, fmt.Errorf("%w: %w", ErrTempDNS, ans.Error())
		return false, a
	case ans.Outcome != dnsx.Success:
		a.Err = fmt.Errorf("no record at %s (%s)", a.Name, ans.Outcome)
		return false, a
	}
	accepted := false
	for _, txt := range ans.JoinedTXT() {
		rec, findings, err := Parse(txt)
		if errors.Is(err, ErrNotDMARC) {
			continue
		}
		a.Records = append(a.Records, txt)
		for _, f := range findings {
			if !(errors.Is(err, ErrNoPolicy) && f.Tag == "p" && f.Severity == SevError) {
				a.Findings = append(a.Findings, f)
			}
		}
		if errors.Is(err, ErrSyntax) {
			a.Err = fmt.Errorf("record at %s: %w", a.Name, err)
			continue
		}
		accepted = true
		if len(rec.RUA) > 0 {
			a.Findings = append(a.Findings, Finding{Severity: SevInfo, Tag: "rua", Message: fmt.Sprintf(
				"%s redirects aggregate reports to %s (RFC 7489 §7.1)", a.Name, joinURIs(rec.RUA))})
		}
	}
	switch {
	case accepted:
		a.Status, a.Err = StatusFound, nil
	case len(a.Records) > 0:
		a.Status = StatusPermError
	default:
		a.Err = fmt.Errorf("no DMARC record at %s", a.Name)
	}
	return accepted, a
}
