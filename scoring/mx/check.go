package mx

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnsx"
)

// maxHosts bounds the MX hosts examined per domain.
const maxHosts = 10

// Checks returns mx.record.
func Checks() []scoring.Check {
	return []scoring.Check{{
		ID:    "mx.record",
		Title: "The sending domain can receive bounces",
		Applies: func(ev scoring.Evidence) bool {
			return strings.TrimSpace(ev.Domain) != "" || strings.Contains(ev.MailFrom, "@")
		},
		Run: runRecord,
	}}
}

// domains are the domains that must receive mail: the envelope sender's
// (bounces, RFC 5321 §4.5.5 and §6.1) and the From domain (replies,
// postmaster@, DMARC reports sent back to it).
func domains(ev scoring.Evidence) []string {
	var out []string
	add := func(d string) {
		if d != "" && !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	add(scoring.DomainOf(strings.Trim(ev.MailFrom, "<> ")))
	add(scoring.NormalDomain(ev.Domain))
	return out
}

// hostState is what became of one MX host.
type hostState struct {
	mx      dnsx.MX
	addrs   []netip.Addr
	outcome dnsx.Outcome
	alias   string // CNAME target, when the host is an alias
	literal bool
}

// result is the verdict for one domain.
type result struct {
	status scoring.Status
	title  string
	lines  []string
	fix    *scoring.Fix
}

func runRecord(ctx context.Context, env *scoring.Env) scoring.Result {
	res := scoring.Result{ID: "mx.record", Status: scoring.Pass}
	var lines []string
	fix := &scoring.Fix{}
	for _, d := range domains(env.Evidence) {
		r := checkDomain(ctx, env, d)
		if r.status.Worse(res.Status) || res.Title == "" {
			res.Status, res.Title = r.status, r.title
		}
		lines = append(lines, r.lines...)
		if r.fix != nil {
			fix.Summary = strings.TrimSpace(fix.Summary + "\n" + r.fix.Summary)
			fix.Records = append(fix.Records, r.fix.Records...)
		}
	}
	var pm []string
	for _, d := range domains(env.Evidence) {
		pm = append(pm, "postmaster@"+d)
	}
	lines = append(lines, strings.Join(pm, " and ")+" must accept mail (RFC 5321 §4.5.1), and abuse@ is expected by blocklists "+
		"and feedback loops (RFC 2142); make sure both reach a person.")
	res.Detail = strings.Join(lines, "\n")
	if fix.Summary != "" || len(fix.Records) > 0 {
		res.Fix = fix
	}
	return res
}

// mxFix proposes an MX for domain: the sending host if the user gave its
// IPs (it then needs to accept mail on port 25), or mail.<domain>.
func mxFix(env *scoring.Env, domain, why string) *scoring.Fix {
	host := "mail." + domain
	f := &scoring.Fix{
		Summary: why + fmt.Sprintf(" Publish an MX pointing at a host that accepts mail for %s on port 25 "+
			"(your own MTA, or your mailbox provider's MX if it hosts the domain's mail):", domain),
		Records: []scoring.DNSRecord{{Name: domain, Type: "MX", Value: "10 " + host + "."}},
	}
	for _, ip := range env.Evidence.IPs {
		t := "A"
		if ip.Unmap().Is6() {
			t = "AAAA"
		}
		f.Records = append(f.Records, scoring.DNSRecord{Name: host, Type: t, Value: ip.Unmap().String()})
	}
	return f
}

func checkDomain(ctx context.Context, env *scoring.Env, domain string) result {
	hosts, implicit, out := Hosts(ctx, env.DNS, domain)
	switch {
	case out.Temporary() || out == dnsx.Failure:
		return result{status: scoring.Error, title: fmt.Sprintf("Could not look up the MX of %s (%s)", domain, out),
			lines: []string{fmt.Sprintf("MX %s: %s; this says nothing about the records, check again later.", domain, out)}}
	case out == dnsx.NXDomain:
		return result{status: scoring.Fail, title: domain + " does not exist in DNS",
			lines: []string{fmt.Sprintf("MX %s: NXDOMAIN. Receivers reject mail from a domain that does not exist (Yahoo: \"unresolvable RFC.5321 from domain\").", domain)},
			fix:   mxFix(env, domain, fmt.Sprintf("Create the zone of %s at its registrar.", domain))}
	case len(hosts) == 0:
		return result{status: scoring.Fail, title: domain + " has no MX and no address: it cannot receive bounces",
			lines: []string{fmt.Sprintf("MX %s: none, A/AAAA: none. Bounces and DMARC reports to %s are lost, and some receivers refuse senders whose domain cannot receive mail.", domain, domain)},
			fix:   mxFix(env, domain, "")}
	case IsNull(hosts):
		return result{status: scoring.Fail, title: domain + " publishes a null MX: it accepts no mail",
			lines: []string{fmt.Sprintf("MX %s: 0 . — a null MX (RFC 7505) says the domain never receives mail, so bounces and DMARC reports to it are lost, and RFC 7505 §4.2 lets receivers refuse its mail.", domain)},
			fix:   mxFix(env, domain, fmt.Sprintf("Replace the null MX of %s (\"0 .\").", domain))}
	case implicit:
		return result{status: scoring.Warn, title: domain + " has no MX; mail goes to its A/AAAA (implicit MX)",
			lines: []string{fmt.Sprintf("MX %s: none, but it has an address, so mail goes there (implicit MX, RFC 5321 §5.1); that works only if the host accepts mail on port 25, and many checkers count it as missing.", domain)},
			fix:   mxFix(env, domain, "Make the mail route explicit.")}
	}
	return checkHosts(ctx, env, domain, hosts)
}

func checkHosts(ctx context.Context, env *scoring.Env, domain string, hosts []dnsx.MX) result {
	var states []hostState
	var lines []string
	nullMixed := false
	r := result{status: scoring.Pass}
	worse := func(s scoring.Status, title string) {
		if s.Worse(r.status) {
			r.status, r.title = s, title
		}
	}
	for i, h := range hosts {
		if i == maxHosts {
			lines = append(lines, fmt.Sprintf("(%d more MX hosts not examined)", len(hosts)-maxHosts))
			break
		}
		st := hostState{mx: h, literal: ipLiteral(h.Host)}
		if h.Host == "." {
			nullMixed = true
			worse(scoring.Warn, fmt.Sprintf("%s mixes a null MX with real ones", domain))
			lines = append(lines, fmt.Sprintf("MX %d . — a null MX next to other MX records; RFC 7505 §3 forbids the mix: delete it", h.Preference))
			continue
		}
		if !st.literal {
			if c := env.DNS.Lookup(ctx, h.Host, dnsx.TypeCNAME); c.Outcome == dnsx.Success && len(c.Names()) > 0 {
				st.alias = strings.TrimSuffix(c.Names()[0], ".")
			}
			st.addrs, st.outcome = env.DNS.LookupAddrs(ctx, h.Host)
		}
		states = append(states, st)
		lines = append(lines, describeHost(st))
	}

	// An IP address written as a name is an MX with no address: RFC 5321
	// §5.1 has the name looked up as a domain (it finds nothing) and makes
	// an unusable MX an error. Graded exactly as an MX host that does not
	// resolve: it fails when no other host works.
	resolving, temporary, literals := 0, 0, 0
	for _, st := range states {
		name := strings.TrimSuffix(st.mx.Host, ".")
		switch {
		case st.literal:
			literals++
			worse(scoring.Warn, fmt.Sprintf("MX host %s of %s is an IP address, not a name: it has no address", name, domain))
		case st.alias != "":
			worse(scoring.Warn, fmt.Sprintf("MX host %s is an alias (CNAME)", name))
		}
		switch {
		case len(st.addrs) > 0:
			resolving++
		case st.outcome.Temporary() || st.outcome == dnsx.Failure:
			temporary++
		case !st.literal:
			worse(scoring.Warn, fmt.Sprintf("MX host %s of %s does not resolve", name, domain))
		}
	}
	switch {
	case resolving == 0 && temporary > 0:
		r.status, r.title = scoring.Error, fmt.Sprintf("Could not resolve the MX hosts of %s", domain)
	case resolving == 0 && literals > 0:
		r.status, r.title = scoring.Fail, fmt.Sprintf("MX of %s is an IP address written as a name: it cannot receive bounces", domain)
		r.fix = hostFix(states, domain, nullMixed)
	case resolving == 0:
		r.status, r.title = scoring.Fail, fmt.Sprintf("No MX host of %s resolves: it cannot receive bounces", domain)
		r.fix = mxFix(env, domain, "")
	case r.status == scoring.Pass:
		r.title = fmt.Sprintf("%s receives mail at %s", domain, strings.TrimSuffix(states[0].mx.Host, "."))
	}
	if r.status == scoring.Warn {
		r.fix = hostFix(states, domain, nullMixed)
	}
	r.lines = lines
	return r
}

func describeHost(st hostState) string {
	name := strings.TrimSuffix(st.mx.Host, ".")
	s := fmt.Sprintf("MX %d %s", st.mx.Preference, name)
	switch {
	case st.literal:
		return s + " — an IP address where a host name must be: RFC 5321 §5.1 has it looked up as a name, which finds no address, so it is an MX with no address (exim refuses it unless allow_mx_to_ip is set)"
	case st.alias != "":
		s += fmt.Sprintf(" — an alias of %s; MX targets must not be aliases (RFC 2181 §10.3, RFC 5321 §5.1)", st.alias)
	}
	if len(st.addrs) > 0 {
		var as []string
		for _, a := range st.addrs {
			as = append(as, a.String())
		}
		return s + " → " + strings.Join(as, ", ")
	}
	return s + " → " + st.outcome.String()
}

// hostFix tells what to change in a working but untidy MX set.
func hostFix(states []hostState, domain string, nullMixed bool) *scoring.Fix {
	var advice []string
	var records []scoring.DNSRecord
	if nullMixed {
		advice = append(advice, fmt.Sprintf("Delete the null MX record of %s (\"0 .\"); keep the real ones.", domain))
	}
	for _, st := range states {
		name := strings.TrimSuffix(st.mx.Host, ".")
		switch {
		case st.literal:
			ip, _ := netip.ParseAddr(strings.Trim(name, "[]"))
			t := "A"
			if ip.Is6() {
				t = "AAAA"
			}
			host := "mail." + domain
			advice = append(advice, fmt.Sprintf("Replace MX %d %s with a host name that has an address record for it:", st.mx.Preference, name))
			records = append(records,
				scoring.DNSRecord{Name: domain, Type: "MX", Value: fmt.Sprintf("%d %s.", st.mx.Preference, host)},
				scoring.DNSRecord{Name: host, Type: t, Value: ip.String()})
		case st.alias != "":
			advice = append(advice, fmt.Sprintf("Point the MX at %s directly instead of the alias %s.", st.alias, name))
		case len(st.addrs) == 0 && !st.outcome.Temporary():
			advice = append(advice, fmt.Sprintf("Give %s an A/AAAA record, or remove that MX.", name))
		}
	}
	return &scoring.Fix{Summary: strings.Join(advice, "\n"), Records: records}
}
