package receiver

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dkim"
	"github.com/mailcred/mailcred/scoring/dmarc"
	"github.com/mailcred/mailcred/scoring/headers"
	"github.com/mailcred/mailcred/scoring/spf"
)

// runAlignment is dmarc.alignment: DMARC evaluation of the message (RFC
// 9989 §4.4, §4.10): SPF for the envelope and each DKIM signature, each
// compared with the From domain, and the policy a receiver would apply.
// pass → pass; fail → fail, saying what the policy does to the mail; no
// record → warn; temperror → error; an unusable record → warn (the record
// check says why).
func runAlignment(ctx context.Context, env *scoring.Env) scoring.Result {
	v := Judge(ctx, env.DNS, env.Evidence)
	if v.FromDomain == "" {
		return scoring.Result{
			Status: scoring.Fail,
			Title:  "No single From domain: DMARC cannot be evaluated",
			Detail: "DMARC aligns SPF and DKIM with the domain of the one From address; " + v.FromProblem +
				". Receivers may reject such mail outright (RFC 7489 §6.6.1).",
			Fix: &scoring.Fix{Summary: "Put exactly one address of your own domain in From:.", Snippet: "From: Your Name <you@example.com>",
				Manual: "In the message: the program or script that composes it."},
		}
	}
	e := v.DMARC
	var limit *headers.LimitError
	if errors.As(v.DKIMErr, &limit) && e.Result != dmarc.ResultPass {
		// Without the DKIM half, "fail" would be a guess.
		return scoring.Result{Status: scoring.Error,
			Title:  "DMARC not evaluated: the header section is over the limits",
			Detail: limit.Error() + ". message.format says what receivers do with it."}
	}
	detail := strings.Join(identifierLines(v), "\n")
	switch e.Result {
	case dmarc.ResultTempError:
		return scoring.Result{
			Status: scoring.Error,
			Title:  fmt.Sprintf("DMARC for %s could not be evaluated (temporary DNS failure)", v.FromDomain),
			Detail: fmt.Sprintf("%v\n%s\nReceivers answer dmarc=temperror and never apply the policy on a temporary failure (RFC 9989).", e.Err, detail),
			Fix:    &scoring.Fix{Summary: fmt.Sprintf("Retry. If it persists, check that the name servers of %s answer: dig TXT _dmarc.%s", v.FromDomain, v.FromDomain)},
		}
	case dmarc.ResultNone:
		return noPolicy(v, detail)
	case dmarc.ResultPermError:
		return scoring.Result{
			Status: scoring.Warn,
			Title:  fmt.Sprintf("The DMARC record for %s cannot be used (permerror): receivers apply no policy", v.FromDomain),
			Detail: fmt.Sprintf("%v\n%s", e.Err, detail),
			Fix: &scoring.Fix{Summary: fmt.Sprintf("`mailcred check --domain %s` (dmarc.record) lists what is wrong with the record and the corrected one.",
				orRecordDomain(e, v.FromDomain)), Manual: "The corrected record is dmarc.record's fix."},
		}
	case dmarc.ResultPass:
		res := scoring.Result{Status: scoring.Pass, Detail: detail + "\n" + policyLine(e)}
		if e.DKIMAligned {
			res.Title = fmt.Sprintf("DMARC passes: DKIM d=%s is aligned with From %s", e.AlignedDKIMDomain, v.FromDomain)
		} else {
			res.Title = fmt.Sprintf("DMARC passes through SPF: MAIL FROM domain %s is aligned with From %s", v.SPF.Domain, v.FromDomain)
			res.Detail += "\nOnly SPF aligns: a forwarder (a mailing list, an alias at another provider) breaks SPF, and with it " +
				"DMARC. An aligned DKIM signature survives forwarding."
		}
		return res
	}
	return scoring.Result{
		Status: scoring.Fail,
		Title:  "DMARC fails: " + consequence(e),
		Detail: detail + "\n" + policyLine(e),
		Fix:    alignmentFix(v),
	}
}

