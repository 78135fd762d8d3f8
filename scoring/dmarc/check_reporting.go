package dmarc

import (
	"context"
	"fmt"
	"strings"

	"github.com/mailcred/mailcred/scoring"
)

// runReporting is dmarc.reporting: aggregate reports are requested (rua=),
// and every destination outside the domain has agreed to receive them
// (RFC 7489 §7.1), which is checked with a real lookup.
func runReporting(ctx context.Context, env *scoring.Env) scoring.Result {
	domain, ok := normalizeDomain(env.Evidence.Domain)
	if !ok {
		return errorResult(CheckReporting, "DMARC reporting: not a domain name", fmt.Errorf("%q is not a domain name", env.Evidence.Domain))
	}
	d := Discover(ctx, env.DNS, domain)
	switch {
	case d.Status == StatusTempError:
		return errorResult(CheckReporting, "DMARC reporting: DNS lookup failed, could not check",
			fmt.Errorf("%w\nQueries: %s", d.Err, strings.Join(d.Queries, ", ")))
	case d.Status != StatusFound:
		return scoring.Result{ID: CheckReporting, Status: scoring.Skip,
			Title:  "DMARC reporting: no usable DMARC record",
			Detail: "Receivers send reports only for a usable DMARC record; dmarc.record says what to publish (its record includes rua=)."}
	}
	if publishedBySuffix(d) {
		return scoring.Result{ID: CheckReporting, Status: scoring.Skip,
			Title: "DMARC reporting: no DMARC record of your own",
			Detail: fmt.Sprintf("The record that applies is the public suffix operator's, at _dmarc.%s; reports it asks for are theirs. "+
				"dmarc.record says what to publish at _dmarc.%s (its record includes rua=).", d.RecordDomain, d.OrgDomainPSL)}
	}
	rec := d.Record
	v := &verdict{}
	name := "_dmarc." + d.RecordDomain
	if len(rec.RUA) == 0 {
		why := "no rua= tag"
		if hasTag(rec, "rua") {
			why = "rua= has no valid URI"
		}
		v.add(scoring.Warn, fmt.Sprintf("No DMARC reports requested (%s): you cannot see who sends as %s", why, d.RecordDomain))
		s := rec.clone()
		s.RUA = []URI{reportURI(d.RecordDomain)}
		v.addFix(fmt.Sprintf("Add rua= so receivers send daily aggregate reports (the mailbox %s@%s must exist):", reportMailbox, d.RecordDomain),
			scoring.TXTRecord(name, s.String()))
	}
	checked := map[string]bool{}
	for _, tu := range taggedURIs(rec) {
		if tu.uri.Domain == "" || checked[tu.tag+" "+tu.uri.Domain] {
			continue
		}
		checked[tu.tag+" "+tu.uri.Domain] = true
		checkDestination(ctx, env, d, tu.tag, tu.uri, v)
	}
	if len(rec.RUF) > 0 {
		v.add(scoring.Info, "ruf= requests failure reports: few receivers send them (they would carry message content), so do not rely on them")
	}
	for _, f := range d.Findings {
		if f.Tag == "rua" || f.Tag == "ruf" {
			switch f.Severity {
			case SevError, SevWarn:
				v.add(scoring.Warn, "DMARC: "+f.Message)
			default:
				v.lines = append(v.lines, f.Message)
			}
		}
	}
	return v.result(CheckReporting, fmt.Sprintf("%s\n%s TXT %q", where(d), name, rec.Raw))
}

// taggedURI is a report destination with the tag that asked for it.
type taggedURI struct {
	tag string
	uri URI
}

func taggedURIs(rec *Record) []taggedURI {
	var out []taggedURI
	for _, u := range rec.RUA {
		out = append(out, taggedURI{"rua", u})
	}
	for _, u := range rec.RUF {
		out = append(out, taggedURI{"ruf", u})
	}
	return out
}

// checkDestination judges one report destination: inside the policy
// domain's organization it needs nothing; outside it the destination must
// publish <policy>._report._dmarc.<dest> (RFC 7489 §7.1).
func checkDestination(ctx context.Context, env *scoring.Env, d *Discovery, tag string, u URI, v *verdict) {
	policy := d.RecordDomain
	if !isExternal(d, u.Domain) {
		v.add(scoring.Pass, fmt.Sprintf("DMARC %s reports go to %s (within %s's organization)", tag, u.Address, policy))
		return
	}
	authName := ReportAuthName(policy, u.Domain)
	accepted, a := AuthorizeExternal(ctx, env.DNS, policy, u.Domain)
	switch {
	case accepted:
		v.add(scoring.Pass, fmt.Sprintf("DMARC %s reports go to %s, authorised by %s", tag, u.Address, authName))
	case a.Status == StatusTempError:
		v.add(scoring.Error, fmt.Sprintf("DMARC %s destination %s: could not check its authorization (%v)", tag, u.Domain, a.Err))
	default:
		problem := "has no v=DMARC1 record"
		if a.Status == StatusPermError {
			problem = "has an invalid DMARC record: " + a.Err.Error()
		}
		v.add(scoring.Fail, fmt.Sprintf("DMARC %s reports to %s are dropped: %s has not authorised %s; %s %s (RFC 7489 §7.1)",
			tag, u.Domain, u.Domain, policy, authName, problem))
		v.addFix(fmt.Sprintf("%s must publish this record to accept %s reports about %s (a wildcard *._report._dmarc.%s also works); or send reports to an address in %s.",
			u.Domain, tag, policy, u.Domain, policy),
			scoring.TXTRecord(authName, "v=DMARC1"))
	}
}

// isExternal reports whether dest is outside the policy domain's
// organization, and so needs the destination's consent. RFC 7489 §7.1 uses
// the PSL Organizational Domain; under RFC 9989 the tree walk's may differ,
// so a destination counts as internal only if both agree (the PSL alone
// when a DNS failure left the tree walk's unknown). A destination at or
// below the tree-walk Organizational Domain is taken to share it without a
// walk of its own; only a psd=n record between them could say otherwise.
func isExternal(d *Discovery, dest string) bool {
	pslSame := OrganizationalDomain(dest) == OrganizationalDomain(d.RecordDomain)
	treeSame := d.OrgDomain == "" || isUnder(dest, d.OrgDomain)
	return !pslSame || !treeSame
}

func hasTag(rec *Record, name string) bool {
	for _, t := range rec.Tags {
		if t.Name == name {
			return true
		}
	}
	return false
}
