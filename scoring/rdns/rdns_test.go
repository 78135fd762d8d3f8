package rdns

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnstest"
	"github.com/mailcred/mailcred/scoring/dnsx"
)

func rev(ip string) string { return dnsx.ReverseName(netip.MustParseAddr(ip)) }

// world is one zone with every situation, the IPs in the documentation
// ranges (RFC 5737, RFC 3849).
func world() string {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	line("example.com. IN SOA ns.example.com. hostmaster.example.com. 1 3600 600 86400 300")
	line("113.0.203.in-addr.arpa. IN SOA ns.example.net. hostmaster.example.net. 1 3600 600 86400 300")
	line("8.b.d.0.1.0.0.2.ip6.arpa. IN SOA ns.example.net. hostmaster.example.net. 1 3600 600 86400 300")
	line("mail.example.com. IN A 203.0.113.5")
	line("mx.example.com. IN A 203.0.113.10")
	line("other.example.com. IN A 203.0.113.5")
	line("cl.example.com. IN A 203.0.113.70")
	line("mail6.example.com. IN AAAA 2001:db8::25")
	line("dual.example.com. IN A 203.0.113.5")
	line("dual.example.com. IN AAAA 2001:db8::25")
	line("static.8.113.0.203.clients.your-server.de. IN A 203.0.113.8")
	line("dyn-pool-9.isp.example.net. IN A 203.0.113.9")
	line("broken.example.com. IN A 203.0.113.13")
	line("vps123.hoster.example.net. IN A 203.0.113.14")
	line("eight.example.com. IN A 203.0.113.8")
	line("%s IN PTR mail.example.com.", rev("203.0.113.5"))
	line("%s IN PTR mail.example.com.", rev("203.0.113.7"))
	line("%s IN PTR static.8.113.0.203.clients.your-server.de.", rev("203.0.113.8"))
	line("%s IN PTR dyn-pool-9.isp.example.net.", rev("203.0.113.9"))
	line("%s IN PTR mail.example.com.", rev("203.0.113.10"))
	line("%s IN PTR mx.example.com.", rev("203.0.113.10"))
	line("%s IN PTR broken.example.com.", rev("203.0.113.13"))
	line("%s IN PTR vps123.hoster.example.net.", rev("203.0.113.14"))
	line("%s IN PTR nofwd.hoster.example.net.", rev("203.0.113.15"))
	// RFC 2317 classless delegation: the PTR sits behind a CNAME.
	line("%s IN CNAME 70.64-26.113.0.203.in-addr.arpa.", rev("203.0.113.70"))
	line("70.64-26.113.0.203.in-addr.arpa. IN PTR cl.example.com.")
	line("%s IN PTR mail6.example.com.", rev("2001:db8::25"))
	line("%s IN PTR mail.example.com.", rev("2001:db8::27"))
	return b.String()
}

