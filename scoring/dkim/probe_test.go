package dkim

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnstest"
	"github.com/mailcred/mailcred/scoring/dnsx"
)

const soa = "example.com. 300 IN SOA ns.example.com. hostmaster.example.com. 1 3600 600 86400 300\n"

// allSelectors is every name of the probe table, for faults and details.
func allSelectors() []string {
	out := make([]string, len(commonSelectors))
	for i, s := range commonSelectors {
		out[i] = s.Name
	}
	return out
}

func TestCommonSelectorsAreValidAndDocumented(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range commonSelectors {
		if err := validSelector(s.Name); err != nil || s.Source == "" || seen[s.Name] {
			t.Errorf("%q: %v, source %q, repeated %v", s.Name, err, s.Source, seen[s.Name])
		}
		seen[s.Name] = true
	}
	t.Logf("%d common selectors", len(commonSelectors))
}

func TestRecordCheckWithoutSelector(t *testing.T) {
	rsa2048 := recordValue(t, "keys/rsa2048-public.txt")
	rsa1024 := recordValue(t, "keys/rfc6376-appC-rsa1024-public.txt")
	some := []string{"default", "dkim", "mail", "s1", "selector1"}
	tests := []checkCase{
		{name: "2048-bit key at selector1 is judged", zone: soa + txtLine("selector1._domainkey.example.com", rsa2048),
			status: scoring.Pass, title: "2048-bit RSA at selector1._domainkey.example.com",
			detail: []string{"No --selector given: asked 15 common selectors; found a DKIM key record at selector1.", "Give --selector"}},
		{name: "nothing published warns with the probes listed", zone: soa, status: scoring.Warn,
			title:  "No DKIM key found at common selectors",
			detail: []string{"  nxdomain: " + strings.Join(allSelectors(), ", "), "give --selector"},
			fix:    []string{"mailcred keygen --domain example.com --selector s1", "s1._domainkey.example.com", "or, if your MTA already signs, give --selector"}},
		{name: "nothing published, a key loaded: its record at s1", zone: soa, key: "keys/rsa2048-private.pem",
			status: scoring.Warn, recordAt: "s1", record: recordValue(t, "keys/rsa2048-public.txt"),
			fix: []string{"give --selector"}},
		{name: "a wildcard SPF record is not a key", zone: soa + "*.example.com. 300 IN TXT \"v=spf1 -all\"\n",
			status: scoring.Warn, title: "No DKIM key found", detail: []string{"TXT that is not a DKIM key: default, dkim"}},
		{name: "SERVFAIL everywhere is an error", zone: soa + txtLine("selector1._domainkey.example.com", rsa2048),
			fault: dnstest.ServFail, faultAt: allSelectors(), status: scoring.Error,
			title: "Could not look up DKIM keys at common selectors (servfail)", detail: []string{"  servfail: default, dkim"},
			fix: []string{"dig default._domainkey.example.com TXT"}},
		{name: "timeout everywhere is an error", zone: soa, fault: dnstest.Timeout, faultAt: allSelectors(),
			status: scoring.Error, title: "(timeout)"},
		{name: "SERVFAIL on some and no key elsewhere is an error", zone: soa, fault: dnstest.ServFail, faultAt: some,
			status: scoring.Error, title: "Could not be sure: 5 of 15",
			detail: []string{"  servfail: default, dkim, mail, s1, selector1", "  nxdomain: s2, selector2"}},
		{name: "SERVFAIL on some, a key elsewhere is judged", zone: soa + txtLine("google._domainkey.example.com", rsa2048),
			fault: dnstest.ServFail, faultAt: some, status: scoring.Pass, title: "google._domainkey",
			detail: []string{"found a DKIM key record at google", "(5 could not be answered: default, dkim, mail, s1, selector1.)"}},
		{name: "several keys: the best graded is judged",
			zone:   soa + txtLine("default._domainkey.example.com", rsa1024) + txtLine("google._domainkey.example.com", rsa2048),
			status: scoring.Pass, title: "at google._domainkey",
			detail: []string{"found a DKIM key record at default, google; judged here: google"}},
		{name: "several keys: the loaded private key picks its own",
			zone:   soa + txtLine("default._domainkey.example.com", rsa1024) + txtLine("google._domainkey.example.com", rsa2048),
			key:    "keys/rfc6376-appC-rsa1024-private.pem",
			status: scoring.Warn, title: "1024-bit RSA", detail: []string{"judged here: default"},
			fix: []string{"--selector default2 --bits 2048"}},
		{name: "a key reached through a provider's CNAME",
			zone: soa + "s1._domainkey.example.com. 300 IN CNAME s1.domainkey.u1.wl.sendgrid.test.\n" +
				txtLine("s1.domainkey.u1.wl.sendgrid.test", rsa2048),
			status: scoring.Pass, detail: []string{"at s1.", "CNAME to s1.domainkey.u1.wl.sendgrid.test"}},
		{name: "a revoked key found is judged as given", zone: soa + txtLine("mail._domainkey.example.com", "v=DKIM1; p="),
			status: scoring.Fail, title: "revoked", fix: []string{"stop signing with selector mail"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := runCheck(t, "dkim.record", tc)
			if n := len(res.Queries); n != len(commonSelectors) {
				t.Errorf("%d queries recorded, want one per common selector (%d)", n, len(commonSelectors))
			}
		})
	}
}

