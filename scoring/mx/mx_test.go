package mx

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

const zone = `
test.               IN SOA ns.test. hostmaster.test. 1 3600 600 86400 300
good.test.          IN MX 20 mx2.good.test.
good.test.          IN MX 10 mx1.good.test.
mx1.good.test.      IN A 192.0.2.10
mx2.good.test.      IN AAAA 2001:db8::10
order.test.         IN MX 20 b.good.test.
order.test.         IN MX 10 c.good.test.
order.test.         IN MX 10 a.good.test.
implicit.test.      IN A 192.0.2.1
null.test.          IN MX 0 .
none.test.          IN TXT "v=spf1 -all"
literal.test.       IN MX 10 192.0.2.1.
alias.test.         IN MX 10 mx.alias.test.
mx.alias.test.      IN CNAME real.alias.test.
real.alias.test.    IN A 192.0.2.20
dead.test.          IN MX 10 nohost.dead.test.
partial.test.       IN MX 10 mx1.partial.test.
partial.test.       IN MX 20 nohost.partial.test.
mx1.partial.test.   IN A 192.0.2.30
mixed.test.         IN MX 0 .
mixed.test.         IN MX 10 mx.mixed.test.
mx.mixed.test.      IN A 192.0.2.40
hostfail.test.      IN MX 10 mx.hostfail.test.
mx.hostfail.test.   IN A 192.0.2.50
www.good.test.      IN CNAME good.test.
`

