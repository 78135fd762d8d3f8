package dmarc

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/mailcred/mailcred/scoring/dnsx"
)

// Result is a DMARC evaluation result, as Authentication-Results names it.
type Result string

// The results (RFC 9989 §4.4 for pass and fail; none, temperror and
// permerror as registered for dmarc in the Authentication-Results
// registry).
const (
	ResultPass      Result = "pass"
	ResultFail      Result = "fail"
	ResultNone      Result = "none"
	ResultTempError Result = "temperror"
	ResultPermError Result = "permerror"
)

// SPFResult is the SPF verdict DMARC uses: the RFC5321.MailFrom domain (the
// HELO domain for a null reverse-path) and its check_host() result.
type SPFResult struct {
	Result string // pass, fail, softfail, neutral, none, temperror, permerror
	Domain string
}

// DKIMResult is one DKIM signature's verification result and its d= domain.
type DKIMResult struct {
	Domain string
	Result string // pass, fail, temperror, permerror, ...
}

// AlignmentInput is what Evaluate needs about one message.
type AlignmentInput struct {
	FromDomain string // the RFC5322.From domain (the Author Domain)
	SPF        SPFResult
	DKIM       []DKIMResult
}

// Evaluation is the DMARC verdict for one message and how it was reached.
type Evaluation struct {
	Spec   Spec
	Result Result
	// Policy is the policy for this From domain: p, sp or np as RFC 9989
	// §4.10.1 picks it, downgraded one step by t=y (RFC 9989) or by pct=0
	// (RFC 7489 §6.6.4). It is set on pass too; "" when no record applies.
	Policy Policy
	// PolicyTag names the tag Policy comes from: p, sp or np.
	PolicyTag string
	// ApplyPolicy is true only for fail: a receiver applies Policy then,
	// never on temperror or permerror (RFC 9989: a temporary failure
	// underneath cannot conclude a permanent DMARC failure).
	ApplyPolicy       bool
	Testing           bool // t=y downgraded the policy
	FromDomain        string
	RecordDomain      string
	OrgDomain         string
	Record            *Record
	SPFAligned        bool
	DKIMAligned       bool
	AlignedDKIMDomain string
	// Reasons say, one line each, what decided the result.
	Reasons   []string
	Discovery *Discovery
	Err       error
}

// Evaluate is DMARC evaluation under RFC 9989: policy discovery by the DNS
// Tree Walk, identifier alignment (§4.4: relaxed means the same
// Organizational Domain, found by a Tree Walk from each identifier;
// strict means identical), and the policy for the From domain.
func Evaluate(ctx context.Context, r *dnsx.Resolver, in AlignmentInput) *Evaluation {
	return EvaluateWith(ctx, r, in, RFC9989)
}

// EvaluateWith is Evaluate under the given specification; RFC7489 uses
// RFC 7489 §6.6.3 discovery, PSL Organizational Domains and pct.
func EvaluateWith(ctx context.Context, r *dnsx.Resolver, in AlignmentInput, spec Spec) *Evaluation {
	e := &Evaluation{Spec: spec, Result: ResultNone}
	from, ok := normalizeDomain(in.FromDomain)
	if !ok {
		e.Err = fmt.Errorf("dmarc: From domain %q is not a domain name", in.FromDomain)
		return e
	}
	e.FromDomain = from
	var d *Discovery
	if spec == RFC7489 {
		d = DiscoverRFC7489(ctx, r, from)
	} else {
		d = Discover(ctx, r, from)
	}
	e.Discovery, e.RecordDomain, e.OrgDomain, e.Record = d, d.RecordDomain, d.OrgDomain, d.Record
	switch d.Status {
	case StatusTempError:
		e.Result, e.Err = ResultTempError, d.Err
		return e
	case StatusPermError:
		e.Result, e.Err = ResultPermError, d.Err
		return e
	case StatusNone:
		e.Err = d.Err
		return e
	}
	policy, perr := e.policy(ctx, r, d.Record)
	e.Policy = policy

	var temps []error
	switch spf := strings.ToLower(in.SPF.Result); spf {
	case "pass":
		ok, err := e.aligned(ctx, r, in.SPF.Domain, d.Record.ASPF)
		e.SPFAligned = ok
		e.reason(ok, err, "SPF", in.SPF.Domain, d.Record.ASPF)
		if err != nil {
			temps = append(temps, err)
		}
	case "temperror":
		temps = append(temps, fmt.Errorf("SPF temperror for %s", in.SPF.Domain))
		e.Reasons = append(e.Reasons, "SPF temperror: could not be checked")
	case "", "none":
		e.Reasons = append(e.Reasons, "SPF: no result")
	default:
		e.Reasons = append(e.Reasons, fmt.Sprintf("SPF %s for %s: only pass counts", spf, in.SPF.Domain))
	}
	for _, sig := range in.DKIM {
		switch strings.ToLower(sig.Result) {
		case "pass":
			ok, err := e.aligned(ctx, r, sig.Domain, d.Record.ADKIM)
			e.reason(ok, err, "DKIM", sig.Domain, d.Record.ADKIM)
			if ok && !e.DKIMAligned {
				e.DKIMAligned, e.AlignedDKIMDomain = true, sig.Domain
			}
			if err != nil {
				temps = append(temps, err)
			}
		case "temperror":
			temps = append(temps, fmt.Errorf("DKIM temperror for d=%s", sig.Domain))
			e.Reasons = append(e.Reasons, fmt.Sprintf("DKIM d=%s temperror: could not be verified", sig.Domain))
		default:
			e.Reasons = append(e.Reasons, fmt.Sprintf("DKIM d=%s %s: only pass counts", sig.Domain, strings.ToLower(sig.Result)))
		}
	}
	switch {
	case e.SPFAligned || e.DKIMAligned:
		e.Result = ResultPass
	case len(temps) > 0:
		// RFC 9989: with no aligned pass and a temporary failure
		// underneath, the failure is not permanent; the policy is not applied.
		e.Result, e.Err = ResultTempError, errors.Join(temps...)
	case perr != nil:
		e.Result, e.Err = ResultTempError, perr
	default:
		e.Result = ResultFail
	}
	e.ApplyPolicy = e.Result == ResultFail
	return e
}