func newEnv(t *testing.T, ev scoring.Evidence) (*scoring.Env, *dnstest.Server) {
	t.Helper()
	srv, err := dnstest.Start(world())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	srv.SetFault(rev("203.0.113.11"), dnstest.ServFail)
	srv.SetFault(rev("203.0.113.12"), dnstest.Timeout)
	srv.SetFault("broken.example.com", dnstest.ServFail)
	srv.SetFault("slow.example.com", dnstest.Timeout)
	r, err := dnsx.New(dnsx.Config{Servers: []string{srv.Addr}, Timeout: 150 * time.Millisecond, Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	if ev.Domain == "" {
		ev.Domain = "example.com"
	}
	return &scoring.Env{Evidence: ev, DNS: r}, srv
}

func ips(ss ...string) []netip.Addr {
	var out []netip.Addr
	for _, s := range ss {
		out = append(out, netip.MustParseAddr(s))
	}
	return out
}

func TestLookup(t *testing.T) {
	env, _ := newEnv(t, scoring.Evidence{})
	tests := []struct {
		ip        string
		outcome   dnsx.Outcome
		names     string // comma-separated
		confirmed string
		temporary bool
	}{
		{"203.0.113.5", dnsx.Success, "mail.example.com", "mail.example.com", false},
		{"::ffff:203.0.113.5", dnsx.Success, "mail.example.com", "mail.example.com", false},
		{"203.0.113.6", dnsx.NXDomain, "", "", false},
		{"203.0.113.7", dnsx.Success, "mail.example.com", "", false},
		{"203.0.113.10", dnsx.Success, "mail.example.com,mx.example.com", "mx.example.com", false},
		{"203.0.113.11", dnsx.ServFail, "", "", true},
		{"203.0.113.12", dnsx.Timeout, "", "", true},
		{"203.0.113.13", dnsx.Success, "broken.example.com", "", true},
		{"203.0.113.70", dnsx.Success, "cl.example.com", "cl.example.com", false},
		{"2001:db8::25", dnsx.Success, "mail6.example.com", "mail6.example.com", false},
		{"2001:db8::26", dnsx.NXDomain, "", "", false},
		{"2001:db8::27", dnsx.Success, "mail.example.com", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.ip, func(t *testing.T) {
			info := Lookup(context.Background(), env.DNS, netip.MustParseAddr(tc.ip))
			if info.Outcome != tc.outcome || strings.Join(info.Names, ",") != tc.names ||
				strings.Join(info.Confirmed(), ",") != tc.confirmed || info.Temporary() != tc.temporary {
				t.Errorf("got %s %v confirmed %v temporary %v", info.Outcome, info.Names, info.Confirmed(), info.Temporary())
			}
			if !strings.HasSuffix(info.ReverseName, ".arpa") || strings.HasSuffix(info.ReverseName, ".") {
				t.Errorf("reverse name %q", info.ReverseName)
			}
		})
	}
	if info := Lookup(context.Background(), env.DNS, netip.Addr{}); info.Outcome != dnsx.Failure {
		t.Errorf("zero address: %s", info.Outcome)
	}
}

type checkCase struct {
	name    string
	ips     []netip.Addr
	helo    string
	status  scoring.Status
	title   string
	detail  []string
	fix     []string // substrings of the summary or snippet
	records []string // "name TYPE value" of the fix records, in order
}

func run(t *testing.T, id string, tc checkCase) {
	t.Helper()
	env, _ := newEnv(t, scoring.Evidence{IPs: tc.ips, HELO: tc.helo})
	var check scoring.Check
	for _, c := range Checks() {
		if c.ID == id {
			check = c
		}
	}
	res := scoring.RunAll(context.Background(), env, []scoring.Check{check})[0]
	t.Logf("%s %s: %s\n%s", res.ID, res.Status, res.Title, res.Detail)
	if res.Fix != nil {
		t.Logf("fix: %s %v\n%s", res.Fix.Summary, res.Fix.Records, res.Fix.Snippet)
	}
	if res.Status != tc.status {
		t.Errorf("status %s, want %s", res.Status, tc.status)
	}
	if !strings.Contains(res.Title, tc.title) {
		t.Errorf("title %q does not contain %q", res.Title, tc.title)
	}
	for _, d := range tc.detail {
		if !strings.Contains(res.Detail, d) {
			t.Errorf("detail does not contain %q", d)
		}
	}
	if (res.Status == scoring.Fail || res.Status == scoring.Warn) && res.Fix == nil {
		t.Fatal("fail or warn without a fix")
	}
	for _, f := range tc.fix {
		if !strings.Contains(res.Fix.Summary+res.Fix.Snippet, f) {
			t.Errorf("fix does not contain %q", f)
		}
	}
	if tc.records != nil {
		var got []string
		for _, r := range res.Fix.Records {
			got = append(got, r.Name+" "+r.Type+" "+r.Value)
		}
		if strings.Join(got, "|") != strings.Join(tc.records, "|") {
			t.Errorf("fix records %q, want %q", got, tc.records)
		}
	}
}

func TestPTRCheck(t *testing.T) {
	tests := []checkCase{
		{name: "v4 with PTR", ips: ips("203.0.113.5"), status: scoring.Pass, title: "203.0.113.5 has a PTR: mail.example.com"},
		{name: "v4 and v6 with PTR", ips: ips("203.0.113.5", "2001:db8::25"), status: scoring.Pass, title: "(2 IPs)"},
		{name: "v4 missing, HELO names the PTR to ask for", ips: ips("203.0.113.6"), helo: "smtp.example.com", status: scoring.Fail,
			title: "203.0.113.6 has no PTR", fix: []string{"hosting provider", "set its PTR to smtp.example.com"},
			records: []string{"6.113.0.203.in-addr.arpa PTR smtp.example.com.", "smtp.example.com A 203.0.113.6"}},
		{name: "v4 missing, no HELO: mail.<domain>", ips: ips("203.0.113.6"), status: scoring.Fail,
			records: []string{"6.113.0.203.in-addr.arpa PTR mail.example.com.", "mail.example.com A 203.0.113.6"}},
		{name: "v4 missing, bare-word HELO is not suggested", ips: ips("203.0.113.6"), helo: "ubuntu", status: scoring.Fail,
			records: []string{"6.113.0.203.in-addr.arpa PTR mail.example.com.", "mail.example.com A 203.0.113.6"}},
		{name: "v6 missing", ips: ips("2001:db8::26"), status: scoring.Fail, detail: []string{"IPv6", "5.7.25"},
			records: []string{rev("2001:db8::26")[:len(rev("2001:db8::26"))-1] + " PTR mail.example.com.", "mail.example.com AAAA 2001:db8::26"}},
		{name: "one of two missing", ips: ips("203.0.113.5", "2001:db8::26"), status: scoring.Fail, title: "2001:db8::26 has no PTR"},
		{name: "generic name with the IP in it", ips: ips("203.0.113.8"), status: scoring.Warn, title: "generic PTR name",
			detail: []string{"8.113.0.203"}, records: []string{"8.113.0.203.in-addr.arpa PTR mail.example.com.", "mail.example.com A 203.0.113.8"}},
		{name: "dynamic pool name", ips: ips("203.0.113.9"), status: scoring.Warn, title: "generic", detail: []string{`"dyn"`}},
		{name: "two PTRs", ips: ips("203.0.113.10"), status: scoring.Warn, title: "2 PTR records",
			records: []string{"10.113.0.203.in-addr.arpa PTR mx.example.com."}},
		{name: "not in own domain is a note", ips: ips("203.0.113.14"), status: scoring.Pass, detail: []string{"not in example.com"}},
		{name: "classless delegation through CNAME", ips: ips("203.0.113.70"), status: scoring.Pass, title: "cl.example.com"},
		{name: "SERVFAIL is an error", ips: ips("203.0.113.11"), status: scoring.Error, title: "servfail"},
		{name: "timeout is an error", ips: ips("203.0.113.12"), status: scoring.Error, title: "timeout"},
		{name: "a fail beats an error", ips: ips("203.0.113.11", "203.0.113.6"), status: scoring.Fail},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { run(t, "rdns.ptr", tc) })
	}
}

func TestFCrDNSCheck(t *testing.T) {
	tests := []checkCase{
		{name: "v4 confirmed", ips: ips("203.0.113.5"), status: scoring.Pass, title: "203.0.113.5 ↔ mail.example.com"},
		{name: "v6 confirmed", ips: ips("2001:db8::25"), status: scoring.Pass},
		{name: "one of two PTRs confirmed", ips: ips("203.0.113.10"), status: scoring.Pass, detail: []string{"(not 203.0.113.10)", "mx.example.com → 203.0.113.10 ✓"}},
		{name: "classless delegation", ips: ips("203.0.113.70"), status: scoring.Pass},
		{name: "own name points elsewhere: one A record", ips: ips("203.0.113.7"), status: scoring.Fail,
			title: "does not resolve back", records: []string{"mail.example.com A 203.0.113.7"}},
		{name: "v6 PTR name has only an A record", ips: ips("2001:db8::27"), status: scoring.Fail, detail: []string{"IPv6"},
			records: []string{"mail.example.com AAAA 2001:db8::27"}},
		{name: "provider's name without address: change the PTR", ips: ips("203.0.113.15"), status: scoring.Fail,
			detail:  []string{"nofwd.hoster.example.net → nxdomain"},
			records: []string{"15.113.0.203.in-addr.arpa PTR mail.example.com.", "mail.example.com A 203.0.113.15"}},
		{name: "no PTR", ips: ips("203.0.113.6"), status: scoring.Fail, title: "no PTR"},
		{name: "PTR SERVFAIL", ips: ips("203.0.113.11"), status: scoring.Error},
		{name: "forward SERVFAIL", ips: ips("203.0.113.13"), status: scoring.Error, title: "servfail"},
		{name: "PTR timeout", ips: ips("203.0.113.12"), status: scoring.Error},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { run(t, "rdns.fcrdns", tc) })
	}
}