// identifierLines say, for a person, which identifiers were compared with
// the From domain and why each aligned or not.
func identifierLines(v *Verdict) []string {
	e := v.DMARC
	org := e.OrgDomain
	how := "RFC 9989 tree walk"
	if org == "" {
		org, how = dmarc.OrganizationalDomain(v.FromDomain), "Public Suffix List"
	}
	lines := []string{fmt.Sprintf("From domain (Author Domain): %s; Organizational Domain %s (%s).", v.FromDomain, org, how)}
	aspf, adkim := dmarc.Relaxed, dmarc.Relaxed
	if e.Record != nil {
		aspf, adkim = orRelaxed(e.Record.ASPF), orRelaxed(e.Record.ADKIM)
	}
	switch {
	case v.SPF == nil:
		lines = append(lines, "SPF: no result (no connecting IP known, so check_host() could not run).")
	case v.SPF.Result != spf.Pass:
		lines = append(lines, fmt.Sprintf("SPF %s for MAIL FROM domain %s from %s: only an SPF pass can align.", v.SPF.Result, v.SPF.Domain, v.IP))
	default:
		lines = append(lines, fmt.Sprintf("SPF pass for MAIL FROM domain %s from %s: %s.", v.SPF.Domain, v.IP,
			why(v.SPF.Domain, v.FromDomain, aspf, "aspf", e.SPFAligned)))
	}
	if len(v.DKIM) == 0 {
		lines = append(lines, "DKIM: no signature.")
	}
	for _, s := range v.DKIM {
		if s.Status != dkim.Pass {
			lines = append(lines, fmt.Sprintf("DKIM d=%s s=%s %s: only a verified signature can align.", s.Domain, s.Selector, s.Status))
			continue
		}
		lines = append(lines, fmt.Sprintf("DKIM d=%s s=%s pass: %s.", s.Domain, s.Selector, why(s.Domain, v.FromDomain, adkim, "adkim", s.DMARCAligned)))
	}
	return lines
}

func orRelaxed(m dmarc.AlignMode) dmarc.AlignMode {
	if m == "" {
		return dmarc.Relaxed
	}
	return m
}

// why explains an identifier's alignment with the From domain (RFC 9989
// §4.4): identical names align in both modes; in relaxed mode a shared
// Organizational Domain is enough; strict wants identical names.
func why(id, from string, mode dmarc.AlignMode, tag string, aligned bool) string {
	id = strings.TrimSuffix(strings.ToLower(id), ".")
	orgID, orgFrom := dmarc.OrganizationalDomain(id), dmarc.OrganizationalDomain(from)
	switch {
	case id == from:
		return "identical to the From domain: aligned"
	case aligned:
		return fmt.Sprintf("same Organizational Domain as From (%s), relaxed %s: aligned", orgFrom, tag)
	case mode == dmarc.Strict && orgID == orgFrom:
		return fmt.Sprintf("same Organizational Domain (%s) but %s=s (strict) wants the identical domain %s: not aligned", orgFrom, tag, from)
	}
	return fmt.Sprintf("Organizational Domain %s differs from the From domain's %s: not aligned", orgID, orgFrom)
}

// policyLine says which policy applies and where it comes from.
func policyLine(e *dmarc.Evaluation) string {
	if e.Record == nil {
		return ""
	}
	line := fmt.Sprintf("Policy: %s=%s, from _dmarc.%s.", e.PolicyTag, taggedPolicy(e), e.RecordDomain)
	if e.RecordDomain != e.FromDomain {
		whose := "the Organizational Domain's"
		if e.Record.PSD == "y" {
			whose = "the public suffix domain's"
		}
		line = fmt.Sprintf("Policy: %s=%s, from _dmarc.%s (%s record, applied to %s).",
			e.PolicyTag, taggedPolicy(e), e.RecordDomain, whose, e.FromDomain)
	}
	if e.Testing {
		line += fmt.Sprintf(" t=y (testing): receivers apply %s instead.", e.Policy)
	}
	return line
}

// taggedPolicy is the policy as published in the tag that applies, before
// any t=y downgrade.
func taggedPolicy(e *dmarc.Evaluation) dmarc.Policy {
	switch e.PolicyTag {
	case "sp":
		return e.Record.SP
	case "np":
		return e.Record.NP
	}
	return e.Record.P
}

// consequence says what the applied policy does to this message.
func consequence(e *dmarc.Evaluation) string {
	tag := fmt.Sprintf("%s=%s", e.PolicyTag, taggedPolicy(e))
	if e.Testing {
		tag += ", t=y"
	}
	switch e.Policy {
	case dmarc.PolicyReject:
		return fmt.Sprintf("receivers following your policy (%s) will refuse this mail", tag)
	case dmarc.PolicyQuarantine:
		return fmt.Sprintf("receivers following your policy (%s) will file this mail as spam", tag)
	}
	return fmt.Sprintf("your policy (%s) lets it through, but receivers count it as unauthenticated and report it", tag)
}

