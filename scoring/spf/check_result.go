package spf

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnsx"
)

// runResult is spf.result: check_host() for each sending IP against the
// envelope sender and, separately, the HELO identity (RFC 7208 §2.3).
func runResult(ctx context.Context, env *scoring.Env) scoring.Result {
	ev := env.Evidence
	domain := policyDomain(ev)
	sender := envelopeSender(ev)
	res := scoring.Result{ID: CheckResult}
	var lines []string
	var bad, temp []netip.Addr
	var badResults []string
	permReason := ""
	var heloBad, heloTemp []netip.Addr
	var tempDetail, heloTempDetail string
	// noDomain is set when the MAIL FROM has no domain check_host() can
	// evaluate (RFC 7208 §4.3: none, with nothing asked): no record can be
	// published for it, so the fix is the envelope sender itself.
	var noDomain error
	checkHELO := ev.HELO != "" && !strings.EqualFold(strings.TrimSuffix(ev.HELO, "."), domain)
	// Every evaluation at once: they are independent, and each is a chain
	// of round trips (the answers they share are asked once).
	mailFrom := make([]*Evaluation, len(ev.IPs))
	helo := make([]*Evaluation, len(ev.IPs))
	var wg sync.WaitGroup
	for i, ip := range ev.IPs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mailFrom[i] = Evaluate(ctx, env.DNS, ip, sender, ev.HELO)
		}()
		if checkHELO {
			wg.Add(1)
			go func() {
				defer wg.Done()
				helo[i] = Evaluate(ctx, env.DNS, ip, "", ev.HELO)
			}()
		}
	}
	wg.Wait()
	for i, ip := range ev.IPs {
		e := mailFrom[i]
		lines = append(lines, fmt.Sprintf("%s MAIL FROM %s: %s — %s (%d lookups)", ip, sender, e.Result, e.Explanation, e.Lookups))
		switch e.Result {
		case Pass:
		case TempError:
			temp = append(temp, ip)
			tempDetail = e.Explanation
		case PermError:
			permReason = e.Explanation
			bad = append(bad, ip)
			badResults = append(badResults, fmt.Sprintf("%s: %s", ip, e.Result))
		default:
			bad = append(bad, ip)
			badResults = append(badResults, fmt.Sprintf("%s: %s", ip, e.Result))
			if e.Result == None {
				if _, err := checkDomain(e.Domain); err != nil {
					noDomain = err
				}
			}
		}
		if checkHELO {
			h := helo[i]
			lines = append(lines, fmt.Sprintf("%s HELO %s: %s — %s", ip, ev.HELO, h.Result, h.Explanation))
			switch h.Result {
			case Fail, SoftFail, PermError:
				heloBad = append(heloBad, ip)
			case TempError:
				heloTemp = append(heloTemp, ip)
				heloTempDetail = h.Explanation
			}
		}
	}
	res.Detail = strings.Join(lines, "\n")
	switch {
	case permReason != "":
		// The record is broken for every IP, not the IPs unauthorised: say
		// so, and fix the record (flattened, when the limit is the cause).
		res.Status = scoring.Fail
		res.Title = "SPF record broken (permerror): " + titleReason(permReason)
		res.Detail = fmt.Sprintf("check_host() gives permerror: receivers treat it as a broken record, whatever the IP.\n%s", res.Detail)
		if a := Inspect(ctx, env.DNS, domain, ev.IPs[0], sender); a.Lookups > MaxLookups {
			res.Fix = lookupFix(ctx, env, domain, a)
		} else {
			res.Fix = &scoring.Fix{
				Summary: fmt.Sprintf("Publish this as the only SPF record at %s (replacing what is there): the broken terms left out, %s listed first.", domain, joinAddrs(ev.IPs)),
				Records: []scoring.DNSRecord{scoring.TXTRecord(domain, recordWithIPs(ctx, env.DNS, domain, ev.IPs))},
			}
		}
	case noDomain != nil:
		// Certain whatever the HELO name gives: SPF for MAIL FROM is none.
		res.Status = scoring.Fail
		res.Title = fmt.Sprintf("SPF cannot pass: MAIL FROM %s is not on a real domain (none)", sender)
		res.Detail = fmt.Sprintf("Not pass: %s.\n%s", strings.Join(badResults, ", "), res.Detail)
		res.Fix = senderFix(ev, sender, noDomain)
	case len(bad) > 0:
		res.Status = scoring.Fail
		res.Title = fmt.Sprintf("SPF record does not authorise %s (%s)", joinAddrs(bad), strings.Join(uniqueResults(badResults), ", "))
		res.Detail = fmt.Sprintf("Not pass: %s.\n%s", strings.Join(badResults, ", "), res.Detail)
		value := recordWithIPs(ctx, env.DNS, domain, bad)
		res.Fix = &scoring.Fix{
			Summary: fmt.Sprintf("Publish this as the only SPF record at %s (replacing what is there): it lists %s first and keeps your existing valid terms.", domain, joinAddrs(bad)),
			Records: []scoring.DNSRecord{scoring.TXTRecord(domain, value)},
		}
	case len(temp) > 0:
		r := dnsError(CheckResult, "SPF result", fmt.Sprintf("check_host() for %s gave temperror: %s.", joinAddrs(temp), tempDetail))
		r.Detail += "\n" + res.Detail
		return r
	case len(heloBad) > 0:
		res.Status = scoring.Warn
		res.Title = fmt.Sprintf("SPF passes for MAIL FROM, but the HELO name %s does not authorise %s", ev.HELO, joinAddrs(heloBad))
		res.Fix = &scoring.Fix{
			Summary: "Receivers may check the HELO name too (RFC 7208 §2.3); publish at it:",
			Records: []scoring.DNSRecord{scoring.TXTRecord(strings.TrimSuffix(ev.HELO, "."), recordWithIPs(ctx, env.DNS, ev.HELO, heloBad))},
		}
	case len(heloTemp) > 0:
		// MAIL FROM passes, but the HELO result could have been a warning:
		// not checked, not pass.
		r := dnsError(CheckResult, "SPF result", fmt.Sprintf("SPF passes for MAIL FROM %s, but check_host() for the HELO name %s gave temperror for %s: %s.",
			sender, ev.HELO, joinAddrs(heloTemp), heloTempDetail))
		r.Title = fmt.Sprintf("SPF passes for MAIL FROM; the HELO name %s could not be checked", strings.TrimSuffix(ev.HELO, "."))
		r.Detail += "\n" + res.Detail
		return r
	default:
		res.Status = scoring.Pass
		res.Title = fmt.Sprintf("SPF passes for %s", joinAddrs(ev.IPs))
	}
	if res.Status == scoring.Fail || res.Status == scoring.Warn {
		res.Detail += publishedLine(ctx, env, domain)
	}
	if len(heloBad) > 0 && res.Status == scoring.Fail && noDomain == nil {
		res.Fix.Records = append(res.Fix.Records, scoring.TXTRecord(strings.TrimSuffix(ev.HELO, "."), recordWithIPs(ctx, env.DNS, ev.HELO, heloBad)))
	}
	return res
}

