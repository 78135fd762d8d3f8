package rdns

import (
	"context"
	"fmt"
	"strings"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnsx"
)

// runFCrDNS checks forward-confirmed reverse DNS: some PTR name of each IP
// has an A/AAAA record holding that IP (the check Gmail, Microsoft and
// most receivers make at connect time).
func runFCrDNS(ctx context.Context, env *scoring.Env) scoring.Result {
	return judgeEachIP(ctx, env, "rdns.fcrdns", fcrdnsVerdict, "Every sending IP's PTR name resolves back to it (%d IPs)")
}

func fcrdnsVerdict(info *PTRInfo, ev scoring.Evidence, want string) verdict {
	ip := info.IP
	switch {
	case info.Outcome.Temporary() || info.Outcome == dnsx.Failure:
		return temporaryVerdict(info, "the PTR")
	case !info.HasPTR():
		return noPTRVerdict(info, want, fmt.Sprintf("%s has no PTR, so nothing to confirm", ip),
			fmt.Sprintf("%s: no PTR (%s), see rdns.ptr.%s", ip, info.Outcome, sixNote(ip)))
	}
	var fw []string
	for _, f := range info.Forward {
		fw = append(fw, describeForward(f, info))
	}
	line := fmt.Sprintf("%s → %s", ip, strings.Join(fw, "; "))
	if confirmed := info.Confirmed(); len(confirmed) > 0 {
		return verdict{status: scoring.Pass, line: line,
			title: fmt.Sprintf("%s ↔ %s is forward-confirmed", ip, confirmed[0])}
	}
	if info.Temporary() {
		v := temporaryVerdict(info, "the PTR name's address")
		v.line = line
		return v
	}
	name := info.Names[0]
	v := verdict{status: scoring.Fail, line: line + "." + sixNote(ip),
		title: fmt.Sprintf("PTR name %s does not resolve back to %s", name, ip)}
	if inDomain(name, ev.Domain) {
		// The name is the user's own: one record in their zone fixes it.
		v.records = []scoring.DNSRecord{addrRecord(name, ip)}
		v.advice = fmt.Sprintf("Publish %s %s %s in your zone (keep any other addresses the name has).", name, addrRecord(name, ip).Type, ip)
		return v
	}
	// Someone else's name (the provider's default): change the PTR to a
	// name of the user's own and give that name the address.
	v.records = []scoring.DNSRecord{ptrRecord(info, want), addrRecord(want, ip)}
	v.advice = askHoster(ip, want)
	return v
}

func describeForward(f Forward, info *PTRInfo) string {
	switch {
	case f.Confirmed:
		return f.Name + " → " + info.IP.String() + " ✓"
	case len(f.Addrs) > 0:
		var as []string
		for _, a := range f.Addrs {
			as = append(as, a.String())
		}
		return fmt.Sprintf("%s → %s (not %s)", f.Name, strings.Join(as, ", "), info.IP)
	}
	return fmt.Sprintf("%s → %s", f.Name, f.Outcome)
}
