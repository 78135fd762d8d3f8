package session

import (
	"crypto/x509"
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/session/compose"
	"github.com/mailcred/mailcred/session/explain"
	"github.com/mailcred/mailcred/session/mta"
	"github.com/mailcred/mailcred/session/sign"
	"github.com/mailcred/mailcred/session/smtpc"
)

// Plan is everything a send needs, as a plain value: Send takes it by
// value and never changes it, so the draft the user typed survives any
// failure.
type Plan struct {
	Message compose.Message
	// Domain is the sending domain: the Message-ID is made on it and the
	// checks judge it. Empty means the From address's domain.
	Domain string
	// EnvelopeFrom is the MAIL FROM address (RFC 5321 §4.1.1.2), where
	// bounces go. Empty means the From address.
	EnvelopeFrom string
	// Recipients are the RCPT TO addresses. Empty means To and Cc.
	Recipients []string
	Route      Route
	// HELO is the name given in EHLO; empty means this host's name.
	HELO string
	// Auth authenticates to a submission server (ViaHost only). The
	// password is masked in every transcript event and never printed.
	Auth *smtpc.Credentials
	// DKIM signs the message; nil sends it unsigned.
	DKIM *sign.Options
	// RequireVerifiedTLS ends the session when the server's certificate
	// does not verify (--tls-verify); otherwise the result is reported
	// only, as MTAs do with opportunistic TLS.
	RequireVerifiedTLS bool
	// AllowUnverifiedAuth sends the AUTH password over TLS whose
	// certificate did not verify (--auth-unverified-tls); without it the
	// send stops before AUTH unless the server is this machine.
	AllowUnverifiedAuth bool
	// RootCAs verify server certificates; nil means the system's roots.
	RootCAs  *x509.CertPool
	Timeouts smtpc.Timeouts
	// Explainer explains the server's answer; nil loads the embedded
	// knowledge base for each Send.
	Explainer *explain.KB
	// MTA are the options of ViaMTA: the postfix log source, how long to
	// follow it; its Command and Events are set by Send from the route.
	MTA mta.Options
}

// String describes the plan without secrets: printing a Plan with %v must
// never show the password or the DKIM key.
func (p Plan) String() string {
	auth := "none"
	if p.Auth != nil {
		auth = "user " + p.Auth.User + " (password redacted)"
	}
	dkim := "unsigned"
	if p.DKIM != nil {
		dkim = p.DKIM.String()
	}
	return fmt.Sprintf("send %s → %s via %s (auth %s, dkim %s)",
		p.envelopeFrom(), strings.Join(p.recipients(), ", "), p.Route, auth, dkim)
}

// GoString is String for %#v.
func (p Plan) GoString() string { return "session.Plan{" + p.String() + "}" }

// PlanError lists every problem of a plan found before anything connects.
// Each problem is a *compose.FieldError.
type PlanError struct {
	Problems []error
}

// Error lists the problems, one per line.
func (e *PlanError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Error()
	}
	return "the message cannot be sent:\n  " + strings.Join(parts, "\n  ")
}

// Unwrap returns the problems, for errors.As on a *compose.FieldError.
func (e *PlanError) Unwrap() []error { return e.Problems }

func problem(field, format string, args ...any) error {
	return &compose.FieldError{Field: field, Problem: fmt.Sprintf(format, args...)}
}

// Validate reports every problem of the plan at once — the draft's own
// (compose.Validate) and the envelope's, route's, AUTH's and DKIM's — and
// never changes it. Nil means Send may connect.
func (p Plan) Validate() []error {
	errs := p.Message.Validate()
	if p.EnvelopeFrom != "" {
		if err := checkEnvelopeAddress(p.EnvelopeFrom); err != "" {
			errs = append(errs, problem("EnvelopeFrom", "%q: %s", p.EnvelopeFrom, err))
		}
	}
	rcpts := p.recipients()
	if len(rcpts) == 0 && !reported(errs, "To") {
		errs = append(errs, problem("Recipients", "no recipient: give at least one To (or Cc) address"))
	}
	for i, r := range p.Recipients {
		if err := checkEnvelopeAddress(r); err != "" {
			errs = append(errs, problem(fmt.Sprintf("Recipients[%d]", i), "%q: %s", r, err))
		}
	}
	if p.Domain != "" && strings.ContainsAny(p.Domain, " \t\r\n@<>") {
		errs = append(errs, problem("Domain", "%q is not a domain name", p.Domain))
	}
	if strings.ContainsFunc(p.HELO, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		errs = append(errs, problem("HELO", "%q: a HELO name is one word, a host name such as mail.example.com (RFC 5321 §4.1.1.1)", p.HELO))
	}
	errs = append(errs, p.validateRoute(rcpts)...)
	if a := p.Auth; a != nil {
		if a.User == "" || a.Password == "" {
			errs = append(errs, problem("Auth", "AUTH needs a user name and a password"))
		}
		if p.Route.Kind != ViaHost {
			errs = append(errs, problem("Auth", "AUTH is for a submission server: use --via HOST:PORT (e.g. smtp.example.com:587); MX hosts do not take passwords"))
		}
	}
	if d := p.DKIM; d != nil {
		if d.Domain == "" || d.Selector == "" || d.Key == nil {
			errs = append(errs, problem("DKIM", "signing needs a domain, a selector and a private key"))
		}
	}
	return errs
}