func newEnv(t *testing.T, ev scoring.Evidence) *scoring.Env {
	t.Helper()
	srv, err := dnstest.Start(zone)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	srv.SetFault("servfail.test", dnstest.ServFail)
	srv.SetFault("timeout.test", dnstest.Timeout)
	srv.SetFault("mx.hostfail.test", dnstest.ServFail)
	r, err := dnsx.New(dnsx.Config{Servers: []string{srv.Addr}, Timeout: 150 * time.Millisecond, Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	return &scoring.Env{Evidence: ev, DNS: r}
}

func TestHosts(t *testing.T) {
	env := newEnv(t, scoring.Evidence{})
	tests := []struct {
		domain   string
		hosts    string // "pref host" joined by ", "
		implicit bool
		outcome  dnsx.Outcome
		null     bool
	}{
		{"good.test", "10 mx1.good.test., 20 mx2.good.test.", false, dnsx.Success, false},
		{"GOOD.test.", "10 mx1.good.test., 20 mx2.good.test.", false, dnsx.Success, false},
		{"order.test", "10 a.good.test., 10 c.good.test., 20 b.good.test.", false, dnsx.Success, false},
		{"www.good.test", "10 mx1.good.test., 20 mx2.good.test.", false, dnsx.Success, false}, // CNAME followed
		{"implicit.test", "0 implicit.test.", true, dnsx.Success, false},
		{"null.test", "0 .", false, dnsx.Success, true},
		{"none.test", "", false, dnsx.NoData, false},
		{"nothing.test", "", false, dnsx.NXDomain, false},
		{"servfail.test", "", false, dnsx.ServFail, false},
		{"timeout.test", "", false, dnsx.Timeout, false},
	}
	for _, tc := range tests {
		t.Run(tc.domain, func(t *testing.T) {
			hosts, implicit, out := Hosts(context.Background(), env.DNS, tc.domain)
			var got []string
			for _, h := range hosts {
				got = append(got, itoa(h.Preference)+" "+h.Host)
			}
			if strings.Join(got, ", ") != tc.hosts || implicit != tc.implicit || out != tc.outcome || IsNull(hosts) != tc.null {
				t.Errorf("got %v implicit=%v %s null=%v", got, implicit, out, IsNull(hosts))
			}
		})
	}
}

func itoa(n uint16) string { return strconv.Itoa(int(n)) }

func TestRecordCheck(t *testing.T) {
	tests := []struct {
		name     string
		domain   string
		mailFrom string
		ips      []netip.Addr
		status   scoring.Status
		title    string
		detail   []string
		records  []string // "name TYPE value"
	}{
		{name: "MX hosts resolve", domain: "good.test", status: scoring.Pass, title: "good.test receives mail at mx1.good.test",
			detail: []string{"MX 10 mx1.good.test → 192.0.2.10", "MX 20 mx2.good.test → 2001:db8::10", "postmaster@good.test", "RFC 5321 §4.5.1"}},
		{name: "implicit MX warns", domain: "implicit.test", status: scoring.Warn, title: "implicit MX",
			records: []string{"implicit.test MX 10 mail.implicit.test."}},
		{name: "null MX fails", domain: "null.test", status: scoring.Fail, title: "null MX", detail: []string{"RFC 7505"},
			ips:     []netip.Addr{netip.MustParseAddr("203.0.113.5"), netip.MustParseAddr("2001:db8::5")},
			records: []string{"null.test MX 10 mail.null.test.", "mail.null.test A 203.0.113.5", "mail.null.test AAAA 2001:db8::5"}},
		{name: "nothing at all fails", domain: "none.test", status: scoring.Fail, title: "cannot receive bounces",
			records: []string{"none.test MX 10 mail.none.test."}},
		{name: "domain does not exist", domain: "nothing.test", status: scoring.Fail, title: "does not exist"},
		// RFC 5321 §5.1: "the domain name ... is looked up as a host name"; an
		// address written there finds no address records, and a domain whose
		// MX records all lack addresses is an error, as for dead.test.
		{name: "MX is an IP written as a name", domain: "literal.test", status: scoring.Fail, title: "IP address written as a name",
			detail:  []string{"MX with no address", "RFC 5321 §5.1"},
			records: []string{"literal.test MX 10 mail.literal.test.", "mail.literal.test A 192.0.2.1"}},
		{name: "MX is an alias", domain: "alias.test", status: scoring.Warn, title: "alias (CNAME)", detail: []string{"RFC 2181 §10.3", "192.0.2.20"}},
		{name: "MX host does not resolve", domain: "dead.test", status: scoring.Fail, title: "No MX host of dead.test resolves"},
		{name: "one of two MX hosts does not resolve", domain: "partial.test", status: scoring.Warn, title: "nohost.partial.test"},
		{name: "null MX mixed with real ones", domain: "mixed.test", status: scoring.Warn, title: "mixes a null MX"},
		{name: "MX SERVFAIL is an error", domain: "servfail.test", status: scoring.Error, title: "servfail"},
		{name: "MX timeout is an error", domain: "timeout.test", status: scoring.Error, title: "timeout"},
		{name: "MX host SERVFAIL is an error", domain: "hostfail.test", status: scoring.Error},
		{name: "envelope domain checked too", domain: "good.test", mailFrom: "bounce@null.test", status: scoring.Fail, title: "null.test",
			detail: []string{"postmaster@null.test and postmaster@good.test"}},
		{name: "envelope domain only", mailFrom: "<bounce@good.test>", status: scoring.Pass},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t, scoring.Evidence{Domain: tc.domain, MailFrom: tc.mailFrom, IPs: tc.ips})
			res := scoring.RunAll(context.Background(), env, Checks())[0]
			t.Logf("%s %s: %s\n%s", res.ID, res.Status, res.Title, res.Detail)
			if res.Fix != nil {
				t.Logf("fix: %s %v", res.Fix.Summary, res.Fix.Records)
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
			if (res.Status == scoring.Fail || res.Status == scoring.Warn) && (res.Fix == nil || res.Fix.Summary == "") {
				t.Fatal("fail or warn without a fix")
			}
			if tc.records != nil {
				var got []string
				for _, r := range res.Fix.Records {
					got = append(got, r.Name+" "+r.Type+" "+r.Value)
				}
				if strings.Join(got, "|") != strings.Join(tc.records, "|") {
					t.Errorf("records %q, want %q", got, tc.records)
				}
			}
		})
	}
}

func TestApplies(t *testing.T) {
	c := Checks()[0]
	if c.Applies(scoring.Evidence{}) || !c.Applies(scoring.Evidence{Domain: "x.test"}) || !c.Applies(scoring.Evidence{MailFrom: "a@x.test"}) {
		t.Error("Applies")
	}
}
