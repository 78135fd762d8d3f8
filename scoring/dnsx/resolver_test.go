package dnsx_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/miekg/dns"

	"github.com/mailcred/mailcred/scoring/dnstest"
	"github.com/mailcred/mailcred/scoring/dnsx"
)

const zone = `
example.com.        300 IN SOA ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 300
example.com.        300 IN TXT "v=spf1 ip4:192.0.2.1 -all"
example.com.        300 IN MX  10 mail.example.com.
mail.example.com.    60 IN A   192.0.2.1
mail.example.com.    60 IN AAAA 2001:db8::1
www.example.com.    300 IN CNAME mail.example.com.
split.example.com.  300 IN TXT "v=DKIM1; k=rsa; " "p=ABC"
a.b.example.com.    300 IN A   192.0.2.9
`

func start(t *testing.T, z string) *dnstest.Server {
	t.Helper()
	s, err := dnstest.Start(z)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func resolver(t *testing.T, s *dnstest.Server, cfg dnsx.Config) *dnsx.Resolver {
	t.Helper()
	cfg.Servers = []string{s.Addr}
	if cfg.Timeout == 0 {
		cfg.Timeout = 300 * time.Millisecond
	}
	r, err := dnsx.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestOutcomesAreDistinct(t *testing.T) {
	s := start(t, zone)
	s.AddRecord("fail.example.com. 300 IN A 192.0.2.2")
	s.AddRecord("refuse.example.com. 300 IN A 192.0.2.3")
	s.AddRecord("slow.example.com. 300 IN A 192.0.2.4")
	s.SetFault("fail.example.com", dnstest.ServFail)
	s.SetFault("refuse.example.com", dnstest.Refused)
	s.SetFault("slow.example.com", dnstest.Timeout)
	r := resolver(t, s, dnsx.Config{Timeout: 100 * time.Millisecond, Attempts: 1})
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		qtype uint16
		want  dnsx.Outcome
	}{
		{"example.com", dns.TypeTXT, dnsx.Success},
		{"nosuch.example.com", dns.TypeTXT, dnsx.NXDomain},
		{"mail.example.com", dns.TypeTXT, dnsx.NoData},
		{"b.example.com", dns.TypeA, dnsx.NoData}, // empty non-terminal
		{"fail.example.com", dns.TypeA, dnsx.ServFail},
		{"refuse.example.com", dns.TypeA, dnsx.Refused},
		{"slow.example.com", dns.TypeA, dnsx.Timeout},
	} {
		t.Run(fmt.Sprintf("%s %s is %s", tc.name, dns.TypeToString[tc.qtype], tc.want), func(t *testing.T) {
			ans := r.Lookup(ctx, tc.name, tc.qtype)
			if ans.Outcome != tc.want {
				t.Fatalf("outcome %s, want %s (err %v)", ans.Outcome, tc.want, ans.Err)
			}
			err := ans.Error()
			if (err == nil) != (tc.want == dnsx.Success) {
				t.Fatalf("Error() = %v for %s", err, tc.want)
			}
			var de *dnsx.Error
			if err != nil && (!errors.As(err, &de) || de.Temporary() != tc.want.Temporary()) {
				t.Fatalf("Error() = %#v, temporary should be %v", err, tc.want.Temporary())
			}
		})
	}
}

func TestAnswersKeepTTLAndSplitStrings(t *testing.T) {
	s := start(t, zone)
	r := resolver(t, s, dnsx.Config{})
	ans := r.Lookup(context.Background(), "split.example.com", dns.TypeTXT)
	if got := ans.TXT(); len(got) != 1 || len(got[0]) != 2 {
		t.Fatalf("TXT() = %q, want one record of two strings", got)
	}
	if got := ans.JoinedTXT(); got[0] != "v=DKIM1; k=rsa; p=ABC" {
		t.Fatalf("JoinedTXT() = %q", got)
	}
	a := r.Lookup(context.Background(), "mail.example.com", dns.TypeA)
	log := r.Log()
	if a.Records[0].Header().Ttl != 60 || log[len(log)-1].TTL != 60 {
		t.Fatalf("TTL lost: record %d, log %d", a.Records[0].Header().Ttl, log[len(log)-1].TTL)
	}
}

func TestCNAMEIsFollowed(t *testing.T) {
	s := start(t, zone)
	r := resolver(t, s, dnsx.Config{})
	addrs, out := r.LookupAddrs(context.Background(), "www.example.com")
	if out != dnsx.Success || len(addrs) != 2 {
		t.Fatalf("LookupAddrs = %v %s, want the two addresses of mail", addrs, out)
	}
}

func TestTruncatedUDPFallsBackToTCP(t *testing.T) {
	s := start(t, zone)
	s.SetFault("example.com", dnstest.Truncate)
	r := resolver(t, s, dnsx.Config{})
	ans := r.Lookup(context.Background(), "example.com", dns.TypeTXT)
	if ans.Outcome != dnsx.Success || len(ans.JoinedTXT()) != 1 {
		t.Fatalf("after TC: %s %v", ans.Outcome, ans.JoinedTXT())
	}
	if n := s.Queries(); n != 2 {
		t.Fatalf("server saw %d queries, want 2 (UDP then TCP)", n)
	}
}

func TestLargeAnswerUsesEDNSOrTCP(t *testing.T) {
	s := start(t, "")
	for i := 0; i < 40; i++ {
		s.AddRecord(fmt.Sprintf(`big.example.com. 300 IN TXT "record %02d %s"`, i, strings.Repeat("x", 100)))
	}
	r := resolver(t, s, dnsx.Config{})
	ans := r.Lookup(context.Background(), "big.example.com", dns.TypeTXT)
	if ans.Outcome != dnsx.Success || len(ans.Records) != 40 {
		t.Fatalf("got %s with %d records, want all 40", ans.Outcome, len(ans.Records))
	}
}

func TestInFlightDeduplicationAndCache(t *testing.T) {
	s := start(t, zone)
	s.SetLatency(50 * time.Millisecond)
	r := resolver(t, s, dnsx.Config{})
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ans := r.Lookup(context.Background(), "Example.COM", dns.TypeTXT); ans.Outcome != dnsx.Success {
				t.Errorf("outcome %s", ans.Outcome)
			}
		}()
	}
	wg.Wait()
	r.Lookup(context.Background(), "example.com.", dns.TypeTXT)
	if n := s.Queries(); n != 1 {
		t.Fatalf("server saw %d queries for 11 identical lookups, want 1", n)
	}
	r.Flush()
	r.Lookup(context.Background(), "example.com", dns.TypeTXT)
	if n := s.Queries(); n != 2 {
		t.Fatalf("after Flush the server saw %d queries, want 2", n)
	}
}