func TestKeyMatchCheckWithoutSelector(t *testing.T) {
	rsa2048 := recordValue(t, "keys/rsa2048-public.txt")
	tests := []checkCase{
		{name: "the one key found matches", zone: soa + txtLine("selector1._domainkey.example.com", rsa2048),
			key: "keys/rsa2048-private.pem", status: scoring.Pass, title: "matches",
			detail: []string{"the only common selector holding a DKIM key is selector1"}},
		{name: "the one key found is another", zone: soa + txtLine("selector1._domainkey.example.com", rsa2048),
			key: "keys/rfc6376-appC-rsa1024-private.pem", status: scoring.Fail, title: "not the private key's public half",
			recordAt: "selector1", record: keyRecord(t, "keys/rfc6376-appC-rsa1024-private.pem")},
		{name: "no key found is not applicable", zone: soa, key: "keys/rsa2048-private.pem", status: scoring.Skip,
			title: "without --selector", detail: []string{"none of the common selectors"}},
		{name: "two keys found is not applicable",
			zone: soa + txtLine("s1._domainkey.example.com", rsa2048) + txtLine("s2._domainkey.example.com", rsa2048),
			key:  "keys/rsa2048-private.pem", status: scoring.Skip, detail: []string{"2 common selectors hold a DKIM key: s1, s2 (see dkim.record)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { runCheck(t, "dkim.key-match", tc) })
	}
}

// The probes are one round trip deep: every common selector is asked at
// once. The server holds its answers until all of them have arrived, so
// probes asked one after another would never be answered (each would
// time out) and the check could not pass.
func TestProbesRunConcurrently(t *testing.T) {
	srv, _ := startDNS(t, soa+txtLine("x._domainkey.example.com", recordValue(t, "keys/rsa2048-public.txt")))
	r, err := dnsx.New(dnsx.Config{Servers: []string{srv.Addr}, Timeout: 2 * time.Second, Attempts: 1, Retransmit: -1})
	if err != nil {
		t.Fatal(err)
	}
	srv.HoldUntil(len(commonSelectors))
	ev := scoring.Evidence{Domain: "example.com"}
	res := scoring.RunAll(context.Background(), &scoring.Env{Evidence: ev, DNS: r}, Checks()[:1])[0]
	if res.Status != scoring.Pass || srv.Queries() != int64(len(commonSelectors)) {
		t.Fatalf("%s %q with %d questions sent, want pass with %d asked at once\n%s", res.Status, res.Title, srv.Queries(), len(commonSelectors), res.Detail)
	}
}

func TestGivenSelectorAsksOneName(t *testing.T) {
	srv, r := startDNS(t, dkimZone(t))
	ev := scoring.Evidence{Domain: "example.com", Selector: "good"}
	res := scoring.RunAll(context.Background(), &scoring.Env{Evidence: ev, DNS: r}, Checks()[:1])[0]
	if res.Status != scoring.Pass || len(res.Queries) != 1 || srv.Queries() != 1 || strings.Contains(res.Detail, "--selector") {
		t.Fatalf("%s %q: %d queries recorded, %d sent\n%s", res.Status, res.Title, len(res.Queries), srv.Queries(), res.Detail)
	}
}

func TestLooksLikeKeyRecord(t *testing.T) {
	for txt, want := range map[string]bool{
		"v=DKIM1; k=rsa; p=MIIB":   true,
		"v=DKIM1; p=":              true,
		"k=rsa; p=MIIB":            true,
		"p=":                       true,
		"v=DKIM1 garbage;;":        true,
		"v=spf1 -all":              false,
		"google-site-verification": false,
		"k=rsa; t=y":               false,
		"":                         false,
	} {
		if got := looksLikeKeyRecord(txt); got != want {
			t.Errorf("looksLikeKeyRecord(%q) = %v, want %v", txt, got, want)
		}
	}
}
