package dmarc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/net/publicsuffix"

	"github.com/mailcred/mailcred/scoring"
)

// runRecord is dmarc.record: the domain's DMARC record exists once, parses,
// and what its policy does.
func runRecord(ctx context.Context, env *scoring.Env) scoring.Result {
	domain, ok := normalizeDomain(env.Evidence.Domain)
	if !ok {
		return errorResult(CheckRecord, "DMARC: not a domain name", fmt.Errorf("%q is not a domain name", env.Evidence.Domain))
	}
	d := Discover(ctx, env.DNS, domain)
	own := &d.Steps[0]
	name := own.Name
	switch {
	case d.Status == StatusTempError:
		return errorResult(CheckRecord, "DMARC record: DNS lookup failed, could not check",
			fmt.Errorf("%w\nQueries: %s", d.Err, strings.Join(d.Queries, ", ")))
	case len(own.DMARC) > 1:
		return multipleRecords(d, own)
	case d.Record == nil:
		return noRecord(d, own)
	case publishedBySuffix(d):
		return suffixRecord(d)
	case d.Status == StatusPermError || d.Status == StatusNone:
		return unusableRecord(d)
	}
	v := &verdict{}
	gradeRecord(ctx, env, d, v)
	lead := where(d)
	if d.RecordDomain == domain {
		lead = fmt.Sprintf("%s\n%s TXT %q", lead, name, d.Record.Raw)
	} else {
		lead = fmt.Sprintf("%s\n_dmarc.%s TXT %q", lead, d.RecordDomain, d.Record.Raw)
	}
	res := v.result(CheckRecord, lead)
	if len(d.Findings) > 0 {
		res.Detail += "\nFindings:" + findingLines(d.Findings)
	}
	return res
}

func multipleRecords(d *Discovery, own *Step) scoring.Result {
	var list strings.Builder
	keep := ""
	for _, txt := range own.DMARC {
		fmt.Fprintf(&list, "\n- %q", txt)
		if rec, _, err := Parse(txt); err == nil && keep == "" {
			keep = rec.String()
		}
	}
	if keep == "" {
		keep = starterValue(d.AuthorDomain)
	}
	after := "RFC 9989 receivers find no other record above it and apply no policy"
	if d.Record != nil {
		after = fmt.Sprintf("RFC 9989 receivers walk on and apply the record at _dmarc.%s instead", d.RecordDomain)
	}
	return scoring.Result{
		ID: CheckRecord, Status: scoring.Fail,
		Title: fmt.Sprintf("%d DMARC records at %s: receivers ignore them all", len(own.DMARC), own.Name),
		Detail: fmt.Sprintf("A domain must publish exactly one v=DMARC1 record; with several, receivers discard them all (RFC 9989 §4.10 step 2). "+
			"%s; RFC 7489 receivers apply no policy.\nRecords:%s", after, list.String()),
		Fix: &scoring.Fix{
			Summary: fmt.Sprintf("Delete all but one DMARC TXT record at %s; keep this one:", own.Name),
			Records: []scoring.DNSRecord{scoring.TXTRecord(own.Name, keep)},
		},
	}
}

func noRecord(d *Discovery, own *Step) scoring.Result {
	var b strings.Builder
	fmt.Fprintf(&b, "No v=DMARC1 TXT record at %s", own.Name)
	if len(d.Queries) > 1 {
		fmt.Fprintf(&b, ", nor above it (asked: %s)", strings.Join(d.Queries, ", "))
	}
	b.WriteString(": receivers apply no DMARC policy, and mail providers (Gmail, Yahoo, Outlook) require one of bulk senders.")
	rec := starterRecord(d.AuthorDomain)
	title := "No DMARC record"
	for _, txt := range own.TXT {
		if _, fs, err := Parse(txt); errors.Is(err, ErrNotDMARC) && mentionsDMARC(txt) {
			fmt.Fprintf(&b, "\nIgnored TXT at %s: %q%s", own.Name, txt, findingLines(fs))
			if fixed, ok := versionFirst(txt); ok {
				// The intent is plain: the same tags with v=DMARC1 moved
				// first (RFC 9989 §4.7: v MUST be the first tag).
				title = "DMARC record ignored: v=DMARC1 is not its first tag"
				rec = scoring.TXTRecord(own.Name, fixed)
			} else if title == "No DMARC record" {
				title = "DMARC record ignored: it does not start with v=DMARC1"
			}
		}
	}
	summary := fmt.Sprintf("Publish a DMARC record for %s. Start with p=none and read the aggregate reports sent to %s@%s; once all your mail passes SPF or DKIM aligned, move to p=quarantine, then p=reject.",
		d.AuthorDomain, reportMailbox, d.AuthorDomain)
	detail := b.String()
	if title != "No DMARC record" {
		summary = fmt.Sprintf("Replace the ignored TXT record at %s with this one, which starts with v=DMARC1:", own.Name)
		// Lead with what was published and why it does not count.
		detail = fmt.Sprintf("The TXT record at %s is meant as DMARC but receivers do not read it as such: a DMARC "+
			"record must start with v=DMARC1 (RFC 9989 §4.7), so they apply no DMARC policy.\n%s", own.Name, detail)
	}
	return scoring.Result{
		ID: CheckRecord, Status: scoring.Fail, Title: title,
		Detail: detail,
		Fix:    &scoring.Fix{Summary: summary, Records: []scoring.DNSRecord{rec}},
	}
}

