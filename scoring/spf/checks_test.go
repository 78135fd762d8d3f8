package spf

import (
	"context"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnstest"
)

// providerZone is the third-party part of the world: a mail provider, and
// big senders whose include trees cost several lookups each.
const providerZone = `
_spf.mailer.example.net.   TXT "v=spf1 ip4:198.51.100.0/24 -all"
_spf.big.example.          TXT "v=spf1 include:_netblocks1.big.example include:_netblocks2.big.example include:_netblocks3.big.example ~all"
_netblocks1.big.example.   TXT "v=spf1 ip4:192.0.2.0/26 ~all"
_netblocks2.big.example.   TXT "v=spf1 ip4:192.0.2.64/26 ~all"
_netblocks3.big.example.   TXT "v=spf1 ip4:192.0.2.128/26 ~all"
spf.protection.example.    TXT "v=spf1 include:spfa.protection.example include:spfb.protection.example -all"
spfa.protection.example.   TXT "v=spf1 ip4:198.18.0.0/24 -all"
spfb.protection.example.   TXT "v=spf1 ip4:198.18.1.0/24 -all"
servers.mcsv.example.      TXT "v=spf1 ip4:198.18.2.0/24 -all"
_spf.extra.example.        TXT "v=spf1 ip4:198.18.9.0/24 -all"
mail.example.com.          A    203.0.113.5
mail.example.com.          AAAA 2001:db8::5
example.com.               MX   10 mail.example.com.
example.com.               A    203.0.113.80
`

var evidence = scoring.Evidence{
	Domain: "example.com",
	IPs:    []netip.Addr{ip4, ip6},
	HELO:   "mail.example.com",
}

func runChecks(t *testing.T, zone string, ev scoring.Evidence) map[string]scoring.Result {
	t.Helper()
	w := newWorld(t, providerZone+zone)
	out := map[string]scoring.Result{}
	for _, r := range scoring.RunAll(context.Background(), &scoring.Env{DNS: w.r, Evidence: ev}, Checks()) {
		out[r.ID] = r
	}
	return out
}

// fixValue is the one TXT value of a fix at name.
func fixValue(t *testing.T, r scoring.Result, name string) string {
	t.Helper()
	if r.Fix == nil {
		t.Fatalf("%s: no fix (%s: %s)", r.ID, r.Title, r.Detail)
	}
	for _, rec := range r.Fix.Records {
		if rec.Name == name && rec.Type == "TXT" {
			if strings.Join(rec.Strings, "") != rec.Value {
				t.Errorf("%s: strings %q do not join to %q", r.ID, rec.Strings, rec.Value)
			}
			return rec.Value
		}
	}
	t.Fatalf("%s: fix has no TXT record at %s: %+v", r.ID, name, r.Fix)
	return ""
}

