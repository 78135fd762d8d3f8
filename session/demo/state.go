package demo

import (
	"fmt"
	"maps"
	"net/netip"
	"strings"

	"github.com/mailcred/mailcred/scoring/dnsbl"
	"github.com/mailcred/mailcred/scoring/dnsx"
	"github.com/mailcred/mailcred/scoring/simzone"
)

// state is everything about the world that fixes change. The World keeps
// one under its mutex; providers judge a copy taken when they are asked.
type state struct {
	ipv6       bool // the MTA sends over IPv6 (receivers see 2001:db8::25)
	ptr4, ptr6 bool // forward-confirmed PTRs for the two addresses
	spf        string
	// extra holds more TXT records, name → value: the SPF include targets
	// of third-party senders in "spf-lookups".
	extra    map[string]string
	dkim     map[string]string // selector → published key record
	selector string            // the selector the MTA signs with (or will)
	signing  bool              // the MTA signs outgoing mail
	dmarc    string

	outlookBlock bool // Outlook's own block of the IP (S3140)
	zenListed    bool // 192.0.2.25 listed on Spamhaus ZEN (127.0.0.2)
	refuseLists  bool // every blocklist answers its public-resolver refusal
	omitTo       bool // the start draft leaves To: out
}

// clone copies the state, maps included.
func (s state) clone() state {
	s.extra = maps.Clone(s.extra)
	s.dkim = maps.Clone(s.dkim)
	return s
}

// sourceIP is the address receivers see in this state.
func (s state) sourceIP() netip.Addr {
	if s.ipv6 {
		return senderIPv6()
	}
	return senderIPv4()
}

// dmarcNone and dmarcReject are the two DMARC records the fixes publish:
// monitoring with aggregate reports first, then enforcement.
const (
	dmarcNone   = "v=DMARC1; p=none; rua=" + dmarcRUA
	dmarcReject = "v=DMARC1; p=reject; rua=" + dmarcRUA
)

// senderZone renders the sender's whole zone in this state through
// scoring/simzone (what the engine's own tests use), plus the Spamhaus
// ZEN listing when there is one.
func senderZone(s state) (string, error) {
	extra := maps.Clone(s.extra)
	if extra == nil {
		extra = map[string]string{}
	}
	for sel, rec := range s.dkim {
		if sel != s.selector {
			extra[sel+"._domainkey."+senderDomain] = rec
		}
	}
	v4, v6 := senderIPv4(), senderIPv6()
	zone, err := simzone.Zone(simzone.Setup{
		Domain: senderDomain, MailHost: senderHost,
		IPs: []netip.Addr{v4, v6}, PTR: map[netip.Addr]bool{v4: s.ptr4, v6: s.ptr6},
		SPF: s.spf, Extra: extra,
		Selector: s.selector, DKIM: s.dkim[s.selector],
		DMARC:            s.dmarc,
		RefuseBlocklists: s.refuseLists,
	})
	if err != nil {
		return "", fmt.Errorf("demo: sender zone: %w", err)
	}
	if s.zenListed {
		listing, err := zenListing(v4)
		if err != nil {
			return "", err
		}
		zone += listing
	}
	return zone, nil
}

// zenListing is Spamhaus ZEN's answer for a listed IPv4 address: the SBL
// code 127.0.0.2 and a TXT reason, as the real zone gives (RFC 5782 §2.1).
func zenListing(ip netip.Addr) (string, error) {
	zen, err := zenList()
	if err != nil {
		return "", err
	}
	name := strings.TrimSuffix(dnsx.ReverseName(ip), "in-addr.arpa.") + zen.Zone + "."
	return fmt.Sprintf("%s 300 IN A 127.0.0.2\n%s 300 IN TXT %q\n", name, name,
		"Listed by SBL, see https://check.spamhaus.org/query/ip/"+ip.String()), nil
}

// zenList is Spamhaus ZEN from the blocklist catalogue.
func zenList() (dnsbl.List, error) {
	for _, l := range dnsbl.Catalogue() {
		if l.Name == "Spamhaus ZEN" {
			return l, nil
		}
	}
	return dnsbl.List{}, fmt.Errorf("demo: Spamhaus ZEN is not in the blocklist catalogue")
}