func TestContextCancellationStopsALookup(t *testing.T) {
	s := start(t, zone)
	s.SetFault("example.com", dnstest.Timeout)
	r := resolver(t, s, dnsx.Config{Timeout: 5 * time.Second, Attempts: 3})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	ans := r.Lookup(ctx, "example.com", dns.TypeTXT)
	if !ans.Outcome.Temporary() {
		t.Fatalf("outcome %s, want a temporary one", ans.Outcome)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("cancelled lookup took %s", el)
	}
	// The cancelled result must not be cached for the next caller.
	s.SetFault("example.com", dnstest.NoFault)
	if ans := r.Lookup(context.Background(), "example.com", dns.TypeTXT); ans.Outcome != dnsx.Success {
		t.Fatalf("after cancellation: %s", ans.Outcome)
	}
}

func TestRetryAfterTimeoutUsesNextServer(t *testing.T) {
	dead := start(t, zone)
	dead.SetFault("example.com", dnstest.Timeout)
	good := start(t, zone)
	r, err := dnsx.New(dnsx.Config{Servers: []string{dead.Addr, good.Addr}, Timeout: 100 * time.Millisecond, Attempts: 2})
	if err != nil {
		t.Fatal(err)
	}
	ans := r.Lookup(context.Background(), "example.com", dns.TypeTXT)
	if ans.Outcome != dnsx.Success || ans.Server != good.Addr {
		t.Fatalf("got %s from %s, want success from the second server", ans.Outcome, ans.Server)
	}
}

