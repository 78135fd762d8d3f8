package smtpc

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"strings"
	"time"
)

// TLSMode says whether and how the client uses TLS.
type TLSMode string

// The TLS modes. The zero value means TLSOpportunistic.
const (
	TLSNone          TLSMode = "none"          // never, even when offered
	TLSStartTLS      TLSMode = "starttls"      // STARTTLS (RFC 3207) is required
	TLSImplicit      TLSMode = "implicit"      // TLS from the first byte (RFC 8314, port 465)
	TLSOpportunistic TLSMode = "opportunistic" // STARTTLS when the server offers it, like an MTA
)

// ParseTLSMode parses the --tls flag's value.
func ParseTLSMode(s string) (TLSMode, error) {
	switch m := TLSMode(strings.ToLower(s)); m {
	case TLSNone, TLSStartTLS, TLSImplicit, TLSOpportunistic:
		return m, nil
	case "":
		return TLSOpportunistic, nil
	}
	return "", fmt.Errorf("unknown TLS mode %q (want none, starttls, implicit or opportunistic)", s)
}

// Timeouts bound each step. RFC 5321 §4.5.3.2 suggests minutes (5 for the
// greeting, MAIL and RCPT, 10 for the end of data) for unattended MTAs; a
// person watching a transcript wants to know sooner, so the defaults are
// shorter, except for the end of data, where giving up early risks a
// duplicate delivery (§4.5.3.2.6).
type Timeouts struct {
	Connect time.Duration // TCP connect; default 30s
	Command time.Duration // one command and its reply, the greeting, a TLS handshake; default 60s
	Data    time.Duration // each write of the content, and the reply after "."; default 5m
}

// Options configure a session. Only Addr is required.
type Options struct {
	Addr       string // host:port to connect to
	ServerName string // name the certificate must be valid for (the MX host); default: Addr's host
	LocalAddr  string // local IP (or IP:port) to send from; default: chosen by the system
	Network    string // "tcp" (default), "tcp4" or "tcp6" to force a family
	HELO       string // name for EHLO/HELO; default: os.Hostname

	TLSMode            TLSMode
	TLSConfig          *tls.Config    // cloned; verification settings are overridden (see RequireVerifiedTLS)
	RootCAs            *x509.CertPool // roots for verification; default: TLSConfig.RootCAs, then the system's
	RequireVerifiedTLS bool           // a chain that does not verify for ServerName ends the session
	AllowPlaintextAuth bool           // allow AUTH without TLS (never needed on the internet)
	// AllowUnverifiedAuth sends credentials over TLS whose certificate did
	// not verify for ServerName (--auth-unverified-tls). Without it AUTH
	// needs a verified chain, unless ServerName is this machine (Loopback).
	AllowUnverifiedAuth bool

	Timeouts      Timeouts
	Events        func(Event) // called synchronously for every transcript event; nil: none
	MaxLine       int         // bytes kept of one reply line; default 4096 (the rest is discarded)
	MaxReplyLines int         // lines accepted in one reply; default 100
}

// normalize fills defaults and checks the options.
func (o Options) normalize() (Options, error) {
	host, _, err := net.SplitHostPort(o.Addr)
	if err != nil {
		return o, fmt.Errorf("address %q: %w", o.Addr, err)
	}
	if o.ServerName == "" {
		o.ServerName = strings.TrimSuffix(host, ".")
	}
	switch o.Network {
	case "":
		o.Network = "tcp"
	case "tcp", "tcp4", "tcp6":
	default:
		return o, fmt.Errorf("network %q: want tcp, tcp4 or tcp6", o.Network)
	}
	if o.HELO == "" {
		if h, err := os.Hostname(); err == nil && h != "" {
			o.HELO = h
		} else {
			o.HELO = "localhost"
		}
	}
	if strings.ContainsFunc(o.HELO, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return o, fmt.Errorf("HELO name %q: %w", o.HELO, ErrBadAddress)
	}
	if o.TLSMode, err = ParseTLSMode(string(o.TLSMode)); err != nil {
		return o, err
	}
	if o.Timeouts.Connect <= 0 {
		o.Timeouts.Connect = 30 * time.Second
	}
	if o.Timeouts.Command <= 0 {
		o.Timeouts.Command = 60 * time.Second
	}
	if o.Timeouts.Data <= 0 {
		o.Timeouts.Data = 5 * time.Minute
	}
	if o.MaxLine <= 0 {
		o.MaxLine = 4096
	}
	if o.MaxLine < 512 {
		o.MaxLine = 512 // RFC 5321 §4.5.3.1.5: a reply line may be 512 octets
	}
	if o.MaxReplyLines <= 0 {
		o.MaxReplyLines = 100
	}
	return o, nil
}

// localTCPAddr parses Options.LocalAddr: an IP, or IP:port.
func localTCPAddr(s string) (*net.TCPAddr, error) {
	if s == "" {
		return nil, nil
	}
	if ip := net.ParseIP(strings.Trim(s, "[]")); ip != nil {
		return &net.TCPAddr{IP: ip}, nil
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return nil, fmt.Errorf("local address %q: %w", s, err)
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return nil, fmt.Errorf("local address %q: not an IP address", s)
	}
	a, err := net.ResolveTCPAddr("tcp", net.JoinHostPort(ip.String(), port))
	if err != nil {
		return nil, fmt.Errorf("local address %q: %w", s, err)
	}
	return a, nil
}