// validateRoute checks the route against the rest of the plan.
func (p Plan) validateRoute(rcpts []string) []error {
	var errs []error
	r := p.Route
	switch r.Kind {
	case ViaMX:
		if domains := recipientDomains(rcpts); len(domains) > 1 {
			errs = append(errs, problem("Route", "--via mx delivers to one domain per send, and the recipients are in %d (%s): send once per domain, or use --via HOST:PORT",
				len(domains), strings.Join(domains, ", ")))
		}
		if r.tlsMode() == smtpc.TLSImplicit {
			errs = append(errs, problem("Route", "MX hosts take STARTTLS on port 25, not implicit TLS"))
		}
	case ViaHost:
		host, port, err := net.SplitHostPort(r.HostPort)
		if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
			errs = append(errs, problem("Route", "server %q: want HOST:PORT with a port from 1 to 65535", r.HostPort))
		}
	case ViaSendmail, ViaMTA:
		if p.RequireVerifiedTLS {
			errs = append(errs, problem("Route", "--tls-verify has no effect with --via %s: configure the MTA instead", r.Kind))
		}
		if r.Kind == ViaMTA && len(r.MTA.Argv) > 0 && !r.MTA.Kind.Driven() {
			errs = append(errs, problem("Route", "the MTA command %q is not exim or postfix: its delivery cannot be followed", r.MTA))
		}
	default:
		errs = append(errs, problem("Route", "unknown route %q: want mx, host, sendmail or mta", r.Kind))
	}
	if r.Kind != ViaSendmail && r.Kind != ViaMTA {
		if _, err := smtpc.ParseTLSMode(string(r.TLS)); err != nil {
			errs = append(errs, problem("Route", "%v", err))
		}
		if p.RequireVerifiedTLS && r.tlsMode() == smtpc.TLSNone {
			errs = append(errs, problem("Route", "--tls-verify with --tls none: there is no certificate to verify"))
		}
	}
	if r.Port < 0 || r.Port > 65535 {
		errs = append(errs, problem("Route", "MX port %d: want 1 to 65535, or 0 for %d", r.Port, SMTPPort))
	}
	if r.LocalAddr != "" {
		if _, err := netip.ParseAddr(strings.Trim(r.LocalAddr, "[]")); err != nil {
			errs = append(errs, problem("Route", "local address %q is not an IP address", r.LocalAddr))
		}
	}
	if r.Family != FamilyAny && r.Family != Family4 && r.Family != Family6 {
		errs = append(errs, problem("Route", "address family %d: want 4 or 6", r.Family))
	}
	return errs
}

// checkEnvelopeAddress returns what is wrong with an envelope address, or
// "": local@domain, ASCII, nothing that could break the command line.
func checkEnvelopeAddress(a string) string {
	if strings.ContainsFunc(a, func(r rune) bool { return r < ' ' || r == 0x7f || r == '<' || r == '>' || r > 0x7e }) {
		return "contains a control character, an angle bracket or non-ASCII text"
	}
	parsed, err := mail.ParseAddress("<" + a + ">")
	if err != nil || parsed.Address != a || !strings.Contains(a, "@") {
		return "not an address of the form local@domain"
	}
	return ""
}

// envelopeFrom is MAIL FROM.
func (p Plan) envelopeFrom() string {
	if p.EnvelopeFrom != "" {
		return p.EnvelopeFrom
	}
	return p.Message.From.Address
}

// recipients are the RCPT TO addresses.
func (p Plan) recipients() []string {
	if len(p.Recipients) > 0 {
		return append([]string(nil), p.Recipients...)
	}
	var out []string
	for _, list := range [][]mail.Address{p.Message.To, p.Message.Cc} {
		for _, a := range list {
			out = append(out, a.Address)
		}
	}
	return out
}

// domain is the sending domain.
func (p Plan) domain() string {
	if d := strings.TrimSuffix(strings.TrimSpace(p.Domain), "."); d != "" {
		return strings.ToLower(d)
	}
	return scoring.DomainOf(p.Message.From.Address)
}

// helo is the EHLO name, computed as smtpc does so the checks judge the
// name that was actually sent.
func (p Plan) helo() string {
	if p.HELO != "" {
		return p.HELO
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "localhost"
}

// recipientDomains lists the distinct domains of rcpts, in order.
func recipientDomains(rcpts []string) []string {
	var out []string
	for _, r := range rcpts {
		if d := scoring.DomainOf(r); d != "" && !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

// reported reports whether a problem of field is already in errs.
func reported(errs []error, field string) bool {
	for _, err := range errs {
		if fe, ok := err.(*compose.FieldError); ok && fe.Field == field {
			return true
		}
	}
	return false
}
