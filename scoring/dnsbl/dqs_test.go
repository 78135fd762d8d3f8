package dnsbl

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnsx"
)

// dqsKey has the shape of a DQS key (26 letters and digits); mixed case, as
// a user might paste it, though the zone asked is lower case.
const dqsKey = "Abc123def456ghi789jkl012mn"

// runDQS serves the DQS zones of lists on loopback and runs the checks with
// the key in the environment and in the resolver's mask.
func runDQS(t *testing.T, lists []List, id string, ev scoring.Evidence, publish func(w *world, dqs []List)) (scoring.Result, *world, []dnsx.Query) {
	t.Helper()
	dqs, ok := UseDQS(lists, dqsKey)
	if !ok {
		t.Fatal("UseDQS refused a well-formed key")
	}
	w := newWorld(t, dqs)
	r, err := dnsx.New(dnsx.Config{Servers: []string{w.srv.Addr}, Timeout: 500 * time.Millisecond, Attempts: 1, Mask: []string{dqsKey}})
	if err != nil {
		t.Fatal(err)
	}
	if publish != nil {
		publish(w, dqs)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, res := range scoring.RunAll(ctx, &scoring.Env{Evidence: ev, DNS: r}, checksFor(lists, dqsKey)) {
		if res.ID == id {
			return res, w, r.Log()
		}
	}
	t.Fatalf("no result %s", id)
	return scoring.Result{}, nil, nil
}

// assertKeyHidden fails if the key, in any case, is in what is shown.
func assertKeyHidden(t *testing.T, res scoring.Result, log []dnsx.Query) {
	t.Helper()
	b, _ := json.Marshal(struct {
		R scoring.Result
		L []dnsx.Query
	}{res, log})
	shown := strings.ToLower(string(b) + res.Title + res.Detail + fmt.Sprint(log))
	if strings.Contains(shown, strings.ToLower(dqsKey)) {
		t.Fatalf("the DQS key is shown:\n%s", b)
	}
	if !strings.Contains(string(b), "****.zen.dq.spamhaus.net") && !strings.Contains(string(b), "****.dbl.dq.spamhaus.net") {
		t.Errorf("no masked DQS name in the queries:\n%.600s", b)
	}
}

func byZoneName(lists []List, name string) List {
	for _, l := range lists {
		if l.Name == name {
			return l
		}
	}
	panic(name)
}

func TestDQSKeyAsksTheDQSZonesAndNeverShowsTheKey(t *testing.T) {
	lists := Filter(Catalogue(), IPList)
	res, w, log := runDQS(t, lists, "blocklist.ip", ipOnly, func(w *world, dqs []List) {
		w.publish(byZoneName(dqs, "Spamhaus ZEN (DQS)"), testIP.String(), lo(2), lo(4))
	})
	if res.Status != scoring.Fail {
		t.Fatalf("status %v (%s), want fail\n%s", res.Status, res.Title, res.Detail)
	}
	contains(t, "title", res.Title, "Spamhaus ZEN (DQS)")
	contains(t, "detail", res.Detail, "127.0.0.2: SBL", "127.0.0.4: XBL")
	wantName := "10.2.0.192." + strings.ToLower(dqsKey) + ".zen.dq.spamhaus.net."
	var sawDQS bool
	for _, name := range w.asked(dns.TypeA) {
		if strings.HasSuffix(name, ".zen.spamhaus.org.") {
			t.Errorf("the public zone was asked with a DQS key: %s", name)
		}
		sawDQS = sawDQS || strings.EqualFold(name, wantName)
	}
	if !sawDQS {
		t.Errorf("%s not asked; asked %v", wantName, w.asked(dns.TypeA))
	}
	assertKeyHidden(t, res, log)
}

func TestDQSDomainListing(t *testing.T) {
	lists := Filter(Catalogue(), DomainList)
	res, _, log := runDQS(t, lists, "blocklist.domain", scoring.Evidence{Domain: "example.com"}, func(w *world, dqs []List) {
		w.publish(byZoneName(dqs, "Spamhaus DBL (DQS)"), "example.com", addr4(127, 0, 1, 2))
	})
	if res.Status != scoring.Fail {
		t.Fatalf("status %v (%s), want fail\n%s", res.Status, res.Title, res.Detail)
	}
	contains(t, "title", res.Title, "Spamhaus DBL (DQS)")
	assertKeyHidden(t, res, log)
}

// A key DQS does not accept answers its own codes for every query, test
// points included: could not check, never listed, never clean; and the
// reason names the key, not the resolver.
func TestDQSKeyRefusals(t *testing.T) {
	for _, tc := range []struct {
		code byte
		want string
	}{{250, "DQS key is disabled"}, {251, "DQS key is not accepted"}} {
		t.Run(fmt.Sprint(tc.code), func(t *testing.T) {
			lists := Filter(Catalogue(), IPList)
			res, _, log := runDQS(t, lists, "blocklist.ip", ipOnly, func(w *world, dqs []List) {
				zen := byZoneName(dqs, "Spamhaus ZEN (DQS)")
				code := addr4(127, 255, 255, tc.code).String()
				for _, target := range []string{testIP.String(), zen.TestClean} {
					w.add(mustName(t, zen, target) + " 300 IN A " + code)
				}
				w.srv.Remove(mustName(t, zen, zen.TestListed), dns.TypeA)
				w.add(mustName(t, zen, zen.TestListed) + " 300 IN A " + code)
			})
			if res.Status != scoring.Error {
				t.Fatalf("status %v (%s), want error\n%s", res.Status, res.Title, res.Detail)
			}
			contains(t, "detail", res.Detail+res.Title, tc.want)
			assertKeyHidden(t, res, log)
		})
	}
}

func TestMalformedDQSKeyIsAnErrorNotAPublicQuery(t *testing.T) {
	lists := Filter(Catalogue(), IPList)
	w := newWorld(t, lists)
	ctx := context.Background()
	for _, key := range []scoring.Secret{"short", "abc.def.ghi.jkl.mno.pqr.stu", "abc123def456ghi789jkl012m!"} {
		res := scoring.RunAll(ctx, &scoring.Env{Evidence: ipOnly, DNS: w.r}, checksFor(lists, key))[0]
		if res.Status != scoring.Error || !strings.Contains(res.Title, "DQS key is malformed") {
			t.Errorf("key %q: %v %s", key.Reveal(), res.Status, res.Title)
		}
		if strings.Contains(res.Title+res.Detail, key.Reveal()) {
			t.Errorf("malformed key shown: %s", res.Detail)
		}
	}
	if len(w.asked(dns.TypeA)) != 0 {
		t.Errorf("lists were asked with a malformed key: %v", w.asked(dns.TypeA))
	}
}

func TestWithDQSReplacesOnlyTheBlocklistChecks(t *testing.T) {
	base := append([]scoring.Check{{ID: "spf.record"}}, Checks()...)
	if got := WithDQS(base, ""); &got[0] != &base[0] {
		t.Error("no key: the checks should be returned as they are")
	}
	got := WithDQS(base, dqsKey)
	if len(got) != len(base) || got[0].ID != "spf.record" || got[1].ID != "blocklist.ip" || got[2].ID != "blocklist.domain" {
		t.Fatalf("ids %v", []string{got[0].ID, got[1].ID, got[2].ID})
	}
	// The DQS check asks the DQS zone: run it against a world serving it.
	dqs, _ := UseDQS(Filter(Catalogue(), IPList), dqsKey)
	w := newWorld(t, dqs)
	w.publish(byZoneName(dqs, "Spamhaus ZEN (DQS)"), testIP.String(), lo(2))
	res := scoring.RunAll(context.Background(), &scoring.Env{Evidence: ipOnly, DNS: w.r}, got[1:2])[0]
	if res.Status != scoring.Fail || !strings.Contains(res.Title, "Spamhaus ZEN (DQS)") {
		t.Errorf("WithDQS's blocklist.ip: %v %s", res.Status, res.Title)
	}
}

func TestSecretNeverPrints(t *testing.T) {
	s := scoring.Secret(dqsKey)
	b, _ := json.Marshal(map[string]any{"k": s})
	for _, shown := range []string{fmt.Sprint(s), fmt.Sprintf("%v %s %q %#v %+v", s, s, s, s, s), string(b)} {
		if strings.Contains(shown, dqsKey) {
			t.Errorf("secret shown: %s", shown)
		}
	}
	if s.Reveal() != dqsKey {
		t.Error("Reveal lost the value")
	}
}
