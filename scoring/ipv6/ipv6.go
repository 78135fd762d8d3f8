// Package ipv6 checks whether a host that sends over IPv6 meets what Gmail
// and Microsoft demand of IPv6 senders: SPF passes for the v6 address and
// the address has a forward-confirmed PTR. A VPS with IPv6 switched on but
// no v6 PTR is refused by Gmail (550 5.7.1 "IPv6 sending guidelines").
package ipv6

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnsx"
	"github.com/mailcred/mailcred/scoring/rdns"
	"github.com/mailcred/mailcred/scoring/spf"
)

// Checks returns ipv6.ready.
func Checks() []scoring.Check {
	return []scoring.Check{{ID: "ipv6.ready", Title: "IPv6 sending readiness", Run: check}}
}

// disableSnippet is the way out when v6 cannot be fixed quickly: send over
// IPv4 only (what the story's developer did).
const disableSnippet = `# exim4 (Debian): add to /etc/exim4/exim4.conf.localmacros
# then: update-exim4.conf && systemctl restart exim4
disable_ipv6 = true
# postfix: in /etc/postfix/main.cf
inet_protocols = ipv4`

func check(ctx context.Context, env *scoring.Env) scoring.Result {
	ev := env.Evidence
	var v6 []netip.Addr
	for _, ip := range ev.IPs {
		if ip.Is6() && !ip.Is4In6() {
			v6 = append(v6, ip)
		}
	}
	if len(v6) == 0 {
		return scoring.Result{Status: scoring.Info, Title: "No IPv6 sending address given",
			Detail: "If this host has a global IPv6 address (ip -6 addr show scope global), your MTA will use it to " +
				"reach Gmail and Outlook, which refuse IPv6 senders without a PTR and SPF/DKIM. Add it with --ip to check it."}
	}
	sender := ev.MailFrom
	if sender == "" {
		sender = "postmaster@" + ev.Domain
	}
	type verdict struct {
		ip        netip.Addr
		spf       *spf.Evaluation
		ptr       *rdns.PTRInfo
		confirmed []string
	}
	verdicts := make([]verdict, len(v6))
	done := make(chan struct{})
	for i, ip := range v6 {
		go func() {
			defer func() { done <- struct{}{} }()
			ev := spf.Evaluate(ctx, env.DNS, ip, sender, ev.HELO)
			ptr := rdns.Lookup(ctx, env.DNS, ip)
			verdicts[i] = verdict{ip: ip, spf: ev, ptr: ptr, confirmed: ptr.Confirmed()}
		}()
	}
	for range v6 {
		<-done
	}

	var lines, missingSPF []string
	var missingPTR []netip.Addr
	temporary := false
	for _, v := range verdicts {
		spfOK := v.spf.Result == spf.Pass
		ptrOK := len(v.confirmed) > 0
		if v.spf.Result == spf.TempError || (!ptrOK && v.ptr.Temporary()) {
			temporary = true
		}
		line := fmt.Sprintf("%s: SPF %s", v.ip, v.spf.Result)
		if ptrOK {
			line += ", PTR " + strings.Join(v.confirmed, ", ") + " (forward-confirmed)"
		} else if v.ptr.HasPTR() {
			line += ", PTR " + strings.Join(v.ptr.Names, ", ") + " does not resolve back to it"
		} else {
			line += ", no PTR"
		}
		lines = append(lines, line)
		if !spfOK {
			missingSPF = append(missingSPF, "ip6:"+v.ip.String())
		}
		if !ptrOK {
			missingPTR = append(missingPTR, v.ip)
		}
	}
	detail := strings.Join(lines, "\n")
	switch {
	case len(missingSPF) == 0 && len(missingPTR) == 0:
		return scoring.Result{Status: scoring.Pass, Title: "IPv6 sending is authenticated and has forward-confirmed PTRs", Detail: detail}
	case temporary:
		return scoring.Result{Status: scoring.Error, Title: "Could not check IPv6 readiness (DNS failure)", Detail: detail}
	}
	fix := &scoring.Fix{Summary: "Give every IPv6 sending address a PTR that resolves back to it and cover it in SPF — " +
		"or stop sending over IPv6 until you can (Gmail: 550 5.7.1 IPv6 sending guidelines).", Snippet: disableSnippet,
		Link: "https://support.google.com/mail/answer/81126"}
	name := ev.HELO
	if name == "" {
		name = "mail." + ev.Domain
	}
	for _, ip := range missingPTR {
		fix.Records = append(fix.Records,
			scoring.DNSRecord{Name: strings.TrimSuffix(dnsx.ReverseName(ip), "."), Type: "PTR", Value: name + "."},
			scoring.DNSRecord{Name: name, Type: "AAAA", Value: ip.String()})
	}
	if len(missingSPF) > 0 {
		fix.Summary += " SPF needs: " + strings.Join(missingSPF, " ") + "; the record below lists them (see spf.result)."
		fix.Records = append(fix.Records, spf.Authorise(ctx, env.DNS, scoring.DomainOf(sender), ev.IPs)...)
	}
	if len(missingPTR) > 0 {
		fix.Manual = "PTR records are set by whoever owns the addresses: in your VPS provider's panel (reverse DNS), or by asking them."
	}
	bad := 0
	for _, v := range verdicts {
		if v.spf.Result != spf.Pass || len(v.confirmed) == 0 {
			bad++
		}
	}
	return scoring.Result{Status: scoring.Fail, Title: fmt.Sprintf("%d of %d IPv6 sending addresses would be refused by Gmail", bad, len(v6)),
		Detail: detail, Fix: fix}
}
