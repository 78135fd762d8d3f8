package demo

import (
	"context"
	"net/mail"
	"net/netip"
	"strings"

	"github.com/mailcred/mailcred/scoring/dkim"
	"github.com/mailcred/mailcred/scoring/dmarc"
	"github.com/mailcred/mailcred/scoring/dnsbl"
	"github.com/mailcred/mailcred/scoring/dnsx"
	"github.com/mailcred/mailcred/scoring/headers"
	"github.com/mailcred/mailcred/scoring/rdns"
	"github.com/mailcred/mailcred/scoring/spf"
)

// judgement is what a receiver knows about one command or message, and
// what it works out with mailcred's engine against the world's DNS. Each
// verdict is computed once, when a rule first asks; a judgement belongs to
// one goroutine.
type judgement struct {
	ctx      context.Context
	dns      *dnsx.Resolver
	st       state
	ip       netip.Addr // the sender's simulated address
	helo     string
	mailFrom string
	rcpt     string
	msg      []byte
	domain   string // the receiving provider's domain

	ptr      *rdns.PTRInfo
	spfEval  *spf.Evaluation
	dkim     []dkim.SignatureResult
	dkimDone bool
	dmarc    *dmarc.Evaluation
	zen      *bool
}

// fcrdns reports whether the source address has a PTR that resolves back
// to it.
func (j *judgement) fcrdns() bool {
	if j.ptr == nil {
		j.ptr = rdns.Lookup(j.ctx, j.dns, j.ip)
	}
	return len(j.ptr.Confirmed()) > 0
}

// mailFromDomain is the domain SPF checks: MAIL FROM's, or the HELO name
// for the null sender (RFC 7208 §2.4).
func (j *judgement) mailFromDomain() string {
	if at := strings.LastIndexByte(j.mailFrom, '@'); at >= 0 {
		return strings.ToLower(j.mailFrom[at+1:])
	}
	return strings.ToLower(j.helo)
}

// spfResult is check_host() for the source address and MAIL FROM.
func (j *judgement) spfResult() *spf.Evaluation {
	if j.spfEval == nil {
		j.spfEval = spf.Evaluate(j.ctx, j.dns, j.ip, j.mailFrom, j.helo)
	}
	return j.spfEval
}

// dkimResults verifies every signature against the published keys.
func (j *judgement) dkimResults() []dkim.SignatureResult {
	if !j.dkimDone {
		j.dkimDone = true
		if len(j.msg) > 0 {
			j.dkim, _ = dkim.VerifyPublished(j.ctx, j.msg, j.dns) // unreadable counts as unsigned
		}
	}
	return j.dkim
}

// dkimPass reports whether some signature verifies.
func (j *judgement) dkimPass() bool {
	for _, r := range j.dkimResults() {
		if r.Status == dkim.Pass {
			return true
		}
	}
	return false
}

// authenticated is Gmail's rule for every sender: SPF or DKIM passes.
func (j *judgement) authenticated() bool {
	return j.spfResult().Result == spf.Pass || j.dkimPass()
}

// fromDomain is the RFC5322.From domain of the message, or "".
func (j *judgement) fromDomain() string {
	fields := headers.Parse(j.msg).Get("From")
	if len(fields) != 1 {
		return ""
	}
	a, err := mail.ParseAddress(fields[0].Value)
	if err != nil {
		return ""
	}
	if at := strings.LastIndexByte(a.Address, '@'); at >= 0 {
		return strings.ToLower(a.Address[at+1:])
	}
	return ""
}

// dmarcResult evaluates DMARC for the message with the SPF and DKIM
// verdicts above.
func (j *judgement) dmarcResult() *dmarc.Evaluation {
	if j.dmarc == nil {
		in := dmarc.AlignmentInput{
			FromDomain: j.fromDomain(),
			SPF:        dmarc.SPFResult{Result: string(j.spfResult().Result), Domain: j.mailFromDomain()},
		}
		for _, r := range j.dkimResults() {
			in.DKIM = append(in.DKIM, dmarc.DKIMResult{Domain: r.Domain, Result: string(r.Status)})
		}
		j.dmarc = dmarc.Evaluate(j.ctx, j.dns, in)
	}
	return j.dmarc
}

// dmarcRejects reports a DMARC failure under p=reject.
func (j *judgement) dmarcRejects() bool {
	e := j.dmarcResult()
	return e.Result == dmarc.ResultFail && e.ApplyPolicy && e.Policy == dmarc.PolicyReject
}

// hasTo reports whether the message has a To: header.
func (j *judgement) hasTo() bool { return headers.Parse(j.msg).Count("To") > 0 }

// zenListed reports whether Spamhaus ZEN lists the source address with a
// blocking code. A refusal code (public resolver) is not a listing.
func (j *judgement) zenListed() bool {
	if j.zen == nil {
		listed := false
		if zen, err := zenList(); err == nil {
			for _, r := range dnsbl.Query(j.ctx, j.dns, []dnsbl.List{zen}, j.ip.String()) {
				listed = listed || (r.Listed && r.Err == nil)
			}
		}
		j.zen = &listed
	}
	return *j.zen
}

// foreignRecipient reports a RCPT TO outside the provider's domain.
func (j *judgement) foreignRecipient() bool {
	at := strings.LastIndexByte(j.rcpt, '@')
	return at < 0 || !strings.EqualFold(j.rcpt[at+1:], j.domain)
}
