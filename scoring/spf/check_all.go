package spf

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/mailcred/mailcred/scoring"
)

// runAll is spf.all: how the record treats everyone else.
func runAll(ctx context.Context, env *scoring.Env) scoring.Result {
	ev := env.Evidence
	domain := policyDomain(ev)
	res := scoring.Result{ID: CheckAll}
	// Follow redirect= when the record has no "all" (RFC 7208 §6.1): the
	// target's all is the one that applies.
	name, text := domain, ""
	var chain []string
	for hop := 0; ; hop++ {
		f := fetch(ctx, env.DNS, name)
		if f.ans.Outcome.Temporary() {
			return dnsError(CheckAll, "SPF all mechanism", recordError(name, f.ans)+".")
		}
		if len(f.spf) != 1 {
			res.Status, res.Title = scoring.Skip, "SPF all mechanism: no single SPF record (see spf.record)"
			if hop > 0 {
				res.Status, res.Title = scoring.Fail, fmt.Sprintf("SPF redirect target %s has %d SPF records", name, len(f.spf))
			}
			return res
		}
		text = f.spf[0].Joined()
		rec, err := Parse(text)
		if err != nil {
			res.Status, res.Title = scoring.Skip, "SPF all mechanism: the record is invalid (see spf.record)"
			return res
		}
		chain = append(chain, name)
		if rec.All() != nil || rec.Redirect == nil || hop >= MaxLookups || strings.Contains(rec.Redirect.Value, "%") {
			return judgeAll(res, domain, name, text, rec, chain, ev.IPs)
		}
		name = strings.ToLower(strings.TrimSuffix(rec.Redirect.Value, "."))
	}
}

func judgeAll(res scoring.Result, domain, name, text string, rec *Record, chain []string, ips []netip.Addr) scoring.Result {
	via := ""
	if len(chain) > 1 {
		via = fmt.Sprintf(" (through redirect: %s)", strings.Join(chain, " → "))
	}
	fixRecord := func(q Qualifier, summary string) *scoring.Fix {
		value := SetAll(text, q)
		if name == domain {
			value = AddIPs(value, ips)
		}
		return &scoring.Fix{Summary: summary, Records: []scoring.DNSRecord{scoring.TXTRecord(name, value)}}
	}
	all := rec.All()
	if all == nil {
		if rec.Redirect != nil {
			res.Status, res.Title = scoring.Info, "SPF ends in a redirect whose target cannot be followed statically"
			res.Detail = text
			return res
		}
		res.Status = scoring.Warn
		res.Title = "SPF record has no \"all\""
		res.Detail = fmt.Sprintf("%s%s: with no \"all\" and no redirect, an IP that matches nothing gets neutral "+
			"(RFC 7208 §4.7), which receivers treat like no SPF at all.\n  %s", name, via, text)
		res.Fix = fixRecord(QFail, "End the record with -all so that every other IP fails:")
		return res
	}
	res.Detail = fmt.Sprintf("%s%s:\n  %s", name, via, text)
	switch all.Qualifier {
	case QFail:
		res.Status, res.Title = scoring.Pass, "SPF ends in -all: other IPs fail"
	case QSoftFail:
		res.Status, res.Title = scoring.Pass, "SPF ends in ~all: other IPs soft-fail"
		res.Detail += "\n~all is common and safe while you roll out; once DKIM and DMARC pass, -all is the stronger statement."
	case QNeutral:
		res.Status, res.Title = scoring.Warn, "SPF ends in ?all: it protects nothing"
		res.Detail += "\n?all gives neutral to every IP not listed: receivers treat it like no SPF, so anyone can use the domain."
		res.Fix = fixRecord(QFail, "Replace ?all with -all (or ~all while testing):")
	default:
		res.Status, res.Title = scoring.Fail, "SPF ends in +all: every IP on the Internet may send as "+domain
		res.Detail += "\n+all authorises the whole Internet; spammers can pass SPF as this domain and receivers distrust it."
		res.Fix = fixRecord(QFail, "Replace +all with -all at once:")
	}
	return res
}