// policy picks the policy for the From domain (RFC 9989 §4.10.1): p when
// the record is the From domain's own; otherwise np if the From domain
// does not exist (NXDOMAIN, RFC 8020), else sp, else p. RFC 7489 has no
// np. Then t=y (RFC 9989) or pct=0 (RFC 7489 §6.6.4) downgrade it.
func (e *Evaluation) policy(ctx context.Context, r *dnsx.Resolver, rec *Record) (Policy, error) {
	var err error
	p := rec.P
	e.PolicyTag = "p"
	if e.RecordDomain != e.FromDomain {
		p = rec.SubdomainPolicy()
		if rec.SP != "" {
			e.PolicyTag = "sp"
		}
		if e.Spec == RFC9989 && rec.NP != "" {
			var exists bool
			exists, err = domainExists(ctx, r, e.FromDomain)
			if err == nil && !exists {
				p, e.PolicyTag = rec.NP, "np"
				e.Reasons = append(e.Reasons, fmt.Sprintf("%s does not exist: np=%s applies", e.FromDomain, rec.NP))
			}
		}
	}
	switch {
	case e.Spec == RFC9989 && rec.T && p != PolicyNone:
		e.Testing = true
		e.Reasons = append(e.Reasons, fmt.Sprintf("t=y: %s is applied as %s", p, p.downgrade()))
		p = p.downgrade()
	case e.Spec == RFC7489 && rec.PCT != nil && *rec.PCT == 0 && p != PolicyNone:
		e.Reasons = append(e.Reasons, fmt.Sprintf("pct=0: no message is sampled, %s is applied as %s", p, p.downgrade()))
		p = p.downgrade()
	}
	return p, err
}

// aligned reports whether an authenticated identifier aligns with the
// From domain (RFC 9989 §4.4): identical, or, in relaxed mode, with the
// same Organizational Domain. The error wraps ErrTempDNS when the
// Organizational Domain of either could not be found.
func (e *Evaluation) aligned(ctx context.Context, r *dnsx.Resolver, identifier string, mode AlignMode) (bool, error) {
	id, ok := normalizeDomain(identifier)
	switch {
	case !ok:
		return false, nil
	case id == e.FromDomain:
		return true, nil
	case mode == Strict:
		return false, nil
	case e.Spec == RFC7489:
		return OrganizationalDomain(id) == e.OrgDomain, nil
	case e.OrgDomain == "":
		return false, fmt.Errorf("organizational domain of %s unknown: %w", e.FromDomain, e.Discovery.Err)
	case !isUnder(id, e.OrgDomain):
		// An Organizational Domain is the name itself or an ancestor, so
		// a name outside the From domain's cannot share it: no walk needed.
		return false, nil
	}
	org, err := TreeWalkOrgDomain(ctx, r, id)
	if err != nil {
		return false, err
	}
	return org == e.OrgDomain, nil
}

func (e *Evaluation) reason(ok bool, err error, mech, domain string, mode AlignMode) {
	what := "relaxed"
	if mode == Strict {
		what = "strict"
	}
	switch {
	case err != nil:
		e.Reasons = append(e.Reasons, fmt.Sprintf("%s pass for %s: alignment unknown (%v)", mech, domain, err))
	case ok:
		e.Reasons = append(e.Reasons, fmt.Sprintf("%s pass for %s: aligned with %s (%s)", mech, domain, e.FromDomain, what))
	default:
		e.Reasons = append(e.Reasons, fmt.Sprintf("%s pass for %s: not aligned with %s (%s)", mech, domain, e.FromDomain, what))
	}
}

// domainExists is the RFC 9989 existence test for np: a name exists unless
// the answer is NXDOMAIN (RFC 8020: nothing exists at or below it), so one
// A query tells; NODATA means it exists with other types.
func domainExists(ctx context.Context, r *dnsx.Resolver, domain string) (bool, error) {
	ans := r.Lookup(ctx, domain, typeA)
	switch {
	case ans.Outcome.Temporary():
		return true, fmt.Errorf("%w: existence of %s: %w", ErrTempDNS, domain, ans.Error())
	case ans.Outcome == dnsx.NXDomain:
		return false, nil
	}
	return true, nil
}
