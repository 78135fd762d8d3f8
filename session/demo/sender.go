package demo

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"fmt"
	"net/mail"
	"net/netip"

	"github.com/mailcred/mailcred/scoring"
)

// The fictional sender: documentation addresses (RFC 5737, RFC 3849) and
// a documentation domain (RFC 2606), so nothing in the demo can reach a
// real host.
const (
	senderDomain  = "example.com"
	senderHost    = "mail.example.com"
	senderAddress = "you@example.com"
	dmarcRUA      = "mailto:dmarc@example.com"
)

// senderIPv4 is the sender's IPv4 address, 192.0.2.25 (TEST-NET-1).
func senderIPv4() netip.Addr { return netip.AddrFrom4([4]byte{192, 0, 2, 25}) }

// senderIPv6 is the sender's IPv6 address, 2001:db8::25.
func senderIPv6() netip.Addr {
	return netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: 0x25})
}

// Sender is the sending host as the world has it now: what a session needs
// to send as it, and what the checks need as Evidence.
type Sender struct {
	Domain string // example.com: From, MAIL FROM and DKIM d= domain
	HELO   string // mail.example.com: the EHLO name, MX and PTR target
	From   string // you@example.com
	IPv4   netip.Addr
	IPv6   netip.Addr
	// IPv6Enabled says whether the MTA sends over IPv6: then receivers see
	// IPv6, otherwise IPv4.
	IPv6Enabled bool
	// Selector and Key are what the MTA signs with once DKIM is set up
	// (Signing). The key exists from the start, as after `openssl genrsa`;
	// it is never printed (String redacts it).
	Selector string
	Key      crypto.Signer
	Signing  bool
}

// SourceIP is the address receivers see mail come from.
func (s Sender) SourceIP() netip.Addr {
	if s.IPv6Enabled {
		return s.IPv6
	}
	return s.IPv4
}

// IPs are the sending addresses in use: IPv4, and IPv6 while enabled.
func (s Sender) IPs() []netip.Addr {
	if s.IPv6Enabled {
		return []netip.Addr{s.IPv4, s.IPv6}
	}
	return []netip.Addr{s.IPv4}
}

// FromAddress is the From: of the demo's drafts.
func (s Sender) FromAddress() mail.Address { return mail.Address{Address: s.From} }

// Evidence is the input of scoring/catalog's DNS checks for this sender:
// the domain, the IPs in use, the HELO name, the selector, and the key
// while the MTA signs with it.
func (s Sender) Evidence() scoring.Evidence {
	ev := scoring.Evidence{Domain: s.Domain, MailFrom: s.From, IPs: s.IPs(), HELO: s.HELO, Selector: s.Selector}
	if s.Signing {
		ev.DKIMKey = s.Key
	}
	return ev
}

// String describes the sender without key material, so that printing a
// Sender with %v or %+v can never leak the private key.
func (s Sender) String() string {
	return fmt.Sprintf("{Domain:%s HELO:%s From:%s IPv4:%s IPv6:%s IPv6Enabled:%t Selector:%s Key:%s Signing:%t}",
		s.Domain, s.HELO, s.From, s.IPv4, s.IPv6, s.IPv6Enabled, s.Selector, describeKey(s.Key), s.Signing)
}

// GoString is String for %#v.
func (s Sender) GoString() string { return "demo.Sender" + s.String() }

// describeKey names a key by type and size only.
func describeKey(k crypto.Signer) string {
	if k == nil {
		return "none"
	}
	switch p := k.Public().(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA-%d(redacted)", p.N.BitLen())
	case ed25519.PublicKey:
		return "Ed25519(redacted)"
	}
	return "(redacted)"
}
