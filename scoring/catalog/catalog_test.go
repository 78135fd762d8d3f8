package catalog

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/mailcred/mailcred/scoring"
)

func byID(results []scoring.Result) map[string]scoring.Result {
	m := map[string]scoring.Result{}
	for _, r := range results {
		m[r.ID] = r
	}
	return m
}

func TestCatalogueIDsAreTheDesignsAndUnique(t *testing.T) {
	want := []string{"spf.record", "spf.lookups", "spf.all", "spf.result", "dkim.record", "dkim.key-match",
		"dmarc.record", "dmarc.reporting", "rdns.ptr", "rdns.fcrdns", "rdns.helo", "blocklist.ip",
		"blocklist.domain", "mx.record", "ipv6.ready", "mtasts.policy", "tlsrpt.record", "dane.tlsa", "bimi.record"}
	got := IDs(DNS())
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("catalogue ids:\n got %v\nwant %v", got, want)
	}
	for _, id := range got {
		if _, ok := scoring.DefaultWeights[id]; !ok {
			t.Errorf("%s has no weight", id)
		}
	}
}

func TestHealthySetupScoresTen(t *testing.T) {
	setup, ev := goodSetup(t)
	_, r := serve(t, setup)
	results := scoring.RunAll(context.Background(), &scoring.Env{Evidence: ev, DNS: r}, DNS())
	for _, res := range results {
		if res.Status != scoring.Pass && res.Status != scoring.Info {
			t.Errorf("%s: %s — %s\n%s", res.ID, res.Status, res.Title, res.Detail)
		}
	}
	if s := scoring.DefaultWeights.Compute(results); s.Value != 10 || s.Incomplete {
		t.Fatalf("score %+v, want 10 complete", s)
	}
}

// The story's VPS: nothing published but the A record, no PTR.
func TestBareVPSFailsWithFixesForItsOwnIPs(t *testing.T) {
	setup, ev := goodSetup(t)
	setup.SPF, setup.DKIM, setup.DMARC, setup.PTR = "", "", "", nil
	ev.DKIMKey = nil
	_, r := serve(t, setup)
	got := byID(scoring.RunAll(context.Background(), &scoring.Env{Evidence: ev, DNS: r}, DNS()))
	for _, id := range []string{"spf.record", "spf.result", "dkim.record", "dmarc.record", "rdns.ptr", "ipv6.ready"} {
		if got[id].Status != scoring.Fail {
			t.Errorf("%s: %s (%s), want fail", id, got[id].Status, got[id].Title)
		}
	}
	spfFix := got["spf.record"].Fix
	if spfFix == nil || len(spfFix.Records) == 0 || !strings.Contains(spfFix.Records[0].Value, "ip4:192.0.2.10") {
		t.Fatalf("spf.record fix does not authorise the user's IP: %+v", spfFix)
	}
	if f := got["dmarc.record"].Fix; f == nil || len(f.Records) == 0 || f.Records[0].Name != "_dmarc.example.com" {
		t.Fatalf("dmarc.record fix: %+v", f)
	}
	if f := got["rdns.ptr"].Fix; f == nil || !strings.Contains(fixText(f), "10.2.0.192.in-addr.arpa") {
		t.Fatalf("rdns.ptr fix does not name the PTR to ask for: %+v", f)
	}
	if s := scoring.DefaultWeights.Compute(mapValues(got)); s.Value > 5 {
		t.Fatalf("bare VPS scores %.1f", s.Value)
	}
}

func TestPublicResolverRefusalIsIncompleteNeverFail(t *testing.T) {
	setup, ev := goodSetup(t)
	setup.RefuseBlocklists = true
	_, r := serve(t, setup)
	results := scoring.RunAll(context.Background(), &scoring.Env{Evidence: ev, DNS: r}, DNS())
	got := byID(results)
	for _, id := range []string{"blocklist.ip", "blocklist.domain"} {
		if got[id].Status != scoring.Error {
			t.Errorf("%s: %s (%s), want error", id, got[id].Status, got[id].Title)
		}
		if !strings.Contains(got[id].Detail+fixText(got[id].Fix), "resolver") {
			t.Errorf("%s does not say the resolver is the cause: %s", id, got[id].Detail)
		}
	}
	if s := scoring.DefaultWeights.Compute(results); s.Value != 10 || !s.Incomplete {
		t.Fatalf("score %+v, want 10 marked incomplete", s)
	}
}

func TestListedIPFails(t *testing.T) {
	setup, ev := goodSetup(t)
	setup.Listed = map[string]string{"192.0.2.10": "127.0.0.2"}
	_, r := serve(t, setup)
	got := byID(scoring.RunAll(context.Background(), &scoring.Env{Evidence: ev, DNS: r}, DNS()))
	if got["blocklist.ip"].Status != scoring.Fail || got["blocklist.ip"].Fix == nil {
		t.Fatalf("blocklist.ip: %s %s", got["blocklist.ip"].Status, got["blocklist.ip"].Title)
	}
}

func TestResultsStreamOncePerCheckWithTheirQueries(t *testing.T) {
	setup, ev := goodSetup(t)
	_, r := serve(t, setup)
	seen := map[string]int{}
	for res := range scoring.Run(context.Background(), &scoring.Env{Evidence: ev, DNS: r}, DNS()) {
		seen[res.ID]++
		if res.Status != scoring.Skip && len(res.Queries) == 0 && res.ID != "dkim.key-match" {
			t.Errorf("%s made no recorded query", res.ID)
		}
	}
	for _, id := range IDs(DNS()) {
		if seen[id] != 1 {
			t.Errorf("%s streamed %d times", id, seen[id])
		}
	}
}

func TestNoIPsSkipsWhatNeedsThem(t *testing.T) {
	setup, ev := goodSetup(t)
	ev.IPs = []netip.Addr{}
	_, r := serve(t, setup)
	got := byID(scoring.RunAll(context.Background(), &scoring.Env{Evidence: ev, DNS: r}, DNS()))
	if got["spf.record"].Status != scoring.Pass {
		t.Fatalf("spf.record without IPs: %s", got["spf.record"].Status)
	}
	for _, id := range []string{"rdns.ptr", "blocklist.ip"} {
		if got[id].Status == scoring.Fail {
			t.Errorf("%s fails without any IP to check: %s", id, got[id].Title)
		}
	}
}

func fixText(f *scoring.Fix) string {
	if f == nil {
		return ""
	}
	s := f.Summary + f.Snippet + f.Link
	for _, r := range f.Records {
		s += " " + r.Name + " " + r.Value
	}
	return s
}

func mapValues(m map[string]scoring.Result) []scoring.Result {
	out := make([]scoring.Result, 0, len(m))
	for _, r := range m {
		out = append(out, r)
	}
	return out
}