// mentionsDMARC reports whether a TXT record was probably meant as DMARC:
// it carries a v=DMARC1 tag anywhere, or starts with "v=".
func mentionsDMARC(txt string) bool {
	l := strings.ToLower(strings.TrimSpace(txt))
	return strings.HasPrefix(l, "v=") || strings.Contains(strings.ReplaceAll(l, " ", ""), "v=dmarc1")
}

// versionFirst rewrites a record whose v=DMARC1 tag is not first into one
// where it is, keeping the other tags in order; ok is false when the
// result would still not parse.
func versionFirst(txt string) (string, bool) {
	var rest []string
	found := false
	for _, seg := range strings.Split(txt, ";") {
		seg = strings.TrimSpace(seg)
		name, value, _ := strings.Cut(seg, "=")
		switch {
		case seg == "":
		case strings.EqualFold(strings.TrimSpace(name), "v") && strings.EqualFold(strings.TrimSpace(value), "DMARC1"):
			found = true
		default:
			rest = append(rest, seg)
		}
	}
	if !found {
		return "", false
	}
	fixed := strings.Join(append([]string{"v=DMARC1"}, rest...), "; ")
	if _, _, err := Parse(fixed); err != nil {
		return "", false
	}
	return fixed, true
}

// publishedBySuffix reports whether the record that applies was published
// by a public-suffix operator rather than the domain's owner: psd=y, or
// a name on the Public Suffix List, above the author domain.
func publishedBySuffix(d *Discovery) bool {
	if d.Record == nil || d.RecordDomain == d.AuthorDomain || isUnder(d.RecordDomain, d.OrgDomainPSL) {
		return false
	}
	if d.Record.PSD == "y" {
		return true
	}
	ps, _ := publicsuffix.PublicSuffix(d.RecordDomain)
	return ps == d.RecordDomain
}

// suffixRecord: the only record above the domain is a public-suffix
// operator's (RFC 9989 §4.10.1 lets it apply). The domain owner cannot and
// must not change that record; they publish their own, at the
// Organizational Domain RFC 7489 receivers use, which both specs then find.
func suffixRecord(d *Discovery) scoring.Result {
	org := d.OrgDomainPSL
	pol := d.Record.SubdomainPolicy()
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n_dmarc.%s TXT %q\n", where(d), d.RecordDomain, d.Record.Raw)
	fmt.Fprintf(&b, "That record is published by the operator of the public suffix %s, not by you. RFC 9989 receivers apply its "+
		"policy (%s) to %s for want of a record of yours (RFC 9989 §4.10.1). RFC 7489 receivers, which find the "+
		"Organizational Domain with the Public Suffix List, never read it: they apply only %s's own policy, and "+
		"%s publishes none, so they apply no DMARC at all.", d.RecordDomain, pol, d.AuthorDomain, org, org)
	return scoring.Result{
		ID: CheckRecord, Status: scoring.Fail,
		Title:  fmt.Sprintf("No DMARC record of your own: only the public suffix %s's policy (%s) applies", d.RecordDomain, pol),
		Detail: b.String(),
		Fix: &scoring.Fix{
			Summary: fmt.Sprintf("Publish your own DMARC record at _dmarc.%s (do not ask for a change under %s, which you do not control). "+
				"Start with p=none and read the reports; move to p=quarantine, then p=reject, once all your mail aligns.", org, d.RecordDomain),
			Records: []scoring.DNSRecord{starterRecord(org)},
		},
	}
}