func TestChecksEndToEnd(t *testing.T) {
	tests := []struct {
		name string
		zone string
		want map[string]scoring.Status
		// fixes: check id → substrings the fix record at example.com must hold.
		fixes map[string][]string
		// exact: check id → the exact fix record value.
		exact map[string]string
	}{
		{
			name: "good setup",
			zone: `example.com. TXT "v=spf1 ip4:203.0.113.5 ip6:2001:db8::5 include:_spf.mailer.example.net -all"`,
			want: map[string]scoring.Status{CheckRecord: scoring.Pass, CheckLookups: scoring.Pass, CheckAll: scoring.Pass, CheckResult: scoring.Pass},
		},
		{
			name: "missing record",
			zone: ``,
			want: map[string]scoring.Status{CheckRecord: scoring.Fail, CheckLookups: scoring.Skip, CheckAll: scoring.Skip, CheckResult: scoring.Fail},
			exact: map[string]string{
				CheckRecord: "v=spf1 ip4:203.0.113.5 ip6:2001:db8::5 -all",
				CheckResult: "v=spf1 ip4:203.0.113.5 ip6:2001:db8::5 -all",
			},
		},
		{
			name: "two records",
			zone: `example.com. TXT "v=spf1 include:_spf.mailer.example.net ~all"
example.com. TXT "v=spf1 ip4:198.51.100.9 -all"`,
			want: map[string]scoring.Status{CheckRecord: scoring.Fail, CheckLookups: scoring.Skip, CheckAll: scoring.Skip, CheckResult: scoring.Fail},
			exact: map[string]string{
				CheckRecord: "v=spf1 ip4:203.0.113.5 ip6:2001:db8::5 include:_spf.mailer.example.net ip4:198.51.100.9 ~all",
				CheckResult: "v=spf1 ip4:203.0.113.5 ip6:2001:db8::5 include:_spf.mailer.example.net ip4:198.51.100.9 ~all",
			},
		},
		{
			name:  "+all",
			zone:  `example.com. TXT "v=spf1 mx +all"`,
			want:  map[string]scoring.Status{CheckRecord: scoring.Pass, CheckLookups: scoring.Pass, CheckAll: scoring.Fail, CheckResult: scoring.Pass},
			exact: map[string]string{CheckAll: "v=spf1 ip4:203.0.113.5 ip6:2001:db8::5 mx -all"},
		},
		{
			name: "11 lookups",
			zone: `example.com. TXT "v=spf1 a include:_spf.big.example include:spf.protection.example include:servers.mcsv.example include:_spf.mailer.example.net include:_spf.extra.example ~all"`,
			want: map[string]scoring.Status{CheckRecord: scoring.Pass, CheckLookups: scoring.Fail, CheckAll: scoring.Pass, CheckResult: scoring.Fail},
			exact: map[string]string{
				// Flattened: a and every include resolved to their addresses
				// (0 lookups), the sending IPs first; the same fix for the
				// permerror spf.result sees.
				CheckLookups: "v=spf1 ip4:203.0.113.5 ip6:2001:db8::5 ip4:203.0.113.80 ip4:192.0.2.0/26 ip4:192.0.2.64/26 ip4:192.0.2.128/26 ip4:198.18.0.0/24 ip4:198.18.1.0/24 ip4:198.18.2.0/24 ip4:198.51.100.0/24 ip4:198.18.9.0/24 ~all",
				CheckResult:  "v=spf1 ip4:203.0.113.5 ip6:2001:db8::5 ip4:203.0.113.80 ip4:192.0.2.0/26 ip4:192.0.2.64/26 ip4:192.0.2.128/26 ip4:198.18.0.0/24 ip4:198.18.1.0/24 ip4:198.18.2.0/24 ip4:198.51.100.0/24 ip4:198.18.9.0/24 ~all",
			},
		},
		{
			name: "sending IP missing from a record with an include",
			zone: `example.com. TXT "v=spf1 include:_spf.mailer.example.net ~all"`,
			want: map[string]scoring.Status{CheckRecord: scoring.Pass, CheckLookups: scoring.Pass, CheckAll: scoring.Pass, CheckResult: scoring.Fail},
			exact: map[string]string{
				CheckResult: "v=spf1 ip4:203.0.113.5 ip6:2001:db8::5 include:_spf.mailer.example.net ~all",
			},
		},
		{
			name:  "?all",
			zone:  `example.com. TXT "v=spf1 ip4:203.0.113.5 ip6:2001:db8::5 ?all"`,
			want:  map[string]scoring.Status{CheckRecord: scoring.Pass, CheckAll: scoring.Warn, CheckResult: scoring.Pass},
			exact: map[string]string{CheckAll: "v=spf1 ip4:203.0.113.5 ip6:2001:db8::5 -all"},
		},
		{
			name:  "no all and no redirect",
			zone:  `example.com. TXT "v=spf1 ip4:203.0.113.5 ip6:2001:db8::5"`,
			want:  map[string]scoring.Status{CheckRecord: scoring.Pass, CheckAll: scoring.Warn, CheckResult: scoring.Pass},
			exact: map[string]string{CheckAll: "v=spf1 ip4:203.0.113.5 ip6:2001:db8::5 -all"},
		},
		{
			name: "all found through redirect",
			zone: `example.com. TXT "v=spf1 redirect=_spf.example.com"
_spf.example.com. TXT "v=spf1 ip4:203.0.113.5 ip6:2001:db8::5 -all"`,
			want: map[string]scoring.Status{CheckRecord: scoring.Pass, CheckLookups: scoring.Pass, CheckAll: scoring.Pass, CheckResult: scoring.Pass},
		},
		{
			name: "strings split without a space",
			zone: `example.com. TXT "v=spf1 ip4:203.0.113.5" "ip6:2001:db8::5 -all"`,
			want: map[string]scoring.Status{CheckRecord: scoring.Fail, CheckResult: scoring.Fail},
			exact: map[string]string{
				CheckRecord: "v=spf1 ip4:203.0.113.5 ip6:2001:db8::5 -all",
			},
		},
		{
			name:  "ptr is discouraged",
			zone:  `example.com. TXT "v=spf1 ip4:203.0.113.5 ip6:2001:db8::5 ptr -all"`,
			want:  map[string]scoring.Status{CheckLookups: scoring.Warn, CheckResult: scoring.Pass},
			exact: map[string]string{CheckLookups: "v=spf1 ip4:203.0.113.5 ip6:2001:db8::5 -all"},
		},
		{
			name: "9 lookups is close to the limit",
			zone: `example.com. TXT "v=spf1 ip4:203.0.113.5 ip6:2001:db8::5 include:_spf.big.example include:spf.protection.example include:servers.mcsv.example include:_spf.mailer.example.net -all"`,
			want: map[string]scoring.Status{CheckLookups: scoring.Warn, CheckResult: scoring.Pass},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := runChecks(t, tc.zone, evidence)
			for id, want := range tc.want {
				r := got[id]
				if r.Status != want {
					t.Errorf("%s: %s %q, want %s\n%s", id, r.Status, r.Title, want, r.Detail)
				}
				if (r.Status == scoring.Fail || r.Status == scoring.Warn) && r.Fix == nil {
					t.Errorf("%s: %s without a fix", id, r.Status)
				}
			}
			for id, value := range tc.exact {
				if got := fixValue(t, got[id], "example.com"); got != value {
					t.Errorf("%s fix:\n got %q\nwant %q", id, got, value)
				}
				// Whatever we suggest must itself be a valid record.
				if _, err := Parse(value); err != nil {
					t.Errorf("%s: suggested record does not parse: %v", id, err)
				}
			}
			// Every fix for the user's own domain names the user's IP.
			for id, r := range got {
				if r.Status != scoring.Fail || r.Fix == nil {
					continue
				}
				for _, rec := range r.Fix.Records {
					if rec.Name == "example.com" && !strings.Contains(rec.Value, "ip4:203.0.113.5") {
						t.Errorf("%s: fix %q does not authorise 203.0.113.5", id, rec.Value)
					}
				}
			}
		})
	}
}