// alignmentFix proposes the ways to an aligned pass, most robust first.
func alignmentFix(v *Verdict) *scoring.Fix {
	e := v.DMARC
	var steps []string
	dkimUnaligned := false
	for _, s := range v.DKIM {
		if s.Status == dkim.Pass {
			dkimUnaligned = true
		}
	}
	cmd := keygenCommand(v.FromDomain, "")
	if dkimUnaligned {
		steps = append(steps, fmt.Sprintf("Sign with d=%s (or, under relaxed adkim, a subdomain of %s) in addition to or instead "+
			"of the current signer: `%s`. %s", v.FromDomain, orgOf(e, v.FromDomain), cmd, signHowTo))
	} else {
		steps = append(steps, fmt.Sprintf("Sign with a key of %s: `%s`. %s", v.FromDomain, cmd, signHowTo))
	}
	if v.SPF != nil {
		if v.SPF.Result == spf.Pass {
			steps = append(steps, fmt.Sprintf("Or send with a MAIL FROM (Return-Path) address under %s instead of %s, "+
				"and authorise %s in its SPF record.", v.FromDomain, v.SPF.Domain, v.IP))
		} else {
			steps = append(steps, fmt.Sprintf("Or authorise %s in the SPF record of %s (`mailcred check --domain %s --ip %s` prints it) "+
				"and keep the MAIL FROM under %s.", v.IP, v.SPF.Domain, v.SPF.Domain, v.IP, orgOf(e, v.FromDomain)))
		}
	}
	if e.Record != nil && (e.Record.ADKIM == dmarc.Strict || e.Record.ASPF == dmarc.Strict) {
		steps = append(steps, "Your record asks for strict alignment (adkim=s or aspf=s): identifiers must equal the From "+
			"domain exactly. Unless that is deliberate, drop adkim=s/aspf=s (relaxed is the default).")
	}
	return &scoring.Fix{Summary: strings.Join(steps, " "),
		Manual: "Alignment comes from how the MTA signs and which MAIL FROM it uses; the SPF record it needs is spf.result's fix."}
}

func orgOf(e *dmarc.Evaluation, from string) string {
	if e.OrgDomain != "" {
		return e.OrgDomain
	}
	return dmarc.OrganizationalDomain(from)
}

func orRecordDomain(e *dmarc.Evaluation, from string) string {
	if e.RecordDomain != "" {
		return e.RecordDomain
	}
	return from
}

// noPolicy is the verdict without a DMARC record: nothing to align with,
// receivers apply no policy, and Gmail and Yahoo want one from bulk
// senders.
func noPolicy(v *Verdict, detail string) scoring.Result {
	e := v.DMARC
	org := orgOf(e, v.FromDomain)
	if org == "" {
		org = v.FromDomain
	}
	would := "fail"
	for _, s := range v.DKIM {
		if s.Status == dkim.Pass && s.Alignment != "" {
			would = "pass (DKIM d=" + s.Domain + " aligns)"
			break
		}
	}
	if would == "fail" && v.SPF != nil && v.SPF.Result == spf.Pass && alignment(v.SPF.Domain, v.FromDomain) != "" {
		would = "pass (SPF for " + v.SPF.Domain + " aligns)"
	}
	if e.Err != nil {
		detail = fmt.Sprintf("%v\n%s", e.Err, detail)
	}
	return scoring.Result{
		Status: scoring.Warn,
		Title:  fmt.Sprintf("No DMARC record for %s: receivers apply no policy", v.FromDomain),
		Detail: fmt.Sprintf("%s\nWith a record under relaxed alignment this message would %s. Gmail and Yahoo require a DMARC record from bulk senders.",
			detail, would),
		Fix: &scoring.Fix{
			Summary: fmt.Sprintf("Publish a DMARC record at the Organizational Domain %s, starting with p=none to collect reports "+
				"(the mailbox must exist); move to p=quarantine, then p=reject, once reports show all your mail aligned.", org),
			Records: []scoring.DNSRecord{scoring.TXTRecord("_dmarc."+org, "v=DMARC1; p=none; rua=mailto:dmarc-reports@"+org)},
		},
	}
}
