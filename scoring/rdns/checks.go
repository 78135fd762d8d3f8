package rdns

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnsx"
)

// Checks returns rdns.ptr, rdns.fcrdns and rdns.helo.
func Checks() []scoring.Check {
	hasIPs := func(ev scoring.Evidence) bool { return len(ev.IPs) > 0 }
	return []scoring.Check{
		{ID: "rdns.ptr", Title: "Reverse DNS (PTR) of the sending IPs", Applies: hasIPs, Run: runPTR},
		{ID: "rdns.fcrdns", Title: "PTR names resolve back to the IPs", Applies: hasIPs, Run: runFCrDNS},
		{ID: "rdns.helo", Title: "HELO name", Applies: func(ev scoring.Evidence) bool {
			return strings.TrimSpace(ev.HELO) != "" || len(ev.IPs) > 0
		}, Run: runHELO},
	}
}

// verdict is the finding for one IP; a check rolls them into one result.
type verdict struct {
	status  scoring.Status
	title   string
	line    string
	records []scoring.DNSRecord
	advice  string
	// heloName is the HELO name this IP's verdict proposes, if any.
	heloName string
}

// rollUp combines per-IP verdicts: the worst status and its title, a
// detail line per IP, and the fixes of every IP that needs one.
func rollUp(id string, vs []verdict, allGood string, extra ...string) scoring.Result {
	res := scoring.Result{ID: id, Status: scoring.Pass, Title: allGood}
	var lines, advice []string
	fix := &scoring.Fix{}
	for _, v := range vs {
		lines = append(lines, v.line)
		if v.status.Worse(res.Status) {
			res.Status, res.Title = v.status, v.title
		}
		if v.status == scoring.Pass || v.status == scoring.Info {
			continue
		}
		fix.Records = append(fix.Records, v.records...)
		if v.advice != "" && !slices.Contains(advice, v.advice) {
			advice = append(advice, v.advice)
		}
	}
	if res.Status == scoring.Pass && len(vs) == 1 {
		res.Title = vs[0].title
	}
	res.Detail = strings.Join(append(lines, extra...), "\n")
	if len(advice) > 0 || len(fix.Records) > 0 {
		fix.Summary = strings.Join(advice, "\n")
		fix.Records = dedupe(fix.Records)
		fix.Manual = manualFor(fix.Records)
		res.Fix = fix
	}
	return res
}

// manualFor says who publishes what a fix cannot publish itself: PTR
// records live in the address owner's reverse zone; a fix without records
// is a change to the MTA's configuration (its snippet).
func manualFor(recs []scoring.DNSRecord) string {
	if len(recs) == 0 {
		return heloManual
	}
	for _, r := range recs {
		if r.Type == "PTR" {
			return ptrManual
		}
	}
	return ""
}

// The places a fix is applied when not in the user's own zone.
const (
	ptrManual  = "PTR records are set by whoever owns the address: in your VPS provider's panel (reverse DNS), or by asking them; the A/AAAA records go in your own zone."
	heloManual = "The HELO name is set in the MTA's configuration (the snippet), not in DNS; then check again with --helo."
)

func dedupe(rs []scoring.DNSRecord) []scoring.DNSRecord {
	var out []scoring.DNSRecord
	seen := map[string]bool{}
	for _, r := range rs {
		k := r.Name + " " + r.Type + " " + r.Value
		if !seen[k] {
			seen[k] = true
			out = append(out, r)
		}
	}
	return out
}

// lookupAll runs Lookup for every sending IP, concurrently.
func lookupAll(ctx context.Context, env *scoring.Env) []*PTRInfo {
	out := make([]*PTRInfo, len(env.Evidence.IPs))
	done := make(chan struct{})
	for i, ip := range env.Evidence.IPs {
		go func() {
			out[i] = Lookup(ctx, env.DNS, ip)
			done <- struct{}{}
		}()
	}
	for range env.Evidence.IPs {
		<-done
	}
	return out
}

// suggestedName is the host name to give the sending IP: the HELO name when
// it is a proper FQDN, else mail.<domain>.
func suggestedName(ev scoring.Evidence) string {
	if h := scoring.NormalDomain(ev.HELO); h != "" && heloSyntaxProblem(h) == "" && receiverName(h, ev.Domain) == "" {
		return h
	}
	if d := scoring.NormalDomain(ev.Domain); d != "" && (heloSyntaxProblem("mail."+d) == "" || privateSuffix(d) == privateSuffix(scoring.NormalDomain(ev.HELO))) {
		return "mail." + d
	}
	return "mail.your-domain.example"
}

// inDomain reports whether name is domain or below it.
func inDomain(name, domain string) bool {
	domain = scoring.NormalDomain(domain)
	return domain != "" && (name == domain || strings.HasSuffix(name, "."+domain))
}

// ptrRecord is the PTR the IP's owner must publish.
func ptrRecord(info *PTRInfo, name string) scoring.DNSRecord {
	return scoring.DNSRecord{Name: info.ReverseName, Type: "PTR", Value: name + "."}
}

// addrRecord is the A or AAAA record that forward-confirms name for ip.
func addrRecord(name string, ip netip.Addr) scoring.DNSRecord {
	t := "A"
	if ip.Is6() {
		t = "AAAA"
	}
	return scoring.DNSRecord{Name: name, Type: t, Value: ip.String()}
}