// senderFix is the fix when the MAIL FROM is not on a domain check_host()
// can evaluate (a host's bare name such as root@vm, an address literal):
// send with an envelope sender on a domain you own.
func senderFix(ev scoring.Evidence, sender string, why error) *scoring.Fix {
	own := scoring.NormalDomain(ev.Domain)
	if _, err := checkDomain(own); err != nil {
		own = "example.com"
	}
	return &scoring.Fix{
		Summary: fmt.Sprintf("Send with a MAIL FROM (envelope sender) on a domain you own, such as %s, whose SPF record lists %s: %v. "+
			"An MTA that sends as user@hostname needs its mail name set.", own, joinAddrs(ev.IPs), why),
		Snippet: fmt.Sprintf("# Debian exim4 and postfix take the domain from /etc/mailname\necho %s > /etc/mailname\n"+
			"# exim4: then update-exim4.conf && systemctl restart exim4\n# postfix (myorigin = /etc/mailname): postfix reload\n"+
			"# a test client: swaks --from you@%s ...", own, own),
	}
}

// recordWithIPs is the domain's SPF record with ips added: the current
// single record (valid terms kept), or the merge of several, or a new one.
func recordWithIPs(ctx context.Context, r *dnsx.Resolver, domain string, ips []netip.Addr) string {
	f := fetch(ctx, r, domain)
	switch len(f.spf) {
	case 0:
		return NewRecord(ips)
	case 1:
		return AddIPs(repair(f.spf[0]), ips)
	}
	var texts []string
	for _, t := range f.spf {
		texts = append(texts, t.Joined())
	}
	merged, _ := MergeRecords(texts)
	return AddIPs(merged, ips)
}

// titleReason shortens a permerror explanation to the fact for a title:
// its first clause, without the RFC reference.
func titleReason(s string) string {
	s = strings.TrimPrefix(s, errLimit.Error()+": ")
	if i := strings.Index(s, " ("); i > 0 {
		s = s[:i]
	}
	if i := strings.Index(s, "; "); i > 0 {
		s = s[:i]
	}
	return s
}

func joinAddrs(ips []netip.Addr) string {
	s := make([]string, len(ips))
	for i, ip := range ips {
		s[i] = ip.String()
	}
	return strings.Join(s, ", ")
}

// publishedLine quotes the SPF records at domain as published, for the
// detail of a warning or failure.
func publishedLine(ctx context.Context, env *scoring.Env, domain string) string {
	f := fetch(ctx, env.DNS, domain)
	var b strings.Builder
	for _, r := range f.spf {
		fmt.Fprintf(&b, "\nPublished: %s TXT %q", domain, r.Joined())
	}
	return b.String()
}

// uniqueResults keeps the result names of "ip: result" lines, once each.
func uniqueResults(lines []string) []string {
	var out []string
	for _, l := range lines {
		_, r, _ := strings.Cut(l, ": ")
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}