// TestResultDetailListsEachIP: spf.result says what happened per IP and
// per identity.
func TestResultDetailListsEachIP(t *testing.T) {
	got := runChecks(t, `example.com. TXT "v=spf1 ip4:203.0.113.5 -all"
mail.example.com. TXT "v=spf1 a -all"`, evidence)
	r := got[CheckResult]
	if r.Status != scoring.Fail || !strings.Contains(r.Title, "2001:db8::5") || strings.Contains(r.Title, "203.0.113.5") {
		t.Errorf("%s %q", r.Status, r.Title)
	}
	for _, want := range []string{"203.0.113.5 MAIL FROM postmaster@example.com: pass", "2001:db8::5 MAIL FROM postmaster@example.com: fail",
		"2001:db8::5 HELO mail.example.com: pass"} {
		if !strings.Contains(r.Detail, want) {
			t.Errorf("detail lacks %q:\n%s", want, r.Detail)
		}
	}
	if v := fixValue(t, r, "example.com"); v != "v=spf1 ip6:2001:db8::5 ip4:203.0.113.5 -all" {
		t.Errorf("fix %q", v)
	}
	if len(r.Queries) == 0 {
		t.Error("no queries recorded for the UI")
	}
}

// TestHELOFailureWarns: MAIL FROM passes, but the HELO name's own record
// does not list the IP.
func TestHELOFailureWarns(t *testing.T) {
	got := runChecks(t, `example.com. TXT "v=spf1 ip4:203.0.113.5 ip6:2001:db8::5 -all"
mail.example.com. TXT "v=spf1 ip4:203.0.113.5 -all"`, evidence)
	r := got[CheckResult]
	if r.Status != scoring.Warn {
		t.Fatalf("%s %q\n%s", r.Status, r.Title, r.Detail)
	}
	if v := fixValue(t, r, "mail.example.com"); v != "v=spf1 ip6:2001:db8::5 ip4:203.0.113.5 -all" {
		t.Errorf("fix %q", v)
	}
}

