package catalog

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dkim"
	"github.com/mailcred/mailcred/scoring/dnstest"
	"github.com/mailcred/mailcred/scoring/dnsx"
	"github.com/mailcred/mailcred/scoring/fixproof"
	"github.com/mailcred/mailcred/scoring/simzone"
)

// flaw is one thing wrong with a sending setup: a change to the zone's
// description, to what the user tells mailcred, or to the served zone.
type flaw struct {
	name string
	edit func(*simzone.Setup, *scoring.Evidence)
	post func(*dnstest.Server)
}

// spfFlaws, dkimFlaws, … are the corpus: the classes of broken setup the
// checks know, one per line. The generated set combines them.
func spfFlaws(t testing.TB) []flaw {
	set := func(v string) func(*simzone.Setup, *scoring.Evidence) {
		return func(s *simzone.Setup, _ *scoring.Evidence) { s.SPF = v }
	}
	many := func(n int, suffix string) func(*simzone.Setup, *scoring.Evidence) {
		return func(s *simzone.Setup, _ *scoring.Evidence) {
			terms := []string{"v=spf1"}
			for i := 1; i <= n; i++ {
				name := fmt.Sprintf("_spf.vendor%d.example", i)
				terms = append(terms, "include:"+name)
				if suffix != "void" {
					s.Extra[name] = fmt.Sprintf("v=spf1 ip4:198.18.%d.0/24 ip6:2001:db8:%x::/48 ~all", i, i)
				}
			}
			s.SPF = strings.Join(append(terms, "-all"), " ")
		}
	}
	return []flaw{
		{name: "spf missing", edit: set("")},
		{name: "spf two records", edit: func(s *simzone.Setup, _ *scoring.Evidence) {
			s.SPF = "v=spf1 ip4:192.0.2.10 -all"
			s.Extra["example.com"] = "v=spf1 include:_spf.example.com ~all"
		}},
		{name: "spf invalid term", edit: set("v=spf1 ip4:192.0.2.10 ip6:2001:db8::10 foo:bar -all")},
		{name: "spf ip not listed", edit: set("v=spf1 ip4:198.51.100.1 -all")},
		{name: "spf ?all", edit: set("v=spf1 ip4:192.0.2.10 ip6:2001:db8::10 ?all")},
		{name: "spf +all", edit: set("v=spf1 ip4:192.0.2.10 +all")},
		{name: "spf no all", edit: set("v=spf1 ip4:192.0.2.10 ip6:2001:db8::10")},
		{name: "spf -all reaching +all", edit: func(s *simzone.Setup, _ *scoring.Evidence) {
			s.SPF = "v=spf1 ip4:192.0.2.10 ip6:2001:db8::10 include:_spf.lax.example -all"
			s.Extra["_spf.lax.example"] = "v=spf1 ip4:198.51.100.0/24 +all"
		}},
		{name: "spf 12 lookups", edit: many(12, "")},
		{name: "spf 30 lookups (split)", edit: many(30, "")},
		{name: "spf void includes", edit: many(3, "void")},
		{name: "spf ptr", edit: set("v=spf1 ptr ip4:192.0.2.10 ip6:2001:db8::10 -all")},
		{name: "spf string over 255", edit: func(s *simzone.Setup, _ *scoring.Evidence) {
			terms := []string{"v=spf1", "ip4:192.0.2.10", "ip6:2001:db8::10"}
			for i := 0; i < 20; i++ {
				terms = append(terms, fmt.Sprintf("ip4:198.51.100.%d", i))
			}
			s.SPF = strings.Join(append(terms, "-all"), " ")
		}},
	}
}

func dkimFlaws(t testing.TB) []flaw {
	other, err := dkim.LoadPrivateKey("../dkim/testdata/keys/rfc8463-rsa1024-private.pem")
	if err != nil {
		t.Fatal(err)
	}
	otherRec, err := dkim.RecordForKey(other.Public())
	if err != nil {
		t.Fatal(err)
	}
	return []flaw{
		{name: "dkim missing", edit: func(s *simzone.Setup, _ *scoring.Evidence) { s.DKIM = "" }},
		{name: "dkim testing", edit: func(s *simzone.Setup, _ *scoring.Evidence) {
			s.DKIM = strings.Replace(s.DKIM, "v=DKIM1;", "v=DKIM1; t=y;", 1)
		}},
		{name: "dkim revoked", edit: func(s *simzone.Setup, _ *scoring.Evidence) { s.DKIM = "v=DKIM1; k=rsa; p=" }},
		{name: "dkim other key", edit: func(s *simzone.Setup, _ *scoring.Evidence) { s.DKIM = otherRec }},
	}
}

