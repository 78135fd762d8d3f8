package spf

import (
	"context"
	"net/netip"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnsx"
)

// Check ids of the catalogue (README.md, "Checks and the score"); JSON and tests use them.
const (
	CheckRecord  = "spf.record"
	CheckLookups = "spf.lookups"
	CheckAll     = "spf.all"
	CheckResult  = "spf.result"
)

// maxRecordSize is the record size above which the TXT answer risks not
// fitting a 512-byte UDP reply (a 512-byte reply less the header and question: roughly 450 bytes).
const maxRecordSize = 450

// Checks returns the catalogue entries spf.record, spf.lookups, spf.all and
// spf.result. Each uses env.DNS for every query and env.Evidence for the
// domain, the sending IPs, the envelope sender and the HELO name.
func Checks() []scoring.Check {
	hasDomain := func(ev scoring.Evidence) bool { return policyDomain(ev) != "" }
	return []scoring.Check{
		{ID: CheckRecord, Title: "SPF record", Applies: hasDomain, Run: runRecord},
		{ID: CheckLookups, Title: "SPF DNS lookups", Applies: hasDomain, Run: runLookups},
		{ID: CheckAll, Title: "SPF all mechanism", Applies: hasDomain, Run: runAll},
		{ID: CheckResult, Title: "SPF result for the sending IPs",
			Applies: func(ev scoring.Evidence) bool { return hasDomain(ev) && len(ev.IPs) > 0 },
			Run:     runResult},
	}
}

// policyDomain is the domain whose SPF record applies: the envelope
// sender's domain (RFC 7208 §2.4), or Evidence.Domain.
func policyDomain(ev scoring.Evidence) string {
	if d := scoring.DomainOf(ev.MailFrom); d != "" {
		return d
	}
	return scoring.NormalDomain(ev.Domain)
}

// envelopeSender is the MAIL FROM to check: Evidence.MailFrom, or
// postmaster@Domain.
func envelopeSender(ev scoring.Evidence) string {
	if ev.MailFrom != "" {
		return ev.MailFrom
	}
	return "postmaster@" + policyDomain(ev)
}

// dnsError is the result of a check that could not look its records up:
// status error, never fail, with what to do about it.
func dnsError(id, title, what string) scoring.Result {
	return scoring.Result{
		ID: id, Status: scoring.Error, Title: title + ": could not be checked",
		Detail: what + "\nThis is a temporary DNS failure (timeout, SERVFAIL or REFUSED), not a verdict on the record; " +
			"receivers seeing the same would answer temperror and defer the mail.",
		Fix: &scoring.Fix{Summary: "Check again in a few minutes. If it persists, make sure the domain's name servers " +
			"answer TXT queries (dig TXT <domain> @<each NS>) and that the resolver in use (--resolver) works."},
	}
}

// fetched is the SPF record set of a domain as a check sees it.
type fetched struct {
	domain string
	txts   []txtRecord
	spf    []txtRecord
	ans    *dnsx.Answer
}

func fetch(ctx context.Context, r *dnsx.Resolver, domain string) fetched {
	txts, ans := lookupTXT(ctx, r, domain)
	return fetched{domain: domain, txts: txts, spf: spfRecords(txts), ans: ans}
}

// firstIP is an address for macros and ptr in Inspect.
func firstIP(ev scoring.Evidence) netip.Addr {
	if len(ev.IPs) > 0 {
		return ev.IPs[0]
	}
	return netip.Addr{}
}