// TestEvaluationJSON pins the CLI contract of `mailcred spf --format json`.
func TestEvaluationJSON(t *testing.T) {
	w := newWorld(t, providerZone+`example.com. TXT "v=spf1 include:_spf.mailer.example.net -all"`)
	ev := Evaluate(context.Background(), w.r, netip.MustParseAddr("198.51.100.7"), "someone@example.com", "mail.example.com")
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m["result"] != "pass" || m["lookups"] != 1.0 || m["void_lookups"] != 0.0 || m["explanation"] == "" {
		t.Errorf("json %s", b)
	}
	tree, _ := m["tree"].(map[string]any)
	if tree["domain"] != "example.com" || tree["total_lookups"] != 1.0 {
		t.Errorf("tree %v", tree)
	}
}

// TestHELOTemperrorIsNotAPass: MAIL FROM passes, but the HELO name's
// lookup SERVFAILs or times out. The HELO result could have been a warning,
// so spf.result could not be fully checked: error (the score incomplete),
// never pass.
func TestHELOTemperrorIsNotAPass(t *testing.T) {
	for _, f := range []dnstest.Fault{dnstest.ServFail, dnstest.Timeout} {
		w := newFaultWorld(t, providerZone+`example.com. TXT "v=spf1 ip4:203.0.113.5 ip6:2001:db8::5 -all"`)
		w.srv.SetFault("mail.example.com", f)
		var r scoring.Result
		for _, res := range scoring.RunAll(context.Background(), &scoring.Env{DNS: w.r, Evidence: evidence}, Checks()) {
			if res.ID == CheckResult {
				r = res
			}
		}
		if r.Status != scoring.Error {
			t.Errorf("fault %d: %s %q\n%s", f, r.Status, r.Title, r.Detail)
		}
		if !strings.Contains(r.Title, "HELO") || !strings.Contains(r.Detail, "HELO mail.example.com: temperror") {
			t.Errorf("fault %d: the title and detail should name the HELO temperror: %q\n%s", f, r.Title, r.Detail)
		}
	}
}

// TestMailFromOnNoRealDomain: MAIL FROM root@vm (a host's bare name, as
// an MTA without a qualify domain sends) gives none without a lookup (RFC
// 7208 §4.3), whatever happens to the HELO name's lookup. None is not a
// pass, and it is certain: a HELO temperror cannot change it. The fix is a
// MAIL FROM on a real domain, not a record at "vm", which nobody can
// publish.
func TestMailFromOnNoRealDomain(t *testing.T) {
	w := newFaultWorld(t, providerZone)
	w.srv.SetFault("mail.example.com", dnstest.ServFail)
	ev := scoring.Evidence{Domain: "example.com", MailFrom: "root@vm", IPs: []netip.Addr{ip4}, HELO: "mail.example.com"}
	var r scoring.Result
	for _, res := range scoring.RunAll(context.Background(), &scoring.Env{DNS: w.r, Evidence: ev}, Checks()) {
		if res.ID == CheckResult {
			r = res
		}
	}
	if r.Status != scoring.Fail {
		t.Fatalf("%s %q\n%s", r.Status, r.Title, r.Detail)
	}
	if !strings.Contains(r.Detail, "MAIL FROM root@vm: none") || !strings.Contains(r.Title, "root@vm") {
		t.Errorf("title %q detail:\n%s", r.Title, r.Detail)
	}
	if r.Fix == nil || strings.Contains(r.Fix.Summary, "Publish") {
		t.Fatalf("fix %+v", r.Fix)
	}
	for _, rec := range r.Fix.Records {
		if rec.Name == "vm" {
			t.Errorf("a record at a single-label name is offered: %+v", rec)
		}
	}
}