func dmarcFlaws() []flaw {
	set := func(v string) func(*simzone.Setup, *scoring.Evidence) {
		return func(s *simzone.Setup, _ *scoring.Evidence) { s.DMARC = v }
	}
	return []flaw{
		{name: "dmarc missing", edit: set("")},
		{name: "dmarc p=none", edit: set("v=DMARC1; p=none; rua=mailto:d@example.com")},
		{name: "dmarc v not first", edit: set("p=reject; v=DMARC1; rua=mailto:d@example.com")},
		{name: "dmarc two records", edit: func(s *simzone.Setup, _ *scoring.Evidence) {
			s.Extra["_dmarc.example.com"] = "v=DMARC1; p=none"
		}},
		{name: "dmarc bad rua", edit: set("v=DMARC1; p=reject; rua=d@example.com")},
		{name: "dmarc no rua", edit: set("v=DMARC1; p=reject")},
		{name: "dmarc external rua unauthorised", edit: func(s *simzone.Setup, _ *scoring.Evidence) {
			delete(s.Extra, "example.com._report._dmarc.reports.example.net")
		}},
		{name: "dmarc weak sp", edit: set("v=DMARC1; p=reject; sp=none; rua=mailto:d@example.com")},
		{name: "dmarc t=y", edit: set("v=DMARC1; p=reject; t=y; rua=mailto:d@example.com")},
		{name: "dmarc pct", edit: set("v=DMARC1; p=reject; pct=50; rua=mailto:d@example.com")},
		{name: "dmarc invalid p", edit: set("v=DMARC1; p=bogus; rua=mailto:d@example.com")},
	}
}

func hostFlaws() []flaw {
	return []flaw{
		{name: "no PTR", edit: func(s *simzone.Setup, _ *scoring.Evidence) { s.PTR = nil }},
		{name: "no v6 PTR", edit: func(s *simzone.Setup, _ *scoring.Evidence) { s.PTR = map[netip.Addr]bool{ip4: true} }},
		{name: "HELO does not resolve", edit: func(_ *simzone.Setup, ev *scoring.Evidence) { ev.HELO = "nowhere.example.com" }},
		{name: "HELO localhost", edit: func(_ *simzone.Setup, ev *scoring.Evidence) { ev.HELO = "localhost" }},
		{name: "MX is an IP", post: func(srv *dnstest.Server) {
			srv.Remove("example.com", dnsx.TypeMX)
			_ = srv.AddRecord("example.com. 300 IN MX 10 192.0.2.10.")
		}},
		{name: "no MX", post: func(srv *dnstest.Server) { srv.Remove("example.com", dnsx.TypeMX) }},
		{name: "null MX", post: func(srv *dnstest.Server) {
			srv.Remove("example.com", dnsx.TypeMX)
			_ = srv.AddRecord("example.com. 300 IN MX 0 .")
		}},
		{name: "tlsrpt bad rua", edit: func(s *simzone.Setup, _ *scoring.Evidence) {
			s.Extra["_smtp._tls.example.com"] = "v=TLSRPTv1; rua=tls@example.com"
		}},
		{name: "tlsrpt no rua", edit: func(s *simzone.Setup, _ *scoring.Evidence) { s.Extra["_smtp._tls.example.com"] = "v=TLSRPTv1" }},
		{name: "mta-sts record without policy", edit: func(s *simzone.Setup, _ *scoring.Evidence) {
			s.Extra["_mta-sts.example.com"] = "v=STSv1; id=1"
		}},
		{name: "IP listed", edit: func(s *simzone.Setup, _ *scoring.Evidence) { s.Listed = map[string]string{"192.0.2.10": "127.0.0.2"} }},
		{name: "domain listed", edit: func(s *simzone.Setup, _ *scoring.Evidence) { s.Listed = map[string]string{"example.com": "127.0.1.2"} }},
	}
}

// fixture is a setup with the flaws applied.
type fixture struct {
	name  string
	setup simzone.Setup
	ev    scoring.Evidence
	post  []func(*dnstest.Server)
}

func makeFixture(t testing.TB, flaws ...flaw) fixture {
	s, ev := goodSetup(t)
	var names []string
	f := fixture{}
	for _, fl := range flaws {
		names = append(names, fl.name)
		if fl.edit != nil {
			fl.edit(&s, &ev)
		}
		if fl.post != nil {
			f.post = append(f.post, fl.post)
		}
	}
	f.name, f.setup, f.ev = strings.Join(names, " + "), s, ev
	return f
}

func (f fixture) serve(t testing.TB) (*dnstest.Server, *dnsx.Resolver) {
	srv, r := serve(t, f.setup)
	for _, p := range f.post {
		p(srv)
	}
	return srv, r
}

