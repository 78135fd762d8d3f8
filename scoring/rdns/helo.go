package rdns

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/mailcred/mailcred/scoring"
)

// privateSuffixes are names that never resolve on the public Internet
// (RFC 6761, RFC 6762, RFC 8375, and the installer defaults people leave
// in /etc/hostname). A HELO under one says "nobody configured this host".
var privateSuffixes = []string{
	"localhost", "localdomain", "local", "lan", "home", "internal", "intranet",
	"corp", "private", "home.arpa", "invalid", "test", "example",
}

// receiverDomains are the big mailbox providers. A HELO in one of them
// claims to be the receiver itself: Microsoft answers 5.7.506, others
// score it as forged.
var receiverDomains = []string{
	"gmail.com", "googlemail.com", "google.com", "outlook.com", "hotmail.com",
	"live.com", "msn.com", "office365.com", "yahoo.com", "aol.com", "icloud.com",
	"me.com", "mac.com", "gmx.net", "gmx.de", "gmx.com", "web.de", "mail.com",
	"t-online.de", "orange.fr", "comcast.net",
}

// heloSyntaxProblem says why h (lower case, no final dot) cannot be a
// proper HELO name, or "".
// RFC 5321 §4.1.1.1: the argument is the client's fully-qualified domain
// name, or an address literal when it has none.
func heloSyntaxProblem(h string) string {
	if _, err := netip.ParseAddr(h); err == nil {
		return "a bare IP address; RFC 5321 §4.1.3 wants a name, or the address in brackets"
	}
	if !strings.Contains(h, ".") {
		return "a bare word, not a fully-qualified domain name (RFC 5321 §4.1.1.1, §2.3.5)"
	}
	if len(h) > 253 {
		return "longer than a domain name can be"
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return "not a valid host name (empty, over-long or hyphen-edged label)"
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return fmt.Sprintf("not a valid host name (%q is not a letter, digit or hyphen)", c)
			}
		}
	}
	if s := privateSuffix(h); s != "" {
		return fmt.Sprintf("a private name (.%s) that does not exist on the Internet", s)
	}
	return ""
}

// HELOProblem says why helo (lower case, no final dot) cannot be the
// HELO of a server sending as domain, or "". A HELO under the same
// reserved suffix as the domain itself (RFC 6761 §6.2: .test for
// testing) is a test setup, where the domain is the issue, not the HELO.
func HELOProblem(helo, domain string) string {
	p := heloSyntaxProblem(helo)
	if p != "" && privateSuffix(helo) != "" && privateSuffix(helo) == privateSuffix(scoring.NormalDomain(domain)) {
		return ""
	}
	return p
}

// privateSuffix is the reserved or private suffix h is under, or "".
func privateSuffix(h string) string {
	for _, s := range privateSuffixes {
		if h == s || strings.HasSuffix(h, "."+s) {
			return s
		}
	}
	return ""
}

// receiverName returns the provider domain h claims to be in, or "".
func receiverName(h, ownDomain string) string {
	own := scoring.NormalDomain(ownDomain)
	for _, d := range receiverDomains {
		if (h == d || strings.HasSuffix(h, "."+d)) && !inDomain(own, d) {
			return d
		}
	}
	return ""
}

// heloSnippet is the MTA configuration that sets the HELO name.
func heloSnippet(name string) string {
	return fmt.Sprintf(`# exim4 (Debian): /etc/exim4/exim4.conf.localmacros (single file)
#   or /etc/exim4/conf.d/main/000_localmacros (split config)
REMOTE_SMTP_HELO_DATA = %[1]s
# then: update-exim4.conf && systemctl restart exim4

# postfix: /etc/postfix/main.cf
smtp_helo_name = %[1]s
# then: postfix reload`, name)
}

