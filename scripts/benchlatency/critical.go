package main

import (
	"net/netip"
	"strings"

	"github.com/miekg/dns"

	"github.com/mailcred/mailcred/scoring/dnstest"
	"github.com/mailcred/mailcred/scoring/dnsx"
)

// question is one DNS question: a lower-case FQDN and a type.
type question struct {
	name  string
	qtype uint16
}

// criticalPath is the number of DNS round trips a command cannot avoid:
// the longest chain of its questions that must wait for one another. It
// is derived from the zone, not from the timing: every question the
// command asked (log, taken at 0 ms) gets a level — 1 when its name is
// known from the input (the domain, the HELO name, the DMARC and DKIM
// names, the reverse names of the IPs) or when no answer in the zone leads
// to it (a blocklist query, a test point), else one more than the
// shallowest question whose answer names it (an SPF include or redirect,
// a:/mx:/exists: targets, MX and PTR targets, a DMARC rua's report
// authorisation). An engine that asks every question as soon as it knows
// it, and each once, finishes in as many round trips as the deepest level.
func criticalPath(srv *dnstest.Server, log []dns.Question, inputs []string) int {
	asked := map[question]bool{}
	for _, q := range log {
		asked[question{dnsx.Fqdn(q.Name), q.Qtype}] = true
	}
	known := map[string]bool{}
	for _, n := range inputs {
		known[dnsx.Fqdn(n)] = true
	}
	children := map[question][]question{}
	hasParent := map[question]bool{}
	for q := range asked {
		for _, c := range leadsTo(srv, q) {
			if asked[c] && c != q {
				children[q] = append(children[q], c)
				hasParent[c] = true
			}
		}
	}
	const unknown = 1 << 30
	level := map[question]int{}
	for q := range asked {
		level[q] = unknown
		if known[q.name] || !hasParent[q] {
			level[q] = 1
		}
	}
	for changed := true; changed; {
		changed = false
		for p, cs := range children {
			if level[p] == unknown {
				continue
			}
			for _, c := range cs {
				if level[p]+1 < level[c] {
					level[c] = level[p] + 1
					changed = true
				}
			}
		}
	}
	deepest := 0
	for _, l := range level {
		if l == unknown {
			l = 1 // reachable only through a loop: asked from the input
		}
		deepest = max(deepest, l)
	}
	return deepest
}

// leadsTo returns the questions the zone's answer to q names.
func leadsTo(srv *dnstest.Server, q question) []question {
	var out []question
	host := func(name string) {
		name = dnsx.Fqdn(name)
		out = append(out, question{name, dns.TypeA}, question{name, dns.TypeAAAA})
	}
	for _, rr := range srv.Records(q.name) {
		if rr.Header().Rrtype != q.qtype {
			continue
		}
		switch v := rr.(type) {
		case *dns.MX:
			host(v.Mx)
			out = append(out, question{dnsx.Fqdn("_25._tcp." + v.Mx), dns.TypeTLSA})
		case *dns.PTR:
			host(v.Ptr)
		case *dns.CNAME:
			out = append(out, question{dnsx.Fqdn(v.Target), q.qtype})
		case *dns.TXT:
			text := strings.Join(v.Txt, "")
			lower := strings.ToLower(text)
			switch {
			case strings.HasPrefix(lower, "v=spf1"):
				out = append(out, spfTargets(q.name, text)...)
			case strings.HasPrefix(lower, "v=dmarc1"):
				out = append(out, dmarcTargets(q.name, text)...)
			}
		}
	}
	return out
}

// spfTargets are the questions an SPF record's terms ask (RFC 7208 §5):
// include and redirect the target's record, a its addresses, mx its MX,
// exists an A. Terms with macros are left out (they depend on the
// message, and count as asked from the input).
func spfTargets(owner, record string) []question {
	var out []question
	for _, term := range strings.Fields(record)[1:] {
		t := strings.ToLower(strings.TrimLeft(term, "+-~?"))
		var mech, arg string
		if v, ok := strings.CutPrefix(t, "redirect="); ok {
			mech, arg = "redirect", v
		} else {
			mech, arg, _ = strings.Cut(t, ":")
			mech, _, _ = strings.Cut(mech, "/") // a/24, mx/24
		}
		arg, _, _ = strings.Cut(arg, "/")
		if strings.Contains(arg, "%") {
			continue
		}
		if arg == "" {
			arg = owner
		}
		name := dnsx.Fqdn(arg)
		switch mech {
		case "include", "redirect":
			out = append(out, question{name, dns.TypeTXT})
		case "a":
			out = append(out, question{name, dns.TypeA}, question{name, dns.TypeAAAA})
		case "mx":
			out = append(out, question{name, dns.TypeMX})
		case "exists":
			out = append(out, question{name, dns.TypeA})
		}
	}
	return out
}

// dmarcTargets are the external report authorisations a DMARC record's
// rua and ruf need (RFC 7489 §7.1): DOMAIN._report._dmarc.EXTERNAL.
func dmarcTargets(owner, record string) []question {
	author := strings.TrimPrefix(dnsx.Fqdn(owner), "_dmarc.")
	var out []question
	for _, tag := range strings.Split(record, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(tag), "=")
		if k = strings.ToLower(strings.TrimSpace(k)); k != "rua" && k != "ruf" {
			continue
		}
		for _, uri := range strings.Split(v, ",") {
			uri = strings.TrimSpace(uri)
			at := strings.LastIndexByte(uri, '@')
			if at < 0 {
				continue
			}
			ext := uri[at+1:]
			if i := strings.IndexByte(ext, '!'); i >= 0 {
				ext = ext[:i]
			}
			out = append(out, question{dnsx.Fqdn(strings.TrimSuffix(author, ".") + "._report._dmarc." + ext), dns.TypeTXT})
		}
	}
	return out
}

// inputNames are the names a command knows before any answer: the
// domain, the HELO name, the DMARC and DKIM key names, and the reverse
// names of the sending IPs and of 127.0.0.1 (receive's client).
func inputNames(ips []netip.Addr) []string {
	names := []string{domain, mailHost, "_dmarc." + domain, selector + "._domainkey." + domain,
		dnsx.ReverseName(netip.MustParseAddr("127.0.0.1"))}
	for _, ip := range ips {
		names = append(names, dnsx.ReverseName(ip))
	}
	return names
}
