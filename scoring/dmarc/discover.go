package dmarc

import (
	"context"
	"errors"
	"fmt"

	"github.com/mailcred/mailcred/scoring/dnsx"
)

// RR types asked here (RFC 1035 §3.2.2), so that miekg/dns stays behind
// dnsx.
const (
	typeA   uint16 = 1
	typeTXT uint16 = 16
)

// ErrTempDNS marks a lookup that could not find out (SERVFAIL, REFUSED,
// timeout): DMARC's temperror, the checks' status error.
var ErrTempDNS = errors.New("temporary DNS failure")

// Spec chooses the DMARC specification an operation follows.
type Spec int

// The specifications.
const (
	// RFC9989 (DMARCbis): DNS Tree Walk, np, psd and t honoured, pct
	// ignored, lenient grammar. The default everywhere.
	RFC9989 Spec = iota
	// RFC7489: Public Suffix List Organizational Domain, pct honoured,
	// the grammar as strict receivers (mox) apply it.
	RFC7489
)

// String names the specification, as the checks' details do.
func (s Spec) String() string {
	if s == RFC7489 {
		return "RFC 7489"
	}
	return "RFC 9989"
}

// Status is the outcome of policy discovery.
type Status string

// The discovery outcomes (RFC 9989 §4.10.1; permerror and temperror as in
// the Authentication-Results registry).
const (
	StatusFound     Status = "found"     // a usable policy record applies
	StatusNone      Status = "none"      // no record, or one without a usable policy
	StatusPermError Status = "permerror" // the applicable record is invalid
	StatusTempError Status = "temperror" // DNS could not tell
)

// Step is one query of a DNS Tree Walk, with what it found.
type Step struct {
	Domain  string       // the domain whose policy was asked
	Name    string       // the query name, "_dmarc." + Domain
	Outcome dnsx.Outcome // what the lookup gave
	TXT     []string     // every TXT record there, strings joined
	DMARC   []string     // those that are DMARC records (v=DMARC1 first)
	// Record is the DMARC record when there is exactly one; RFC 9989 §4.10
	// step 2 discards them all when there are more.
	Record   *Record
	Findings []Finding // the findings of Record
	Err      error     // Record's parse error (ErrSyntax, ErrNoPolicy) or nil
}

// valid reports whether the step found one syntactically valid record,
// the kind that counts for Organizational Domain selection.
func (s *Step) valid() bool { return s.Record != nil && !errors.Is(s.Err, ErrSyntax) }

// Discovery is where the DMARC policy for an author domain comes from.
type Discovery struct {
	Spec         Spec
	Status       Status
	AuthorDomain string // normalised
	RecordDomain string // where the applicable record was found; "" when none was
	// OrgDomain is the Organizational Domain under Spec: the DNS Tree Walk
	// (RFC 9989 §4.10.2), or the PSL (RFC 7489). "" when a DNS failure left
	// it unknown (Err says which).
	OrgDomain    string
	OrgDomainPSL string  // the RFC 7489 PSL Organizational Domain, always
	Record       *Record // the applicable record, also when unusable
	// Findings are the applicable record's findings, then remarks about
	// discovery itself (records discarded on the way).
	Findings []Finding
	Queries  []string // the names asked, in order
	Steps    []Step   // one per query
	Err      error    // why Status is not found, or why OrgDomain is unknown
}