func runHELO(ctx context.Context, env *scoring.Env) scoring.Result {
	const id = "rdns.helo"
	ev := env.Evidence
	helo := scoring.NormalDomain(ev.HELO)
	if helo == "" {
		return heloNotGiven(ctx, env)
	}
	want := suggestedName(ev)
	bad := func(title, detail string) scoring.Result {
		fix := &scoring.Fix{Summary: fmt.Sprintf("Make the MTA say EHLO %s (a name with an A/AAAA record for the sending IP and the same name in its PTR).", want),
			Snippet: heloSnippet(want), Manual: heloManual}
		if want == helo || heloSyntaxProblem(want) != "" {
			// Never suggest the name just refused, nor one with the same flaw.
			fix = &scoring.Fix{Summary: fmt.Sprintf("Use a name in a domain you have registered, with an A/AAAA record for the sending IP "+
				"and the same name in its PTR; %s cannot give one.", scoring.NormalDomain(ev.Domain)), Manual: heloManual}
		}
		return scoring.Result{ID: id, Status: scoring.Fail, Title: title, Detail: detail, Fix: fix}
	}
	if strings.HasPrefix(helo, "[") {
		return addressLiteral(id, helo, ev, want)
	}
	// A test setup's HELO is judged by what DNS says of it (HELOProblem).
	if p := HELOProblem(helo, ev.Domain); p != "" {
		short := strings.SplitN(p, ";", 2)[0]
		if i := strings.Index(short, " (RFC"); i > 0 {
			short = short[:i]
		}
		return bad(fmt.Sprintf("HELO %s is %s", helo, short), "EHLO "+helo+": "+p+". Gmail answers 501 5.5.4 to such names and filters score them.")
	}
	if d := receiverName(helo, ev.Domain); d != "" {
		return bad(fmt.Sprintf("HELO %s claims to be %s", helo, d),
			fmt.Sprintf("EHLO %s names a %s host, not yours: Microsoft rejects such a HELO (5.7.506) and others treat it as forged.", helo, d))
	}

	addrs, out := env.DNS.LookupAddrs(ctx, helo)
	if out.Temporary() {
		return scoring.Result{ID: id, Status: scoring.Error, Title: fmt.Sprintf("Could not resolve HELO name %s (%s)", helo, out),
			Detail: fmt.Sprintf("A/AAAA %s: %s; this says nothing about the name, check again later.", helo, out)}
	}
	if len(addrs) == 0 {
		r := bad(fmt.Sprintf("HELO name %s does not resolve", helo),
			fmt.Sprintf("A/AAAA %s: %s. Receivers check that the HELO name exists (postfix reject_unknown_helo_hostname, SpamAssassin HELO checks).", helo, out))
		if inDomain(helo, ev.Domain) {
			r.Fix = &scoring.Fix{Summary: "Publish the HELO name's address in your zone:"}
			for _, ip := range ev.IPs {
				r.Fix.Records = append(r.Fix.Records, addrRecord(helo, ip.Unmap()))
			}
		}
		return r
	}
	var vs []verdict
	for _, info := range lookupAll(ctx, env) {
		vs = append(vs, heloVerdict(helo, addrs, info, ev))
	}
	res := rollUp(id, vs, fmt.Sprintf("HELO %s resolves to every sending IP", helo))
	if res.Fix != nil && (res.Status == scoring.Warn || res.Status == scoring.Fail) {
		for _, v := range vs {
			if v.heloName != "" {
				res.Fix.Snippet = heloSnippet(v.heloName)
				if len(res.Fix.Records) == 0 {
					res.Fix.Manual = heloManual
				}
				break
			}
		}
	}
	return res
}

