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
			res = judgeAll(res, domain, name, text, rec, chain, ev.IPs)
			if res.Status == scoring.Pass || res.Status == scoring.Warn {
				a := Inspect(ctx, env.DNS, domain, firstIP(ev), envelopeSender(ev))
				if path := passAllPath(a.Tree, 0); path != nil {
					return passesEveryone(res, domain, a.Record, path, ev.IPs)
				}
			}
			return res
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

// passAllPath returns the chain of terms through which a record reaches a
// pass-qualified "all" before any other all: include matches when the
// included record passes (RFC 7208 §5.2), so an include whose tree ends in
// +all matches every IP, and the including record's own -all is never
// reached. nil when there is none.
func passAllPath(n *Node, depth int) []string {
	if n == nil || n.Record == "" || depth > MaxLookups {
		return nil
	}
	rec, err := Parse(n.Record)
	if err != nil {
		return nil
	}
	for i := range rec.Directives {
		d := &rec.Directives[i]
		switch {
		case d.Mechanism == MechAll && d.Qualifier == QPass:
			return []string{n.Domain + ": " + d.Text}
		case d.Mechanism == MechAll:
			return nil
		case d.Mechanism == MechInclude && d.Qualifier == QPass && i < len(n.Terms):
			if p := passAllPath(n.Terms[i].Child, depth+1); p != nil {
				return append([]string{n.Domain + ": " + d.Text}, p...)
			}
		}
	}
	if rec.Redirect != nil && len(n.Terms) > len(rec.Directives) {
		if p := passAllPath(n.Terms[len(n.Terms)-1].Child, depth+1); p != nil {
			return append([]string{n.Domain + ": " + rec.Redirect.Text}, p...)
		}
	}
	return nil
}

// passesEveryone rewrites a result whose record ends in -all (or ~all,
// ?all) but reaches +all through an include: every IP not matched before
// that include passes.
func passesEveryone(res scoring.Result, domain, record string, path []string, ips []netip.Addr) scoring.Result {
	first := strings.TrimPrefix(path[0], domain+": ")
	res.Status = scoring.Fail
	res.Title = fmt.Sprintf("SPF passes every IP: %s reaches +all", first)
	res.Detail += fmt.Sprintf("\nThe include tree reaches a +all: %s.\nAn include matches when the included record "+
		"passes (RFC 7208 §5.2), and that record passes every IP, so every IP not listed before %s passes SPF as %s; "+
		"the final all is never reached.", strings.Join(path, " → "), first, domain)
	res.Fix = &scoring.Fix{Summary: fmt.Sprintf("Remove %s from the SPF record of %s (or have its owner replace +all with -all); "+
		"list the addresses that service sends from with ip4:/ip6: instead.", first, domain)}
	terms, _ := recordTerms(record)
	kept := []string{"v=spf1"}
	for _, t := range terms {
		if !strings.EqualFold(t, first) {
			kept = append(kept, t)
		}
	}
	res.Fix.Records = []scoring.DNSRecord{scoring.TXTRecord(domain, AddIPs(strings.Join(kept, " "), ips))}
	return res
}
