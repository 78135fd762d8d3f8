// Package simzone writes the DNS zone of a simulated sending setup — the
// sender's SPF, DKIM, DMARC, MX, A/AAAA and PTR records and the blocklists'
// answers — as master-file text for scoring/dnstest. The engine's tests,
// its benchmark and the offline demo world all describe their worlds with
// it, so what the demo shows is what the tests prove.
package simzone

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnsbl"
	"github.com/mailcred/mailcred/scoring/dnsx"
)

// Setup describes a sender's DNS. Empty strings mean "not published".
type Setup struct {
	Domain   string       // example.com
	MailHost string       // mail.example.com: the MX, the HELO name and the PTR target
	IPs      []netip.Addr // the sending IPs (A/AAAA of MailHost)
	// PTR says which sending IPs have a PTR to MailHost.
	PTR      map[netip.Addr]bool
	SPF      string            // the domain's SPF record
	Extra    map[string]string // more TXT records: name → value (include targets, report authorisations)
	Selector string
	DKIM     string // the key record at Selector._domainkey.Domain
	DMARC    string // the _dmarc record
	// Listed maps sending IPs or domains to the blocklist answer every list
	// gives them ("127.0.0.2"); nil means clean everywhere.
	Listed map[string]string
	// RefuseBlocklists makes every list answer with its public-resolver
	// refusal code, as Spamhaus does for queries through 8.8.8.8.
	RefuseBlocklists bool
}

// Zone renders the setup as master-file text.
func Zone(s Setup) (string, error) {
	var b strings.Builder
	d, host := s.Domain, s.MailHost
	fmt.Fprintf(&b, "%s. 3600 IN SOA ns1.%s. hostmaster.%s. 1 7200 3600 1209600 300\n", d, d, d)
	fmt.Fprintf(&b, "%s. 3600 IN MX 10 %s.\n", d, host)
	for _, ip := range s.IPs {
		t := "A"
		if ip.Is6() {
			t = "AAAA"
		}
		fmt.Fprintf(&b, "%s. 300 IN %s %s\n", host, t, ip)
		if s.PTR[ip] {
			fmt.Fprintf(&b, "%s 300 IN PTR %s.\n", dnsx.ReverseName(ip), host)
		}
	}
	txt := func(name, value string) {
		b.WriteString(scoring.TXTRecord(name, value).ZoneLine() + "\n")
	}
	if s.SPF != "" {
		txt(d, s.SPF)
	}
	if s.DKIM != "" {
		txt(s.Selector+"._domainkey."+d, s.DKIM)
	}
	if s.DMARC != "" {
		txt("_dmarc."+d, s.DMARC)
	}
	names := make([]string, 0, len(s.Extra))
	for n := range s.Extra {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		txt(n, s.Extra[n])
	}
	lists := dnsbl.Catalogue()
	if s.RefuseBlocklists {
		for _, l := range lists {
			if len(l.Refusals) == 0 {
				continue
			}
			// A wildcard answers every query under the zone with the
			// refusal, test points included, as the real lists do.
			fmt.Fprintf(&b, "*.%s. 300 IN A %s\n", l.Zone, publicResolverRefusal(l))
		}
	}
	bl, err := dnsbl.SimulatedZone(lists, s.Listed)
	if err != nil {
		return "", fmt.Errorf("simulated blocklists: %w", err)
	}
	b.WriteString(bl)
	return b.String(), nil
}

// publicResolverRefusal is the code a list gives queries from a public
// resolver: the refusal that says so, else its first one.
func publicResolverRefusal(l dnsbl.List) netip.Addr {
	for _, r := range l.Refusals {
		if strings.Contains(r.Reason, "public") {
			return r.Addr
		}
	}
	return l.Refusals[0].Addr
}