// askHoster is the advice for a PTR change: only the owner of the address
// block can publish it.
func askHoster(ip netip.Addr, name string) string {
	return fmt.Sprintf("Ask whoever owns %s (your VPS or hosting provider: the \"reverse DNS\"/\"PTR\" field of its control panel, "+
		"or a support ticket) to set its PTR to %s — it lives in their reverse zone, not yours — and publish %s %s %s in your zone "+
		"so it is forward-confirmed.", ip, name, name, addrRecord(name, ip).Type, ip)
}

// temporaryVerdict reports an IP whose lookups could not complete.
func temporaryVerdict(info *PTRInfo, what string) verdict {
	out := info.Outcome
	if !out.Temporary() {
		for _, f := range info.Forward {
			if f.Outcome.Temporary() {
				out = f.Outcome
			}
		}
	}
	return verdict{status: scoring.Error,
		title: fmt.Sprintf("Could not look up %s of %s (%s)", what, info.IP, out),
		line:  fmt.Sprintf("%s: the lookup of %s failed (%s); this says nothing about the record, check again later", info.IP, what, out)}
}

// sixNote is the extra weight IPv6 carries: the big receivers refuse IPv6
// mail without a forward-confirmed PTR.
func sixNote(ip netip.Addr) string {
	if ip.Is6() {
		return " Over IPv6 this is a hard requirement: Gmail answers 550 5.7.1 (IPv6 sending guidelines) and Microsoft 5.7.25; " +
			"if you cannot get it, send over IPv4 only."
	}
	return " Gmail answers 421 4.7.0 / 550 5.7.25 without it; GMX refuses at the greeting (554 Bad DNS PTR resource record)."
}

// judgeEachIP looks up the reverse DNS of every sending IP, judges each
// with judge (given the evidence and the name to propose, suggestedName)
// and rolls the verdicts up as check id. allGood is the title when every
// IP passes, a format taking the number of IPs.
func judgeEachIP(ctx context.Context, env *scoring.Env, id string, judge func(*PTRInfo, scoring.Evidence, string) verdict, allGood string) scoring.Result {
	ev := env.Evidence
	want := suggestedName(ev)
	var vs []verdict
	for _, info := range lookupAll(ctx, env) {
		vs = append(vs, judge(info, ev, want))
	}
	return rollUp(id, vs, fmt.Sprintf(allGood, len(vs)))
}

// noPTRVerdict fails an IP without a PTR, with the one fix there is: the
// address's owner publishes the PTR want, and want gets the address.
func noPTRVerdict(info *PTRInfo, want, title, line string) verdict {
	return verdict{status: scoring.Fail, title: title, line: line,
		records: []scoring.DNSRecord{ptrRecord(info, want), addrRecord(want, info.IP)},
		advice:  askHoster(info.IP, want)}
}

// runPTR checks that every sending IP has a PTR: exactly one, and not a
// provider's generic name.
func runPTR(ctx context.Context, env *scoring.Env) scoring.Result {
	return judgeEachIP(ctx, env, "rdns.ptr", ptrVerdict, "Every sending IP has a PTR (%d IPs)")
}

func ptrVerdict(info *PTRInfo, ev scoring.Evidence, want string) verdict {
	ip := info.IP
	switch {
	case info.Outcome.Temporary() || info.Outcome == dnsx.Failure:
		return temporaryVerdict(info, "the PTR")
	case !info.HasPTR():
		return noPTRVerdict(info, want, fmt.Sprintf("%s has no PTR record", ip),
			fmt.Sprintf("%s: PTR %s: %s.%s", ip, info.ReverseName, info.Outcome, sixNote(ip)))
	}
	v := verdict{status: scoring.Pass, title: fmt.Sprintf("%s has a PTR: %s", ip, strings.Join(info.Names, ", "))}
	var notes []string
	if len(info.Names) > 1 {
		v.status = scoring.Warn
		v.title = fmt.Sprintf("%s has %d PTR records", ip, len(info.Names))
		notes = append(notes, "several PTRs: receivers may check any one of them, so keep exactly one")
		keep := want
		if c := info.Confirmed(); len(c) > 0 {
			keep = c[0]
		}
		v.records = []scoring.DNSRecord{ptrRecord(info, keep)}
		v.advice = fmt.Sprintf("Ask the owner of %s to keep only one PTR: %s.", ip, keep)
	}
	for _, n := range info.Names {
		if why := LooksGeneric(n, ip); why != "" {
			v.status = scoring.Warn
			v.title = fmt.Sprintf("%s has a generic PTR name: %s", ip, n)
			notes = append(notes, fmt.Sprintf("%s looks like a provider default: %s; receivers treat such names like dynamic addresses (SpamAssassin RDNS_DYNAMIC, SpamRATS RATS-Dyna)", n, why))
			v.records = []scoring.DNSRecord{ptrRecord(info, want), addrRecord(want, ip)}
			v.advice = askHoster(ip, want)
		} else if !inDomain(n, ev.Domain) && ev.Domain != "" {
			notes = append(notes, fmt.Sprintf("%s is not in %s; a name in your own domain builds your own reputation", n, scoring.NormalDomain(ev.Domain)))
		}
	}
	v.line = fmt.Sprintf("%s: PTR %s → %s", ip, info.ReverseName, strings.Join(info.Names, ", "))
	for _, n := range notes {
		v.line += "\n  " + n
	}
	return v
}