func TestRecorderSeesEachChecksQueries(t *testing.T) {
	s := start(t, zone)
	r := resolver(t, s, dnsx.Config{})
	rec1, rec2 := &dnsx.Recorder{}, &dnsx.Recorder{}
	r.Lookup(dnsx.WithRecorder(context.Background(), rec1), "example.com", dns.TypeTXT)
	r.Lookup(dnsx.WithRecorder(context.Background(), rec2), "example.com", dns.TypeTXT)
	q1, q2 := rec1.Queries(), rec2.Queries()
	if len(q1) != 1 || q1[0].Cached || len(q2) != 1 || !q2[0].Cached {
		t.Fatalf("recorders: %+v / %+v; want one live then one cached", q1, q2)
	}
	if len(r.Log()) != 1 {
		t.Fatalf("run log has %d entries, want 1 (cache hits are not new queries)", len(r.Log()))
	}
}

// Fresh mode: the recursive server still serves an old record; the
// authoritative one has the new one and must win.
func TestFreshModeAsksTheAuthoritativeServer(t *testing.T) {
	auth := start(t, `
example.com. 300 IN TXT "v=spf1 ip4:192.0.2.1 -all"
`)
	_, authPort, _ := net.SplitHostPort(auth.Addr)
	recursive := start(t, `
example.com.     300 IN TXT "v=spf1 -all"
example.com.     300 IN NS  ns1.example.com.
ns1.example.com. 300 IN A   127.0.0.1
`)
	r, err := dnsx.New(dnsx.Config{Servers: []string{recursive.Addr}, Fresh: []string{"example.com"}, AuthPort: authPort})
	if err != nil {
		t.Fatal(err)
	}
	ans := r.Lookup(context.Background(), "example.com", dns.TypeTXT)
	if got := ans.JoinedTXT(); len(got) != 1 || got[0] != "v=spf1 ip4:192.0.2.1 -all" || ans.Server != auth.Addr {
		t.Fatalf("fresh lookup got %q from %s, want the authoritative record", got, ans.Server)
	}
	other := r.Lookup(context.Background(), "ns1.example.com", dns.TypeA)
	if other.Server != auth.Addr {
		t.Fatalf("names under the fresh domain go to its servers; got %s", other.Server)
	}
}