// Discover finds the DMARC policy record for authorDomain by the RFC 9989
// DNS Tree Walk (§4.10, at most 8 queries), selects the Organizational
// Domain (§4.10.2) and the applicable record (§4.10.1): the author
// domain's own, else the Organizational Domain's, else the Public Suffix
// Domain's. The PSL Organizational Domain of RFC 7489 is reported too.
//
// The walk goes on past the author's record to find the Organizational
// Domain, so Queries is the whole walk.
func Discover(ctx context.Context, r *dnsx.Resolver, authorDomain string) *Discovery {
	d := &Discovery{Spec: RFC9989, Status: StatusNone}
	author, ok := normalizeDomain(authorDomain)
	if !ok {
		d.Err = fmt.Errorf("dmarc: %q is not a domain name", authorDomain)
		return d
	}
	d.AuthorDomain, d.OrgDomainPSL = author, OrganizationalDomain(author)
	steps, werr := walk(ctx, r, author)
	d.record(steps...)
	first := &steps[0]
	if first.Outcome.Temporary() {
		d.Status, d.Err = StatusTempError, werr
		return d
	}
	if first.Record != nil {
		d.apply(first)
		if werr != nil {
			d.Err = errors.Join(d.Err, fmt.Errorf("organizational domain unknown: %w", werr))
		} else {
			d.OrgDomain = orgDomain(author, steps)
		}
		return d
	}
	if werr != nil {
		d.Status, d.Err = StatusTempError, werr
		return d
	}
	org := orgDomain(author, steps)
	d.OrgDomain = org
	// RFC 9989 §4.10.1: the Organizational Domain's record, else the PSD's
	// (RFC 9989: "PSD policy is not used for Organizational Domains that
	// have published a DMARC policy").
	if org != author {
		st := stepFor(d.Steps, org)
		if st == nil { // one label below a psd=y beyond the 7-label jump
			s := lookupStep(ctx, r, org)
			d.record(s)
			st = &d.Steps[len(d.Steps)-1]
			if s.Outcome.Temporary() {
				d.Status, d.Err = StatusTempError, stepError(st)
				return d
			}
		}
		if st.Record != nil {
			d.apply(st)
			return d
		}
	}
	for i := range d.Steps {
		if st := &d.Steps[i]; i > 0 && st.valid() && st.Record.PSD == "y" {
			d.apply(st)
			return d
		}
	}
	d.Err = fmt.Errorf("no DMARC record for %s or above it", author)
	return d
}

// DiscoverRFC7489 is policy discovery as RFC 7489 §6.6.3 has it: the
// author domain's record, else (only when there is no DMARC record at all
// there) the PSL Organizational Domain's; more than one record ends
// discovery with none. A record that RFC 7489's grammar rejects is
// permerror.
func DiscoverRFC7489(ctx context.Context, r *dnsx.Resolver, authorDomain string) *Discovery {
	d := &Discovery{Spec: RFC7489, Status: StatusNone}
	author, ok := normalizeDomain(authorDomain)
	if !ok {
		d.Err = fmt.Errorf("dmarc: %q is not a domain name", authorDomain)
		return d
	}
	org := OrganizationalDomain(author)
	d.AuthorDomain, d.OrgDomain, d.OrgDomainPSL = author, org, org
	st := lookupStep(ctx, r, author)
	d.record(st)
	if len(st.DMARC) == 0 && !st.Outcome.Temporary() && org != author {
		d.record(lookupStep(ctx, r, org))
	}
	last := &d.Steps[len(d.Steps)-1]
	switch {
	case last.Outcome.Temporary():
		d.Status, d.Err = StatusTempError, stepError(last)
	case len(last.DMARC) > 1:
		d.Err = fmt.Errorf("%d DMARC records at %s: policy discovery ends (RFC 7489 §6.6.3 step 5)", len(last.DMARC), last.Name)
	case last.Record == nil:
		d.Err = fmt.Errorf("no DMARC record for %s", author)
	default:
		d.apply(last)
		if d.Status == StatusFound {
			for _, f := range last.Findings {
				if f.RFC7489Invalid {
					d.Status = StatusPermError
					d.Err = fmt.Errorf("%w under RFC 7489: %s", ErrSyntax, f.Message)
					break
				}
			}
		}
	}
	return d
}

// TreeWalkOrgDomain is the RFC 9989 §4.10.2 Organizational Domain of
// domain, found by its own DNS Tree Walk. The error wraps ErrTempDNS when a
// lookup failed.
func TreeWalkOrgDomain(ctx context.Context, r *dnsx.Resolver, domain string) (string, error) {
	d, ok := normalizeDomain(domain)
	if !ok {
		return "", fmt.Errorf("dmarc: %q is not a domain name", domain)
	}
	steps, err := walk(ctx, r, d)
	if err != nil {
		return "", err
	}
	return orgDomain(d, steps), nil
}