// unusableRecord: a record applies but receivers cannot use it — invalid
// as a whole (permerror) or without a usable policy (no DMARC processing).
func unusableRecord(d *Discovery) scoring.Result {
	rec := d.Record.clone()
	title := "DMARC record is invalid: receivers treat it as an error"
	if d.Status == StatusNone {
		title = "DMARC record has no usable policy: receivers apply no DMARC"
	}
	if rec.P == "" {
		rec.P = PolicyNone
	}
	if len(rec.RUA) == 0 {
		rec.RUA = []URI{reportURI(d.AuthorDomain)}
	}
	name := "_dmarc." + d.RecordDomain
	return scoring.Result{
		ID: CheckRecord, Status: scoring.Fail, Title: title,
		Detail: fmt.Sprintf("%s\n%s TXT %q\nEvery problem:%s", where(d), name, d.Record.Raw, findingLines(d.Findings)),
		Fix: &scoring.Fix{
			Summary: fmt.Sprintf("Replace the record at %s with a valid one (the tags that could be read, with the errors removed):", name),
			Records: []scoring.DNSRecord{scoring.TXTRecord(name, rec.String())},
		},
	}
}

// gradeRecord judges a usable record: its policy for the domain, test mode,
// subdomain policies, psd, and the findings of the parse; and proposes one
// corrected record that addresses them all.
func gradeRecord(ctx context.Context, env *scoring.Env, d *Discovery, v *verdict) {
	rec := d.Record
	e := &Evaluation{Spec: RFC9989, FromDomain: d.AuthorDomain, RecordDomain: d.RecordDomain}
	pol, perr := e.policy(ctx, env.DNS, rec)
	if perr != nil {
		v.add(scoring.Error, fmt.Sprintf("Could not tell whether %s exists (for np=): %v", d.AuthorDomain, perr))
	}
	suggest := rec.clone()
	var todo []string

	switch {
	case rec.ImpliedNone && invalidPolicyTag(rec) != "":
		bad := invalidPolicyTag(rec)
		v.add(scoring.Fail, fmt.Sprintf("DMARC %s= is invalid: receivers act as if only p=none was published", bad))
		todo = append(todo, "fix "+bad+"=")
		restorePolicies(suggest)
	case rec.ImpliedNone:
		v.add(scoring.Warn, "DMARC record has no p= tag: treated as p=none, monitoring only")
		todo = append(todo, "state the policy with p=")
	}
	label := fmt.Sprintf("%s=%s at _dmarc.%s", e.PolicyTag, taggedPolicy(rec, e.PolicyTag), d.RecordDomain)
	switch {
	case e.PolicyTag == "np":
		// The fact the user acts on: the name does not exist, so np= rules.
		label = fmt.Sprintf("np=%s of _dmarc.%s applies: %s does not exist", taggedPolicy(rec, e.PolicyTag), d.RecordDomain, d.AuthorDomain)
	case d.RecordDomain != d.AuthorDomain:
		label = fmt.Sprintf("%s=%s of _dmarc.%s applies to %s", e.PolicyTag, taggedPolicy(rec, e.PolicyTag), d.RecordDomain, d.AuthorDomain)
	}
	if e.Testing {
		label += fmt.Sprintf(", applied as %s (t=y)", pol)
	}
	switch pol {
	case PolicyNone:
		v.add(scoring.Warn, fmt.Sprintf("DMARC %s: monitoring only, failing mail is delivered as usual", label))
		if !e.Testing {
			todo = append(todo, "move to p=quarantine once the aggregate reports show all your mail aligned")
		}
		if d.RecordDomain != d.AuthorDomain && suggest.SP == PolicyNone {
			suggest.SP = ""
		}
		if suggest.P == PolicyNone {
			suggest.P = PolicyQuarantine
		}
	case PolicyQuarantine, PolicyReject:
		v.add(scoring.Pass, "DMARC "+label)
	}
	if e.Testing {
		v.add(scoring.Warn, fmt.Sprintf("t=y (test mode, RFC 9989): receivers apply %s as %s", rec.P, pol))
		todo = append(todo, "remove t=y when testing is over")
		suggest.T = false
	}
	if d.RecordDomain != d.AuthorDomain && rec.NP == "" && perr == nil {
		if exists, _ := domainExists(ctx, env.DNS, d.AuthorDomain); !exists {
			v.lines = append(v.lines, fmt.Sprintf("%s does not exist; the record has no np=, so %s=%s applies (RFC 9989: np defaults to sp, sp to p).",
				d.AuthorDomain, e.PolicyTag, taggedPolicy(rec, e.PolicyTag)))
		}
	}
	gradeSubPolicies(rec, suggest, v, &todo, e.PolicyTag == "np")
	switch rec.PSD {
	case "y":
		v.add(scoring.Warn, fmt.Sprintf("psd=y declares %s a public suffix domain: only registries publish it, and each subdomain becomes its own organizational domain", d.RecordDomain))
		todo = append(todo, "remove psd=y")
		suggest.PSD = ""
	case "n":
		v.lines = append(v.lines, fmt.Sprintf("psd=n: %s is its own organizational domain (RFC 9989 §4.10.2).", d.RecordDomain))
	}
	if rec.PCT != nil || len(rec.RF) > 0 || rec.RI != nil {
		todo = append(todo, "drop pct/rf/ri (removed in RFC 9989)")
		suggest.PCT, suggest.RF, suggest.RI = nil, nil, nil
	}
	for _, f := range d.Findings {
		if f.Tag == "rua" || f.Tag == "ruf" {
			continue // dmarc.reporting grades report destinations, once
		}
		switch f.Severity {
		case SevError, SevWarn:
			v.bump(scoring.Warn, "DMARC: "+f.Message)
			if !slices.Contains(todo, rewriteTodo) {
				todo = append(todo, rewriteTodo)
			}
		case SevInfo:
			v.bump(scoring.Info, "DMARC: "+f.Message)
		}
	}
	if len(todo) > 0 {
		summary := "In the DMARC record: " + strings.Join(todo, "; ") + "."
		v.addFix(summary, scoring.TXTRecord("_dmarc."+d.RecordDomain, suggest.String()))
	}
}