func TestFreshModeFallsBackWhenAuthoritativeIsDown(t *testing.T) {
	recursive := start(t, `
example.com.     300 IN TXT "v=spf1 -all"
example.com.     300 IN NS  ns1.example.com.
ns1.example.com. 300 IN A   127.0.0.1
`)
	r, err := dnsx.New(dnsx.Config{Servers: []string{recursive.Addr}, Fresh: []string{"example.com"},
		AuthPort: "1", Timeout: 200 * time.Millisecond, Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	ans := r.Lookup(context.Background(), "example.com", dns.TypeTXT)
	if ans.Outcome != dnsx.Success || ans.Server != recursive.Addr {
		t.Fatalf("got %s from %s, want the recursive answer", ans.Outcome, ans.Server)
	}
}

// go-msgauth must see our resolver, with its temporary/permanent split intact.
func TestLookupTXTFuncFeedsGoMsgauth(t *testing.T) {
	s := start(t, zone)
	s.SetFault("broken._domainkey.example.com", dnstest.ServFail)
	r := resolver(t, s, dnsx.Config{})
	lookup := r.LookupTXTFunc(context.Background())
	if txts, err := lookup("split.example.com"); err != nil || txts[0] != "v=DKIM1; k=rsa; p=ABC" {
		t.Fatalf("lookup = %q, %v", txts, err)
	}
	_, err := lookup("missing.example.com")
	var de *net.DNSError
	if !errors.As(err, &de) || !de.IsNotFound || de.IsTemporary {
		t.Fatalf("NXDOMAIN gave %#v", err)
	}
	_, err = lookup("broken._domainkey.example.com")
	if !errors.As(err, &de) || !de.IsTemporary {
		t.Fatalf("SERVFAIL gave %#v", err)
	}
	// Through the library: a SERVFAIL on the key is a temporary failure.
	msg := "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=broken; h=From; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA\r\nFrom: a@example.com\r\n\r\n"
	vs, err := dkim.VerifyWithOptions(strings.NewReader(msg), &dkim.VerifyOptions{LookupTXT: lookup})
	if err != nil || len(vs) != 1 || !dkim.IsTempFail(vs[0].Err) {
		t.Fatalf("go-msgauth verification: %v %+v", err, vs)
	}
}

func TestNormalizeServer(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1":      "127.0.0.1:53",
		"127.0.0.1:5353": "127.0.0.1:5353",
		"::1":            "[::1]:53",
		"[::1]:5353":     "[::1]:5353",
		"localhost":      "localhost:53",
	} {
		if got, err := dnsx.NormalizeServer(in); err != nil || got != want {
			t.Errorf("NormalizeServer(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "nonsense", "dns.example:53", "127.0.0.1:", ":53"} {
		if _, err := dnsx.NormalizeServer(bad); err == nil {
			t.Errorf("%q accepted: a resolver is an IP address (or localhost)", bad)
		}
	}
}

func TestIPv6ReverseNameIsNibbles(t *testing.T) {
	r := dnsx.ReverseName(mustAddr("2001:db8::1"))
	if !strings.HasPrefix(r, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa") {
		t.Fatalf("ReverseName = %s", r)
	}
}

// A cancelled lookup ends with the cancellation while its question is in
// flight, not when an answer or the timeout comes (both a minute away).
func TestCancelStopsAQueryInFlight(t *testing.T) {
	s := start(t, zone)
	s.SetLatency(time.Minute)
	r := resolver(t, s, dnsx.Config{Timeout: 2 * time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan *dnsx.Answer, 1)
	go func() { got <- r.Lookup(ctx, "example.com", dns.TypeTXT) }()
	for s.Queries() == 0 {
		runtime.Gosched() // until the question is on its way
	}
	cancel()
	if ans := <-got; ans.Outcome != dnsx.Failure || !errors.Is(ans.Err, context.Canceled) {
		t.Fatalf("cancelled in flight: %s (%v)", ans.Outcome, ans.Err)
	}
}

func TestFreshModeSurvivesACNAMEdName(t *testing.T) {
	srv := start(t, `
example.com.                300 IN NS    ns1.example.com.
ns1.example.com.            300 IN A     127.0.0.1
s1._domainkey.example.com.  300 IN CNAME s1.dkim.provider.test.
s1.dkim.provider.test.      300 IN TXT   "v=DKIM1; p="
`)
	_, port, _ := net.SplitHostPort(srv.Addr)
	r, err := dnsx.New(dnsx.Config{Servers: []string{srv.Addr}, Fresh: []string{"example.com"}, AuthPort: port, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ { // the second lookup must not wait on a stranded first
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		ans := r.Lookup(ctx, "s1._domainkey.example.com", dns.TypeTXT)
		cancel()
		if ans.Outcome != dnsx.Success || ans.JoinedTXT()[0] != "v=DKIM1; p=" {
			t.Fatalf("lookup %d: %s %v", i, ans.Outcome, ans.Err)
		}
	}
}

func TestInvalidNameIsNotATemporaryFailure(t *testing.T) {
	srv := start(t, zone)
	r := resolver(t, srv, dnsx.Config{})
	ans := r.Lookup(context.Background(), strings.Repeat("x", 64)+".example.com", dns.TypeTXT)
	if ans.Outcome != dnsx.Invalid || ans.Outcome.Temporary() || srv.Queries() != 0 {
		t.Fatalf("got %s (temporary %v), %d queries sent", ans.Outcome, ans.Outcome.Temporary(), srv.Queries())
	}
}

func TestTXTIsRawBytes(t *testing.T) {
	s := start(t, `odd.example.com. IN TXT "has \"quote\" and \\ backslash and \195\169"`)
	r := resolver(t, s, dnsx.Config{})
	got := r.Lookup(context.Background(), "odd.example.com", dns.TypeTXT).JoinedTXT()
	if want := `has "quote" and \ backslash and é`; len(got) != 1 || got[0] != want {
		t.Fatalf("JoinedTXT = %q, want %q", got, want)
	}
}