func TestHELOCheck(t *testing.T) {
	tests := []checkCase{
		{name: "HELO is the PTR name", ips: ips("203.0.113.5"), helo: "mail.example.com", status: scoring.Pass, title: "is its PTR name"},
		{name: "HELO with final dot and capitals", ips: ips("203.0.113.5"), helo: "Mail.Example.COM.", status: scoring.Pass},
		{name: "dual-stack HELO, v6 PTR differs", ips: ips("203.0.113.5", "2001:db8::25"), helo: "dual.example.com", status: scoring.Pass,
			detail: []string{"both are yours"}},
		{name: "HELO resolves, PTR is the provider's", ips: ips("203.0.113.14"), helo: "other.example.com", status: scoring.Warn,
			title: "does not resolve to 203.0.113.14", fix: []string{"other.example.com A 203.0.113.14"}},
		{name: "HELO differs from a foreign PTR", ips: ips("203.0.113.8"), helo: "static.8.113.0.203.clients.your-server.de", status: scoring.Pass},
		{name: "HELO and confirmed PTR both in own domain", ips: ips("203.0.113.5"), helo: "other.example.com", status: scoring.Pass},
		{name: "HELO differs from the provider's confirmed PTR", ips: ips("203.0.113.14"), helo: "vps123.example.com", status: scoring.Fail,
			title: "does not resolve"},
		{name: "HELO resolves but PTR is the provider's: ask for the PTR", ips: ips("203.0.113.8"), helo: "eight.example.com", status: scoring.Warn,
			title: "differs from the PTR name", records: []string{"8.113.0.203.in-addr.arpa PTR eight.example.com."}},
		{name: "HELO resolves elsewhere, confirmed own PTR proposed", ips: ips("203.0.113.10"), helo: "other.example.com", status: scoring.Warn,
			fix: []string{"REMOTE_SMTP_HELO_DATA = mx.example.com"}},
		{name: "HELO resolves elsewhere", ips: ips("203.0.113.7"), helo: "mail.example.com", status: scoring.Warn,
			records: []string{"mail.example.com A 203.0.113.7"}},
		{name: "bare word", ips: ips("203.0.113.5"), helo: "ubuntu", status: scoring.Fail, title: "bare word",
			fix: []string{"REMOTE_SMTP_HELO_DATA = mail.example.com", "smtp_helo_name = mail.example.com"}},
		{name: "localhost", ips: ips("203.0.113.5"), helo: "localhost", status: scoring.Fail},
		{name: "localdomain", ips: ips("203.0.113.5"), helo: "vps.localdomain", status: scoring.Fail, title: "private name"},
		{name: "bare IP", ips: ips("203.0.113.5"), helo: "203.0.113.5", status: scoring.Fail, title: "bare IP"},
		{name: "address literal", ips: ips("203.0.113.5"), helo: "[203.0.113.5]", status: scoring.Warn, title: "address literal"},
		{name: "IPv6 address literal", ips: ips("2001:db8::25"), helo: "[IPv6:2001:db8::25]", status: scoring.Warn},
		{name: "someone else's literal", ips: ips("203.0.113.5"), helo: "[198.51.100.1]", status: scoring.Fail},
		{name: "receiver's name", ips: ips("203.0.113.5"), helo: "mx.google.com", status: scoring.Fail, title: "claims to be google.com",
			fix: []string{"EHLO mail.example.com"}},
		{name: "does not resolve", ips: ips("203.0.113.5"), helo: "nowhere.example.com", status: scoring.Fail, title: "does not resolve",
			records: []string{"nowhere.example.com A 203.0.113.5"}},
		{name: "HELO lookup SERVFAIL", ips: ips("203.0.113.13"), helo: "broken.example.com", status: scoring.Error},
		{name: "HELO lookup timeout", ips: ips("203.0.113.5"), helo: "slow.example.com", status: scoring.Error},
		{name: "no HELO: suggest the PTR name", ips: ips("203.0.113.70"), status: scoring.Info, title: "it should be cl.example.com"},
		{name: "no HELO, no PTR: a suggestion, said as one", ips: ips("203.0.113.6"), status: scoring.Info,
			title: "no forward-confirmed PTR names one yet (mail.example.com would do)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { run(t, "rdns.helo", tc) })
	}
}

func TestLooksGeneric(t *testing.T) {
	tests := []struct {
		name, ip string
		generic  bool
	}{
		{"static.8.113.0.203.clients.your-server.de", "203.0.113.8", true},
		{"ec2-203-0-113-8.compute-1.amazonaws.com", "203.0.113.8", true},
		{"8-113-0-203.dyn.example.net", "203.0.113.8", true},
		{"host203000113008.example.net", "203.0.113.8", true},
		{"cb007108.example.net", "203.0.113.8", true},
		{"dsl-1234.isp.example", "203.0.113.8", true},
		{"pool-96-255-1-2.washdc.fios.verizon.net", "96.255.1.2", true},
		{"c-73-1-2-3.hsd1.ca.comcast.net", "73.1.2.3", true},
		{"2001-db8--25.ip6.example.net", "2001:db8::25", true},
		{"20010db8000000000000000000000025.example.net", "2001:db8::25", true},
		{"mail.example.com", "203.0.113.8", false},
		{"mail.static-assets.com", "203.0.113.8", false},
		{"mx1.example.com", "203.0.113.1", false},
		{"smtp203.example.com", "203.0.113.8", false},
		{"li123-45.members.linode.com", "203.0.113.8", false},
		{"113.0.203.example.com", "203.0.113.8", false},
	}
	for _, tc := range tests {
		got := LooksGeneric(tc.name, netip.MustParseAddr(tc.ip))
		if (got != "") != tc.generic {
			t.Errorf("LooksGeneric(%s, %s) = %q, want generic=%v", tc.name, tc.ip, got, tc.generic)
		}
	}
}
