package dmarc

import (
	"encoding/json"
	"fmt"
	"net"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mailcred/mailcred/scoring/dnstest"
	"github.com/mailcred/mailcred/scoring/dnsx"
)

// zone is the cases.json "dns" shape: owner → a list of TXT RRs (each a
// list of character-strings), or an object of other RR types.
type zone map[string]json.RawMessage

// rrs turns a zone into records for dnstest.
func (z zone) rrs() ([]dns.RR, error) {
	var out []dns.RR
	names := make([]string, 0, len(z))
	for n := range z {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		raw := z[name]
		hdr := func(t uint16) dns.RR_Header {
			return dns.RR_Header{Name: dns.Fqdn(name), Rrtype: t, Class: dns.ClassINET, Ttl: 300}
		}
		var txts [][]string
		if err := json.Unmarshal(raw, &txts); err == nil {
			for _, strs := range txts {
				out = append(out, &dns.TXT{Hdr: hdr(dns.TypeTXT), Txt: strs})
			}
			continue
		}
		var other struct {
			A  []string
			MX [][2]any
		}
		if err := json.Unmarshal(raw, &other); err != nil {
			return nil, fmt.Errorf("zone %s: %w", name, err)
		}
		for _, a := range other.A {
			out = append(out, &dns.A{Hdr: hdr(dns.TypeA), A: net.ParseIP(a)})
		}
		for _, mx := range other.MX {
			pref, _ := mx[0].(float64)
			host, _ := mx[1].(string)
			out = append(out, &dns.MX{Hdr: hdr(dns.TypeMX), Preference: uint16(pref), Mx: dns.Fqdn(host)})
		}
	}
	return out, nil
}

// world is an in-process DNS server and a resolver pointed at it.
type world struct {
	srv *dnstest.Server
	r   *dnsx.Resolver
}

// newWorld starts dnstest with z; names in fail answer SERVFAIL.
func newWorld(t testing.TB, z zone, fail ...string) *world {
	t.Helper()
	srv, err := dnstest.Start("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	rrs, err := z.rrs()
	if err != nil {
		t.Fatal(err)
	}
	srv.Add(rrs...)
	for _, n := range fail {
		srv.SetFault(n, dnstest.ServFail)
	}
	return &world{srv: srv, r: newResolver(t, srv)}
}

// newResolver gives a resolver asking srv once per question with a 1s
// timeout: long enough for a loaded machine's loopback, short enough that
// the timeout tests stay quick.
func newResolver(t testing.TB, srv *dnstest.Server) *dnsx.Resolver {
	t.Helper()
	r, err := dnsx.New(dnsx.Config{Servers: []string{srv.Addr}, Timeout: time.Second, Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// txtZone is a zone of single-string TXT records.
func txtZone(kv ...string) zone {
	z := zone{}
	for i := 0; i+1 < len(kv); i += 2 {
		var txts [][]string
		if prev, ok := z[kv[i]]; ok {
			_ = json.Unmarshal(prev, &txts)
		}
		txts = append(txts, []string{kv[i+1]})
		b, _ := json.Marshal(txts)
		z[kv[i]] = b
	}
	return z
}

// txtQueries lists the TXT questions the server received, without the
// final dot, in arrival order.
func (w *world) txtQueries() []string {
	var out []string
	for _, q := range w.srv.Log() {
		if q.Qtype == dns.TypeTXT {
			out = append(out, strings.TrimSuffix(q.Name, "."))
		}
	}
	return out
}
