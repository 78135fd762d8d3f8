package dmarc

import (
	"context"
	"errors"
	"fmt"
	"strings"

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
	for _, txt := range own.TXT {
		if _, fs, err := Parse(txt); errors.Is(err, ErrNotDMARC) && strings.HasPrefix(strings.ToLower(strings.TrimSpace(txt)), "v=") {
			fmt.Fprintf(&b, "\nIgnored TXT at %s: %q%s", own.Name, txt, findingLines(fs))
		}
	}
	rec := starterRecord(d.AuthorDomain)
	return scoring.Result{
		ID: CheckRecord, Status: scoring.Fail, Title: "No DMARC record",
		Detail: b.String(),
		Fix: &scoring.Fix{
			Summary: fmt.Sprintf("Publish a DMARC record for %s. Start with p=none and read the aggregate reports sent to %s@%s; once all your mail passes SPF or DKIM aligned, move to p=quarantine, then p=reject.",
				d.AuthorDomain, reportMailbox, d.AuthorDomain),
			Records: []scoring.DNSRecord{rec},
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
	if d.RecordDomain != d.AuthorDomain {
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
	gradeSubPolicies(rec, suggest, v, &todo)
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
		switch f.Severity {
		case SevError, SevWarn:
			v.bump(scoring.Warn, "DMARC: "+f.Message)
		case SevInfo:
			v.bump(scoring.Info, "DMARC: "+f.Message)
		}
	}
	if len(todo) > 0 {
		summary := "In the DMARC record: " + strings.Join(todo, "; ") + "."
		v.addFix(summary, scoring.TXTRecord("_dmarc."+d.RecordDomain, suggest.String()))
	}
}

// gradeSubPolicies warns when sp or np let subdomains off more lightly
// than p (spoofers use made-up subdomains), and reports them otherwise.
func gradeSubPolicies(rec, suggest *Record, v *verdict, todo *[]string) {
	if rec.SP != "" {
		if rec.SP.strength() < rec.P.strength() {
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
