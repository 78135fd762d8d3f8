package spf

import (
	"context"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnstest"
	"github.com/mailcred/mailcred/scoring/dnsx"
)

func cornerEnv(t *testing.T, zone string, ips ...string) (*scoring.Env, *dnstest.Server) {
	t.Helper()
	srv, err := dnstest.Start(zone)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	r, err := dnsx.New(dnsx.Config{Servers: []string{srv.Addr}, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ev := scoring.Evidence{Domain: "example.com"}
	for _, ip := range ips {
		ev.IPs = append(ev.IPs, netip.MustParseAddr(ip))
	}
	return &scoring.Env{Evidence: ev, DNS: r}, srv
}

func runOne(t *testing.T, env *scoring.Env, id string) scoring.Result {
	t.Helper()
	for _, c := range Checks() {
		if c.ID == id {
			r := scoring.RunAll(context.Background(), env, []scoring.Check{c})[0]
			t.Logf("%s: %s — %s\n%s", r.ID, r.Status, r.Title, r.Detail)
			if r.Fix != nil {
				t.Logf("fix: %s", r.Fix.Summary)
				for _, rec := range r.Fix.Records {
					t.Logf("  %s", rec.ZoneLine())
				}
			}
			return r
		}
	}
	t.Fatalf("no check %s", id)
	return scoring.Result{}
}

// RFC 7208 §5.2: "include ... if the result is pass, the include
// matches"; an included record ending in +all passes every IP, so the
// including record's -all is never reached (§5.1: all matches only what
// nothing before it did).
func TestMinusAllReachingPlusAllPassesEveryIP(t *testing.T) {
	env, _ := cornerEnv(t, `example.com. TXT "v=spf1 include:_spf.lax.example -all"
_spf.lax.example. TXT "v=spf1 include:_inner.lax.example ~all"
_inner.lax.example. TXT "v=spf1 ip4:198.51.100.0/24 +all"`, "203.0.113.5")
	r := runOne(t, env, CheckAll)
	if r.Status != scoring.Fail || !strings.Contains(r.Title, "passes every IP") || strings.Contains(r.Title, "other IPs fail") {
		t.Fatalf("%s %q", r.Status, r.Title)
	}
	if !strings.Contains(r.Detail, "RFC 7208 §5.2") || !strings.Contains(r.Detail, "_inner.lax.example: +all") {
		t.Errorf("detail: %s", r.Detail)
	}
	if r.Fix == nil || len(r.Fix.Records) != 1 || r.Fix.Records[0].Value != "v=spf1 ip4:203.0.113.5 -all" {
		t.Fatalf("fix %+v", r.Fix)
	}
	// Proof by evaluation: an address nobody listed passes.
	if e := Evaluate(context.Background(), env.DNS, netip.MustParseAddr("192.0.2.200"), "x@example.com", ""); e.Result != Pass {
		t.Fatalf("unlisted IP: %s", e.Result)
	}
}

// RFC 7208 §4.6.4 (10 lookups) — the fix is a flattening that stays under
// the limit, keeps macro-using includes (§7), splits into records that fit
// a 512-byte answer (§3.4) in strings of at most 255 bytes (§3.3) and passes every sending IP.
func TestFlattenKeepsMacrosSplitsAndPassesEverySendingIP(t *testing.T) {
	var zone strings.Builder
	zone.WriteString(`example.com. TXT "v=spf1 include:%{i}._ip.macro.example`)
	for v := 1; v <= 11; v++ {
		zone.WriteString(" include:_spf.v" + strconv.Itoa(v) + ".example")
	}
	zone.WriteString(` -all"` + "\n")
	zone.WriteString(`*._ip.macro.example. TXT "v=spf1 -all"` + "\n")
	for v := 1; v <= 11; v++ {
		zone.WriteString("_spf.v" + strconv.Itoa(v) + ".example. TXT \"v=spf1")
		for b := 0; b < 4; b++ {
			zone.WriteString(" ip4:10." + strconv.Itoa(v) + "." + strconv.Itoa(b) + ".0/24 ip6:2001:db8:" + strconv.Itoa(v) + ":" + strconv.Itoa(b) + "::/64")
		}
		zone.WriteString(" ~all\"\n")
	}
	env, srv := cornerEnv(t, zone.String(), "203.0.113.5", "2001:db8:ffff::5")
	r := runOne(t, env, CheckLookups)
	if r.Status != scoring.Fail || r.Fix == nil || len(r.Fix.Records) < 2 {
		t.Fatalf("%s %+v", r.Status, r.Fix)
	}
	top := r.Fix.Records[0]
	if top.Name != "example.com" || !strings.Contains(top.Value, "include:%{i}._ip.macro.example") || !strings.Contains(top.Value, "include:_spf1.example.com") {
		t.Fatalf("top record %q", top.Value)
	}
	for _, rec := range r.Fix.Records {
		if len(rec.Value) > maxRecordSize || len(rec.Strings[0]) > 255 {
			t.Errorf("%s is %d bytes in %d strings", rec.Name, len(rec.Value), len(rec.Strings))
		}
	}
	if !strings.Contains(r.Fix.Summary, "providers change their addresses") || !strings.Contains(r.Fix.Summary, "mailcred check --domain example.com") {
		t.Errorf("summary lacks the staleness warning and the re-run: %s", r.Fix.Summary)
	}
	// Publish exactly as printed and re-run: under the limit, every
	// sending IP and every vendor range passes.
	for _, rec := range r.Fix.Records {
		srv.Remove(rec.Name, dnsx.TypeTXT)
		if err := srv.AddRecord(rec.ZoneLine()); err != nil {
			t.Fatal(err)
		}
	}
	env.DNS.Flush()
	if r := runOne(t, env, CheckLookups); r.Status != scoring.Pass {
		t.Fatalf("after publishing: %s %s", r.Status, r.Title)
	}
	for _, ip := range []string{"203.0.113.5", "2001:db8:ffff::5", "10.7.3.9", "2001:db8:11:2::1"} {
		if e := Evaluate(context.Background(), env.DNS, netip.MustParseAddr(ip), "x@example.com", ""); e.Result != Pass {
			t.Errorf("%s: %s %s", ip, e.Result, e.Explanation)
		}
	}
}