func heloVerdict(helo string, addrs []netip.Addr, info *PTRInfo, ev scoring.Evidence) verdict {
	ip := info.IP
	resolves := slices.ContainsFunc(addrs, func(a netip.Addr) bool { return a.Unmap() == ip })
	matchesPTR := slices.Contains(info.Names, helo)
	switch {
	case !resolves:
		v := verdict{status: scoring.Warn,
			title: fmt.Sprintf("HELO %s does not resolve to %s", helo, ip),
			line:  fmt.Sprintf("%s: HELO %s resolves to %s, not to this IP", ip, helo, joinAddrs(addrs))}
		c := info.Confirmed()
		if len(c) > 0 && (inDomain(c[0], ev.Domain) || !inDomain(helo, ev.Domain)) {
			// The IP already has a name that works both ways: use it.
			v.heloName = c[0]
			v.advice = fmt.Sprintf("Set the HELO name to %s, the forward-confirmed PTR name of %s.", c[0], ip)
		} else if inDomain(helo, ev.Domain) {
			v.records = []scoring.DNSRecord{addrRecord(helo, ip)}
			v.advice = fmt.Sprintf("Add %s %s %s to your zone, or give this IP's traffic a HELO name that resolves to it.", helo, addrRecord(helo, ip).Type, ip)
		} else {
			v.advice = fmt.Sprintf("Use a HELO name in your own domain that resolves to %s.", ip)
		}
		return v
	case matchesPTR:
		return verdict{status: scoring.Pass, title: fmt.Sprintf("HELO %s resolves to %s and is its PTR name", helo, ip),
			line: fmt.Sprintf("%s: HELO %s ↔ PTR %s ✓", ip, helo, helo)}
	case info.Temporary():
		return temporaryVerdict(info, "the PTR")
	case !info.HasPTR():
		return verdict{status: scoring.Pass, title: fmt.Sprintf("HELO %s resolves to %s", helo, ip),
			line: fmt.Sprintf("%s: HELO %s resolves to it; no PTR to compare with (see rdns.ptr)", ip, helo)}
	}
	ptr := info.Names[0]
	if c := info.Confirmed(); len(c) > 0 {
		ptr = c[0]
	}
	if inDomain(helo, ev.Domain) && inDomain(ptr, ev.Domain) && len(info.Confirmed()) > 0 {
		return verdict{status: scoring.Pass, title: fmt.Sprintf("HELO %s resolves to %s", helo, ip),
			line: fmt.Sprintf("%s: HELO %s and PTR %s differ, but both are yours and point to the IP; using %s as HELO would be tidiest", ip, helo, ptr, ptr)}
	}
	v := verdict{status: scoring.Warn,
		title: fmt.Sprintf("HELO %s differs from the PTR name %s of %s", helo, ptr, ip),
		line:  fmt.Sprintf("%s: HELO %s resolves to it, but its PTR says %s; receivers (and Spamhaus's advice) want the two to agree", ip, helo, ptr)}
	if inDomain(ptr, ev.Domain) && len(info.Confirmed()) > 0 {
		v.heloName = ptr
		v.advice = fmt.Sprintf("Set the HELO name to %s.", ptr)
	} else {
		v.records = []scoring.DNSRecord{ptrRecord(info, helo)}
		v.advice = fmt.Sprintf("Ask the owner of %s (your hosting provider) to set its PTR to %s.", ip, helo)
	}
	return v
}

func joinAddrs(as []netip.Addr) string {
	var s []string
	for _, a := range as {
		s = append(s, a.String())
	}
	return strings.Join(s, ", ")
}

// addressLiteral grades "EHLO [203.0.113.5]": legal (RFC 5321 §4.1.3) when
// the host has no name, but receivers score it like a missing name.
func addressLiteral(id, helo string, ev scoring.Evidence, want string) scoring.Result {
	lit := strings.TrimPrefix(strings.TrimSuffix(strings.TrimPrefix(helo, "["), "]"), "ipv6:")
	ip, err := netip.ParseAddr(lit)
	fix := &scoring.Fix{Summary: fmt.Sprintf("Give the host a name and say EHLO %s.", want), Snippet: heloSnippet(want), Manual: heloManual}
	if err != nil || !slices.ContainsFunc(ev.IPs, func(a netip.Addr) bool { return a.Unmap() == ip.Unmap() }) {
		return scoring.Result{ID: id, Status: scoring.Fail, Title: "HELO " + helo + " is not the sending IP's address literal",
			Detail: "An address literal must be the client's own address (RFC 5321 §4.1.3).", Fix: fix}
	}
	return scoring.Result{ID: id, Status: scoring.Warn, Title: "HELO is an address literal, " + helo,
		Detail: "Allowed by RFC 5321 §4.1.3 for hosts without a name, but filters score it like a missing name.", Fix: fix}
}

// heloNotGiven reports, without a HELO to judge, the name the MTA should
// use: the IP's forward-confirmed PTR name.
func heloNotGiven(ctx context.Context, env *scoring.Env) scoring.Result {
	want, confirmed := suggestedName(env.Evidence), false
	for _, info := range lookupAll(ctx, env) {
		if c := info.Confirmed(); len(c) > 0 {
			want, confirmed = c[0], true
			break
		}
	}
	title := "HELO name not given; it should be " + want
	if !confirmed { // a suggestion, not what the PTR says
		title = "HELO name not given; no forward-confirmed PTR names one yet (" + want + " would do)"
	}
	return scoring.Result{ID: "rdns.helo", Status: scoring.Info,
		Title:  title,
		Detail: "Pass --helo with the name your MTA uses to check it. The right one is the sending IP's forward-confirmed PTR name.",
		Fix:    &scoring.Fix{Summary: "Make sure your MTA says EHLO " + want + ".", Snippet: heloSnippet(want), Manual: heloManual}}
}
