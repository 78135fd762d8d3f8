package session

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/mailcred/mailcred/session/mta"
	"github.com/mailcred/mailcred/session/smtpc"
)

// RouteKind says how a message leaves this host.
type RouteKind string

// The routes of `mailcred send --via`.
const (
	// ViaMX delivers straight to the recipient domain's mail exchangers,
	// as an MTA does (RFC 5321 §5.1).
	ViaMX RouteKind = "mx"
	// ViaHost delivers to one server, typically a submission server with
	// AUTH (RFC 6409) or a relay.
	ViaHost RouteKind = "host"
	// ViaSendmail hands the message to the local MTA's sendmail program.
	ViaSendmail RouteKind = "sendmail"
	// ViaMTA hands the message, unsigned unless the plan signs, to the
	// local MTA (exim or postfix) and follows the MTA's own delivery to
	// its end: the MTA signs, chooses the address and says HELO.
	ViaMTA RouteKind = "mta"
)

// Family restricts the IP family used to reach the server (-4 / -6).
type Family int

// The families. FamilyAny tries IPv6 addresses first, then IPv4 (the
// RFC 6724 default policy table prefers IPv6); -4 is the way out when the
// host's IPv6 address has no PTR, as in the demo's story.
const (
	FamilyAny Family = 0
	Family4   Family = 4
	Family6   Family = 6
)

// String is "IPv6 first, then IPv4", "IPv4 only" or "IPv6 only".
func (f Family) String() string {
	switch f {
	case Family4:
		return "IPv4 only"
	case Family6:
		return "IPv6 only"
	}
	return "IPv6 first, then IPv4"
}

// SMTPPort is where MX hosts listen for mail from other MTAs.
const SMTPPort = 25

// Route is where and how a message is delivered.
type Route struct {
	Kind RouteKind
	// HostPort is the server of ViaHost: "smtp.example.com:587",
	// "[2001:db8::25]:25".
	HostPort string
	// TLS is the TLS mode for ViaMX and ViaHost; empty means opportunistic.
	TLS    smtpc.TLSMode
	Family Family
	// SendmailPath is the program of ViaSendmail; empty means
	// smtpc.DefaultSendmail.
	SendmailPath string
	// Port is the port MX hosts are tried on; 0 means SMTPPort (25). Only
	// tests and the offline demo world set it: their MX hosts are loopback
	// servers on random ports. It has no effect on the other routes.
	Port int
	// LocalAddr is the local IP to send from; empty lets the OS choose.
	LocalAddr string
	// MTA is the MTA program of ViaMTA (--mta-command); an empty Argv
	// means the one Describe detects on this host.
	MTA mta.Command
}

// ParseRoute reads the --via and --tls flags: via is "mx" (or empty),
// "sendmail", "sendmail:PATH" or "HOST:PORT"; tls is "starttls",
// "implicit", "none", "opportunistic" or empty for the route's default —
// opportunistic, except implicit TLS for port 465 (RFC 8314 §3.3).
func ParseRoute(via, tls string) (Route, error) {
	via = strings.TrimSpace(via)
	mode, err := smtpc.ParseTLSMode(strings.TrimSpace(tls))
	if err != nil {
		return Route{}, fmt.Errorf("--tls: %w", err)
	}
	given := strings.TrimSpace(tls) != ""
	switch {
	case via == "" || strings.EqualFold(via, "mx"):
		if mode == smtpc.TLSImplicit {
			return Route{}, fmt.Errorf("--tls implicit cannot be used with --via mx: MX hosts take STARTTLS on port 25; implicit TLS is for submission on port 465 (RFC 8314)")
		}
		return Route{Kind: ViaMX, TLS: mode}, nil
	case strings.EqualFold(via, "mta"):
		if given {
			return Route{}, fmt.Errorf("--tls has no effect with --via mta: the MTA's own TLS settings decide")
		}
		return Route{Kind: ViaMTA}, nil
	case strings.EqualFold(via, "sendmail") || strings.HasPrefix(strings.ToLower(via), "sendmail:"):
		if given {
			return Route{}, fmt.Errorf("--tls has no effect with --via sendmail: the local MTA decides how it delivers")
		}
		path := ""
		if _, p, ok := strings.Cut(via, ":"); ok {
			if path = strings.TrimSpace(p); path == "" {
				return Route{}, fmt.Errorf("--via %q: give the program after the colon, e.g. sendmail:/usr/sbin/sendmail", via)
			}
		}
		return Route{Kind: ViaSendmail, SendmailPath: path}, nil
	}
	host, port, err := net.SplitHostPort(via)
	if err != nil || host == "" {
		return Route{}, fmt.Errorf("--via %q: want mx, mta, sendmail, or HOST:PORT such as smtp.example.com:587 or [2001:db8::1]:25", via)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return Route{}, fmt.Errorf("--via %q: port %q is not a number from 1 to 65535", via, port)
	}
	if strings.ContainsFunc(host, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '/' || r == '@' }) {
		return Route{}, fmt.Errorf("--via %q: %q is not a host name or IP address", via, host)
	}
	if !given && n == 465 {
		mode = smtpc.TLSImplicit
	}
	return Route{Kind: ViaHost, HostPort: net.JoinHostPort(host, port), TLS: mode}, nil
}

// String is the route as SMTPFacts and the JSON report name it: "mx",
// "HOST:PORT" or "sendmail".
func (r Route) String() string {
	switch r.Kind {
	case ViaHost:
		return r.HostPort
	case ViaSendmail:
		return "sendmail"
	case ViaMTA:
		return "mta"
	}
	return "mx"
}

// tlsMode is the effective TLS mode.
func (r Route) tlsMode() smtpc.TLSMode {
	if r.TLS == "" {
		return smtpc.TLSOpportunistic
	}
	return r.TLS
}

// mxPort is the port MX hosts are tried on.
func (r Route) mxPort() int {
	if r.Port > 0 {
		return r.Port
	}
	return SMTPPort
}

// sendmail is the program of ViaSendmail.
func (r Route) sendmail() string {
	if r.SendmailPath != "" {
		return r.SendmailPath
	}
	return smtpc.DefaultSendmail
}

// network is the dial network for the family.
func (f Family) network() string {
	switch f {
	case Family4:
		return "tcp4"
	case Family6:
		return "tcp6"
	}
	return "tcp"
}