// rewriteTodo is the fix of a finding in the record's form: the record
// as mailcred writes it, tags in the RFC 7489 order, unknown ones out.
const rewriteTodo = "publish it in the form every receiver reads (p= right after v=, nothing malformed)"

// gradeSubPolicies warns when sp or np let subdomains off more lightly
// than p (spoofers use made-up subdomains), and reports them otherwise.
func gradeSubPolicies(rec, suggest *Record, v *verdict, todo *[]string, npApplies bool) {
	if rec.SP != "" {
		if rec.SP.strength() < rec.P.strength() && npApplies {
			// The domain checked does not exist: np= is what applies to it,
			// so a weak sp= is advice about the subdomains that do.
			v.lines = append(v.lines, fmt.Sprintf("sp=%s is weaker than p=%s: existing subdomains get %s.", rec.SP, rec.P, rec.SP))
		} else if rec.SP.strength() < rec.P.strength() {
			v.add(scoring.Warn, fmt.Sprintf("sp=%s is weaker than p=%s: mail from subdomains gets %s", rec.SP, rec.P, rec.SP))
			*todo = append(*todo, "drop sp= so subdomains get p=")
			suggest.SP = ""
		} else {
			v.lines = append(v.lines, fmt.Sprintf("Subdomains: sp=%s.", rec.SP))
		}
	}
	if rec.NP != "" {
		if rec.NP.strength() < rec.SubdomainPolicy().strength() {
			v.add(scoring.Warn, fmt.Sprintf("np=%s is weaker than the subdomain policy %s: made-up subdomains get %s", rec.NP, rec.SubdomainPolicy(), rec.NP))
			*todo = append(*todo, "drop np=")
			suggest.NP = ""
		} else {
			v.lines = append(v.lines, fmt.Sprintf("Non-existent subdomains: np=%s (RFC 9989).", rec.NP))
		}
	}
}

// taggedPolicy is the effective value of the p, sp or np tag.
func taggedPolicy(rec *Record, tag string) Policy {
	switch tag {
	case "sp":
		return rec.SP
	case "np":
		return rec.NP
	}
	return rec.P
}

// invalidPolicyTag names the first of p, sp and np published with a value
// that is not a policy, or "".
func invalidPolicyTag(rec *Record) string {
	for _, t := range rec.Tags {
		switch t.Name {
		case "p", "sp", "np":
			if Policy(strings.ToLower(t.Value)).strength() == 0 {
				return t.Name
			}
		}
	}
	return ""
}

// restorePolicies puts back the valid published p, sp and np that an
// invalid sibling made receivers ignore, so the fix keeps the intent.
func restorePolicies(rec *Record) {
	for _, t := range rec.Tags {
		p := Policy(strings.ToLower(t.Value))
		if p.strength() == 0 {
			continue
		}
		switch t.Name {
		case "p":
			rec.P = p
		case "sp":
			rec.SP = p
		case "np":
			rec.NP = p
		}
	}
	rec.ImpliedNone = false
}
