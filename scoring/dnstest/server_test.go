package dnstest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mailcred/mailcred/scoring/dnsx"
)

func ask(t *testing.T, s *Server, name string, qtype uint16, net string) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	c := &dns.Client{Net: net, Timeout: 300 * time.Millisecond}
	r, _, err := c.Exchange(m, s.Addr)
	if err != nil {
		t.Fatalf("%s %s over %s: %v", name, dns.TypeToString[qtype], net, err)
	}
	return r
}

func TestZoneAnswersAndNegativeAnswers(t *testing.T) {
	s, err := Start(`
$ORIGIN example.com.
@        IN SOA ns1 hostmaster 1 7200 3600 1209600 300
@        IN TXT "v=spf1 -all"
*.wild   IN A   192.0.2.7
alias    IN CNAME target
target   IN A   192.0.2.8
deep.a.b IN A   192.0.2.9
`)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tc := range []struct {
		name    string
		qtype   uint16
		rcode   int
		answers int
	}{
		{"example.com", dns.TypeTXT, dns.RcodeSuccess, 1},
		{"example.com", dns.TypeA, dns.RcodeSuccess, 0},
		{"nothere.example.com", dns.TypeA, dns.RcodeNameError, 0},
		{"x.wild.example.com", dns.TypeA, dns.RcodeSuccess, 1},
		{"alias.example.com", dns.TypeA, dns.RcodeSuccess, 2},
		{"a.b.example.com", dns.TypeA, dns.RcodeSuccess, 0}, // empty non-terminal
	} {
		r := ask(t, s, tc.name, tc.qtype, "udp")
		if r.Rcode != tc.rcode || len(r.Answer) != tc.answers || !r.Authoritative {
			t.Errorf("%s %s: rcode %s with %d answers, want %s with %d", tc.name, dns.TypeToString[tc.qtype],
				dns.RcodeToString[r.Rcode], len(r.Answer), dns.RcodeToString[tc.rcode], tc.answers)
		}
		if tc.answers == 0 && len(r.Ns) != 1 {
			t.Errorf("%s: negative answer without the SOA", tc.name)
		}
	}
	if got := ask(t, s, "x.wild.example.com", dns.TypeA, "udp").Answer[0].Header().Name; got != "x.wild.example.com." {
		t.Errorf("wildcard answer owner %q", got)
	}
}

func TestZoneChangesWhileRunning(t *testing.T) {
	s, err := Start("")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if r := ask(t, s, "_dmarc.example.com", dns.TypeTXT, "udp"); r.Rcode != dns.RcodeNameError {
		t.Fatalf("before publishing: %s", dns.RcodeToString[r.Rcode])
	}
	if err := s.AddRecord(`_dmarc.example.com. 60 IN TXT "v=DMARC1; p=none"`); err != nil {
		t.Fatal(err)
	}
	if r := ask(t, s, "_dmarc.example.com", dns.TypeTXT, "udp"); len(r.Answer) != 1 {
		t.Fatalf("after publishing: %v", r)
	}
	rr, _ := dns.NewRR(`_dmarc.example.com. 60 IN TXT "v=DMARC1; p=reject"`)
	s.Replace("_dmarc.example.com", dns.TypeTXT, rr)
	if r := ask(t, s, "_dmarc.example.com", dns.TypeTXT, "tcp"); !strings.Contains(r.Answer[0].String(), "p=reject") {
		t.Fatalf("after replacing: %v", r.Answer)
	}
	s.Remove("_dmarc.example.com", 0)
	if r := ask(t, s, "_dmarc.example.com", dns.TypeTXT, "udp"); r.Rcode != dns.RcodeNameError {
		t.Fatalf("after removing: %s", dns.RcodeToString[r.Rcode])
	}
	if s.Queries() != 4 || len(s.Log()) != 4 {
		t.Fatalf("counted %d queries, logged %d; want 4", s.Queries(), len(s.Log()))
	}
}

func TestOversizedUDPAnswerIsTruncated(t *testing.T) {
	s, err := Start("")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := 0; i < 20; i++ {
		s.AddRecord(fmt.Sprintf(`big.example.com. IN TXT "%02d %s"`, i, strings.Repeat("y", 60)))
	}
	udp := ask(t, s, "big.example.com", dns.TypeTXT, "udp") // no EDNS0: 512 bytes
	if !udp.Truncated || len(udp.Answer) == 20 {
		t.Fatalf("UDP answer of %d records, TC=%v; want truncated", len(udp.Answer), udp.Truncated)
	}
	if tcp := ask(t, s, "big.example.com", dns.TypeTXT, "tcp"); len(tcp.Answer) != 20 || tcp.Truncated {
		t.Fatalf("TCP answer of %d records", len(tcp.Answer))
	}
}

func TestFaultsAndLatency(t *testing.T) {
	s, err := Start(`example.com. IN A 192.0.2.1`)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.SetFault("example.com", ServFail)
	if r := ask(t, s, "example.com", dns.TypeA, "udp"); r.Rcode != dns.RcodeServerFailure {
		t.Fatalf("ServFail fault gave %s", dns.RcodeToString[r.Rcode])
	}
	s.SetFault("example.com", Refused)
	if r := ask(t, s, "example.com", dns.TypeA, "udp"); r.Rcode != dns.RcodeRefused {
		t.Fatalf("Refused fault gave %s", dns.RcodeToString[r.Rcode])
	}
	s.SetFault("example.com", Timeout)
	m := new(dns.Msg)
	m.SetQuestion("example.com.", dns.TypeA)
	if _, _, err := (&dns.Client{Timeout: 100 * time.Millisecond}).Exchange(m, s.Addr); err == nil {
		t.Fatal("Timeout fault answered")
	}
	s.SetFault("example.com", NoFault)
	s.SetLatency(30 * time.Millisecond)
	start := time.Now()
	ask(t, s, "example.com", dns.TypeA, "udp")
	if el := time.Since(start); el < 30*time.Millisecond {
		t.Fatalf("answer came after %s despite 30ms latency", el)
	}
}

// AddTXT keeps each character-string as given — quotes, backslashes and
// non-ASCII bytes included — as dnsx, which every check reads through,
// sees them.
func TestAddTXTKeepsRawStrings(t *testing.T) {
	s, err := Start("")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want := []string{`v=DKIM1; "quoted"`, `p=\abc;` + "\xe9\x01"}
	s.AddTXT("k._domainkey.example.com", want...)
	r, err := dnsx.New(dnsx.Config{Servers: []string{s.Addr}, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	got := r.Lookup(context.Background(), "k._domainkey.example.com", dnsx.TypeTXT).TXT()
	if len(got) != 1 || !slices.Equal(got[0], want) {
		t.Fatalf("served %q, want %q", got, want)
	}
}
