package spf

import (
	"context"
	"net/netip"
	"testing"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnstest"
)

const faultZone = `
$ORIGIN example.com.
@        TXT "v=spf1 ip4:203.0.113.5 -all"
inc      TXT "v=spf1 include:broken.example.com -all"
broken   TXT "v=spf1 -all"
amech    TXT "v=spf1 a:broken.example.com -all"
mxhost   TXT "v=spf1 mx -all"
mxhost   MX  10 broken.example.com.
exists   TXT "v=spf1 exists:broken.example.com -all"
helo     TXT "v=spf1 a -all"
helo     A   203.0.113.5
`

var faults = []struct {
	name  string
	fault dnstest.Fault
}{
	{"timeout", dnstest.Timeout},
	{"SERVFAIL", dnstest.ServFail},
	{"REFUSED", dnstest.Refused},
}

// TestTransientErrorsAreTempError: a DNS failure anywhere check_host()
// needs an answer gives temperror, never fail (RFC 7208 §4.4, §5).
func TestTransientErrorsAreTempError(t *testing.T) {
	for _, f := range faults {
		for _, sender := range []string{"u@example.com", "u@inc.example.com", "u@amech.example.com", "u@mxhost.example.com", "u@exists.example.com"} {
			t.Run(f.name+" "+sender, func(t *testing.T) {
				t.Parallel()
				w := newFaultWorld(t, faultZone)
				target := "broken.example.com"
				if sender == "u@example.com" {
					target = "example.com"
				}
				w.srv.SetFault(target, f.fault)
				ev := Evaluate(context.Background(), w.r, netip.MustParseAddr("198.51.100.1"), sender, "helo.example.com")
				if ev.Result != TempError {
					t.Errorf("got %s (%s), want temperror\n%s", ev.Result, ev.Explanation, dumpTree(ev.Tree, ""))
				}
			})
		}
	}
}

// TestPTRErrorIsNoMatch: RFC 7208 §5.5 makes a DNS error in ptr a no-match,
// not a temperror.
func TestPTRErrorIsNoMatch(t *testing.T) {
	w := newFaultWorld(t, `ptr.example.com. TXT "v=spf1 ptr ~all"`)
	w.srv.SetFault("1.100.51.198.in-addr.arpa", dnstest.ServFail)
	ev := Evaluate(context.Background(), w.r, netip.MustParseAddr("198.51.100.1"), "u@ptr.example.com", "")
	if ev.Result != SoftFail {
		t.Errorf("got %s, want softfail", ev.Result)
	}
}

// TestCancelledIsTempError: running out of time is temperror (§4.6.4).
func TestCancelledIsTempError(t *testing.T) {
	w := newFaultWorld(t, faultZone)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if ev := Evaluate(ctx, w.r, ip4, "u@example.com", ""); ev.Result != TempError {
		t.Errorf("got %s, want temperror", ev.Result)
	}
}

// TestChecksReportDNSTroubleAsError: with the record's lookups failing,
// every SPF check says error (could not check), never fail.
func TestChecksReportDNSTroubleAsError(t *testing.T) {
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			w := newFaultWorld(t, faultZone)
			w.srv.SetFault("example.com", f.fault)
			env := &scoring.Env{DNS: w.r, Evidence: scoring.Evidence{
				Domain: "example.com", IPs: []netip.Addr{ip4, ip6}, HELO: "helo.example.com",
			}}
			for _, res := range scoring.RunAll(context.Background(), env, Checks()) {
				if res.Status != scoring.Error {
					t.Errorf("%s: %s %q (%s), want error", res.ID, res.Status, res.Title, res.Detail)
				}
				if res.Fix == nil || res.Fix.Summary == "" {
					t.Errorf("%s: error without advice", res.ID)
				}
			}
		})
	}
}