// corpus is every flaw alone, then a generated set: n setups with two to
// four flaws from different classes, from a fixed seed.
func corpus(t testing.TB, n int) []fixture {
	classes := [][]flaw{spfFlaws(t), dkimFlaws(t), dmarcFlaws(), hostFlaws()}
	var out []fixture
	for _, c := range classes {
		for _, fl := range c {
			out = append(out, makeFixture(t, fl))
		}
	}
	rng := rand.New(rand.NewPCG(10, 8461))
	for i := 0; i < n; i++ {
		var picked []flaw
		for _, ci := range rng.Perm(len(classes))[:2+rng.IntN(3)] {
			c := classes[ci]
			picked = append(picked, c[rng.IntN(len(c))])
		}
		out = append(out, makeFixture(t, picked...))
	}
	return out
}

// The fix round trip, as a property: for every check and every fixture in
// which it does not pass, publishing the fix exactly as printed (and the
// next fix, for a staged one such as DMARC p=none, at most
// fixproof.MaxRounds times) makes the check pass — or the fix says in
// Manual who must apply it elsewhere and why.
func TestEveryFixPublishedAsPrintedMakesItsCheckPass(t *testing.T) {
	n := 120
	if testing.Short() {
		n = 20
	}
	fixtures := corpus(t, n)
	checks := DNS()
	stats := map[string][3]int{} // check → proven, manual, staged
	failing := 0
	for _, f := range fixtures {
		_, r := f.serve(t)
		results := scoring.RunAll(context.Background(), &scoring.Env{Evidence: f.ev, DNS: r}, checks)
		for i, res := range results {
			if fixproof.Done(res.Status) || res.Status == scoring.Error {
				continue
			}
			failing++
			c := checks[i]
			srv, r := f.serve(t)
			o, err := fixproof.RoundTrip(context.Background(), srv, &scoring.Env{Evidence: f.ev, DNS: r}, c)
			st := stats[c.ID]
			switch {
			case err != nil:
				t.Errorf("%s / %s: %v", f.name, c.ID, err)
			case o.Manual != "":
				st[1]++
			case !o.Passed():
				t.Errorf("%s / %s: after %d published fix(es) still %s: %s\n%s\npublished:\n%s",
					f.name, c.ID, o.Rounds, o.Final.Status, o.Final.Title, o.Final.Detail, strings.Join(o.Steps, "\n--\n"))
			default:
				st[0]++
				if o.Rounds > 1 {
					st[2]++
				}
			}
			stats[c.ID] = st
		}
	}
	ids := make([]string, 0, len(stats))
	for id := range stats {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var lines []string
	for _, id := range ids {
		s := stats[id]
		lines = append(lines, fmt.Sprintf("  %-18s proven %3d (staged %d), manual %3d", id, s[0], s[2], s[1]))
	}
	t.Logf("fix round trip: %d fixtures (%d corpus + %d generated), %d failing (fixture, check) pairs:\n%s",
		len(fixtures), len(fixtures)-n, n, failing, strings.Join(lines, "\n"))
	if !slices.ContainsFunc(ids, func(id string) bool { return stats[id][0] > 0 }) {
		t.Fatal("no fix was proven")
	}
}

// recordNames are where each record-judging check's record is published,
// for the wording rule below.
var recordNames = map[string]string{
	"spf.record": "example.com", "spf.lookups": "example.com", "spf.all": "example.com", "spf.result": "example.com",
	"dmarc.record": "_dmarc.example.com", "dmarc.reporting": "_dmarc.example.com",
	"dkim.record": "s1._domainkey.example.com", "tlsrpt.record": "_smtp._tls.example.com",
	"mtasts.policy": "_mta-sts.example.com",
}

// The wording rule: a warn or fail detail shows the record as published,
// so the user sees what the verdict is about. Checked over the whole
// corpus: every record of the check's kind at its name is quoted.
func TestEveryWarnOrFailDetailShowsTheRecordAsPublished(t *testing.T) {
	versions := map[string]string{"spf": "v=spf1", "dmarc": "v=dmarc1", "dkim": "v=dkim1", "tlsrpt": "v=tlsrpt1", "mtasts": "v=stsv1"}
	checked := 0
	for _, f := range corpus(t, 40) {
		srv, r := f.serve(t)
		for _, res := range scoring.RunAll(context.Background(), &scoring.Env{Evidence: f.ev, DNS: r}, DNS()) {
			name, ok := recordNames[res.ID]
			if !ok || (res.Status != scoring.Warn && res.Status != scoring.Fail) {
				continue
			}
			prefix := versions[strings.SplitN(res.ID, ".", 2)[0]]
			for _, rr := range srv.Records(name) {
				txt, ok := rr.(*dns.TXT)
				if !ok {
					continue
				}
				value := strings.Join(txt.Txt, "")
				if !strings.HasPrefix(strings.ToLower(value), prefix) && !strings.Contains(strings.ToLower(value), prefix) {
					continue
				}
				checked++
				if !strings.Contains(res.Detail, value) {
					t.Errorf("%s / %s %s %q: the detail does not show %s as published: %q\n%s", f.name, res.ID, res.Status, res.Title, name, value, res.Detail)
				}
			}
		}
	}
	t.Logf("%d warn/fail details checked for the published record", checked)
}