// apply makes st's record the applicable one.
func (d *Discovery) apply(st *Step) {
	d.RecordDomain, d.Record, d.Err = st.Domain, st.Record, st.Err
	d.Findings = append(append([]Finding(nil), st.Findings...), d.Findings...)
	switch {
	case st.Err == nil:
		d.Status = StatusFound
	case errors.Is(st.Err, ErrSyntax):
		d.Status = StatusPermError
	default:
		d.Status = StatusNone
	}
}

// record appends steps to the discovery's log and notes discarded sets.
func (d *Discovery) record(steps ...Step) {
	for _, st := range steps {
		d.Steps = append(d.Steps, st)
		d.Queries = append(d.Queries, st.Name)
		if len(st.DMARC) > 1 {
			d.Findings = append(d.Findings, Finding{Severity: SevError, Message: fmt.Sprintf(
				"%d DMARC records at %s: receivers discard them all (RFC 9989 §4.10 step 2; RFC 7489 receivers then apply no policy)",
				len(st.DMARC), st.Name)})
		}
	}
}

// walk is the DNS Tree Walk from start (RFC 9989 §4.10): it stops at a
// single valid record with psd=n, or psd=y anywhere but at start, or when
// the labels run out, or at the first temporary DNS failure (the error).
func walk(ctx context.Context, r *dnsx.Resolver, start string) ([]Step, error) {
	var steps []Step
	for i, target := range walkTargets(start) {
		st := lookupStep(ctx, r, target)
		steps = append(steps, st)
		if st.Outcome.Temporary() {
			return steps, stepError(&st)
		}
		if st.valid() && (st.Record.PSD == "n" || st.Record.PSD == "y" && i > 0) {
			break
		}
	}
	return steps, nil
}

// lookupStep asks for _dmarc.<domain> TXT and sorts the records (RFC 9989
// §4.10 steps 1-2: TXT records that are not DMARC are discarded).
func lookupStep(ctx context.Context, r *dnsx.Resolver, domain string) Step {
	st := Step{Domain: domain, Name: "_dmarc." + domain}
	ans := r.Lookup(ctx, st.Name, typeTXT)
	st.Outcome = ans.Outcome
	if ans.Outcome != dnsx.Success {
		if ans.Outcome.Temporary() {
			st.Err = ans.Error()
		}
		return st
	}
	st.TXT = ans.JoinedTXT()
	for _, txt := range st.TXT {
		rec, findings, err := Parse(txt)
		if errors.Is(err, ErrNotDMARC) {
			continue
		}
		st.DMARC = append(st.DMARC, txt)
		if len(st.DMARC) == 1 {
			st.Record, st.Findings, st.Err = rec, findings, err
		}
	}
	if len(st.DMARC) > 1 {
		st.Record, st.Findings, st.Err = nil, nil, nil
	}
	return st
}

func stepError(st *Step) error {
	if st.Err != nil {
		return fmt.Errorf("%w: %w", ErrTempDNS, st.Err)
	}
	return fmt.Errorf("%w: %s TXT: %s", ErrTempDNS, st.Name, st.Outcome)
}

// orgDomain selects the Organizational Domain from a walk that started at
// start (RFC 9989 §4.10.2), looking at valid records from the longest name
// to the shortest: psd=n marks it; psd=y (not at start) puts it one label
// below; otherwise it is the shortest name with a record, or start itself.
func orgDomain(start string, steps []Step) string {
	shortest := ""
	for i := range steps {
		st := &steps[i]
		if !st.valid() {
			continue
		}
		switch {
		case st.Record.PSD == "n":
			return st.Domain
		case st.Record.PSD == "y" && st.Domain != start:
			return lastLabels(start, labelCount(st.Domain)+1)
		}
		shortest = st.Domain
	}
	if shortest != "" {
		return shortest
	}
	return start
}

func stepFor(steps []Step, domain string) *Step {
	for i := range steps {
		if steps[i].Domain == domain {
			return &steps[i]
		}
	}
	return nil
}
