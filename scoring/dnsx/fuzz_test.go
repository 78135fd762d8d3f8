package dnsx

import (
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// FuzzReply feeds what a hostile or broken server could send (any
// records, any rcode, under our question) through the checks a reply
// passes before it is believed and the classification that follows. It
// must never panic, and what it calls an answer must hold records of the
// type asked, owned by the end of the CNAME chain from our question.
func FuzzReply(f *testing.F) {
	seed := func(q string, qtype uint16, rrs ...string) {
		m := new(dns.Msg)
		m.SetQuestion(q, qtype)
		for _, s := range rrs {
			rr, err := dns.NewRR(s)
			if err != nil {
				f.Fatal(err)
			}
			m.Answer = append(m.Answer, rr)
		}
		m.Ns = append(m.Ns, &dns.SOA{Hdr: dns.RR_Header{Name: "example.com.", Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: 60},
			Ns: "ns.example.com.", Mbox: "h.example.com.", Minttl: 30})
		b, err := m.Pack()
		if err != nil {
			f.Fatal(err)
		}
		f.Add("example.com", uint8(0), b)
	}
	seed("example.com.", dns.TypeTXT, `example.com. 60 IN TXT "v=spf1 -all" "\195\169\\"`)
	seed("example.com.", dns.TypeTXT, "example.com. 60 IN CNAME a.example.net.", `a.example.net. 60 IN TXT "x"`)
	seed("example.com.", dns.TypeTXT, "example.com. 60 IN CNAME a.example.net.", "a.example.net. 60 IN CNAME example.com.")
	seed("example.com.", dns.TypeA, "other.example. 60 IN A 192.0.2.1")
	types := []uint16{dns.TypeTXT, dns.TypeA, dns.TypeAAAA, dns.TypeMX, dns.TypePTR, dns.TypeTLSA}
	f.Fuzz(func(t *testing.T, name string, typ uint8, wire []byte) {
		if len(wire) > 65535 {
			return
		}
		name = strings.ToLower(dns.Fqdn(name))
		if checkName(name) != nil {
			return
		}
		qtype := types[int(typ)%len(types)]
		query := new(dns.Msg)
		query.SetQuestion(name, qtype)
		out, err := query.Pack()
		if err != nil {
			return
		}
		query = asSent(query, out)
		reply := new(dns.Msg)
		if reply.Unpack(wire) != nil {
			return
		}
		// Under our question, so that the checks after matching run too.
		reply.Id, reply.Response, reply.Question = query.Id, true, query.Question
		if matches(query, reply) != nil {
			return
		}
		ans := &Answer{Name: name, Type: qtype}
		classify(ans, reply)
		ans.negTTL = negativeTTL(reply)
		ans.cacheTTL()
		for _, strs := range ans.TXT() {
			for _, s := range strs {
				if len(s) > 255 { // RFC 1035 §3.3: one length octet
					t.Fatalf("a character-string of %d bytes read back from the wire", len(s))
				}
			}
		}
		if ans.Outcome != Success {
			return
		}
		c := chainOf(reply)
		for _, rr := range ans.Records {
			if rr.Header().Rrtype != qtype {
				t.Fatalf("an answer to %s %s holds %s", name, dns.TypeToString[qtype], rr)
			}
			if owner := strings.ToLower(rr.Header().Name); owner != c.end() {
				t.Fatalf("a record owned by %s, not by the end of the chain %s", owner, c.end())
			}
		}
	})
}
