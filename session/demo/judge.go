package demo

import (
	"context"
	"net/netip"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dkim"
	"github.com/mailcred/mailcred/scoring/dmarc"
	"github.com/mailcred/mailcred/scoring/dnsbl"
	"github.com/mailcred/mailcred/scoring/dnsx"
	"github.com/mailcred/mailcred/scoring/headers"
	"github.com/mailcred/mailcred/scoring/rdns"
	"github.com/mailcred/mailcred/scoring/receiver"
	"github.com/mailcred/mailcred/scoring/spf"
)

// judgement is what a receiver knows about one command or message, and
// what it works out with mailcred's engine against the world's DNS: SPF,
// DKIM and DMARC are scoring/receiver's verdict, as `mailcred score` and
// `mailcred receive` reach it. Each verdict is computed once, when a rule
// first asks; a judgement belongs to one goroutine.
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

	ptr     *rdns.PTRInfo
	verdict *receiver.Verdict
	zen     *bool
}

// connection is the SMTP session as the receiver saw it.
func (j *judgement) connection() receiver.Connection {
	return receiver.Connection{IP: j.ip, HELO: j.helo, MailFrom: j.mailFrom}
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
	if d := scoring.DomainOf(j.mailFrom); d != "" {
		return d
	}
	return scoring.NormalDomain(j.helo)
}

// judged is the receiver's verdict on the message (SPF alone before
// DATA: there is no message yet).
func (j *judgement) judged() *receiver.Verdict {
	if j.verdict == nil {
		ev, _ := j.connection().Evidence(j.msg)
		j.verdict = receiver.Judge(j.ctx, j.dns, ev)
	}
	return j.verdict
}

// authenticated is Gmail's rule for every sender: SPF or DKIM passes.
func (j *judgement) authenticated() bool {
	v := j.judged()
	if v.SPF != nil && v.SPF.Result == spf.Pass {
		return true
	}
	for _, s := range v.DKIM {
		if s.Status == dkim.Pass {
			return true
		}
	}
	return false
}

// fromDomain is the RFC5322.From domain of the message, or "".
func (j *judgement) fromDomain() string { return j.judged().FromDomain }

// dmarcNone reports that no DMARC policy applies to the message: no
// record, or no single From domain to look one up for.
func (j *judgement) dmarcNone() bool {
	e := j.judged().DMARC
	return e == nil || e.Result == dmarc.ResultNone
}

// dmarcRejects reports a DMARC failure under p=reject.
func (j *judgement) dmarcRejects() bool {
	e := j.judged().DMARC
	return e != nil && e.Result == dmarc.ResultFail && e.ApplyPolicy && e.Policy == dmarc.PolicyReject
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
	d := scoring.DomainOf(j.rcpt)
	return d == "" || d != scoring.NormalDomain(j.domain)
}
