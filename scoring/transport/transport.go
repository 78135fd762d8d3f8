// Package transport judges the SMTP conversation of a send, as the
// catalogue's tls.starttls (was the message encrypted on its way, and was
// the certificate valid for the server) and smtp.response (what the
// server answered, explained with what the stage of the answer rules
// out). Both read Evidence.SMTP, the plain facts a send session records,
// so scoring does not depend on the session packages.
package transport

import (
	"net"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/smtpx"
)

// The check ids.
const (
	IDStartTLS = "tls.starttls"
	IDResponse = "smtp.response"
)

// routeSendmail is SMTPFacts.Route for a message handed to sendmail.
const routeSendmail = "sendmail"

// The SMTPFacts.TLSMode values the checks branch on.
const (
	modeNone     = "none"     // TLS never attempted, even when offered
	modeStartTLS = "starttls" // STARTTLS required: without it nothing is sent
)

// Checks returns tls.starttls and smtp.response, in the order a person
// reads them. Neither asks DNS.
func Checks() []scoring.Check {
	return []scoring.Check{
		{
			ID:    IDStartTLS,
			Title: "TLS on the way to the server",
			Applies: func(ev scoring.Evidence) bool {
				return ev.SMTP != nil && ev.SMTP.Route != routeSendmail
			},
			Run: runStartTLS,
		},
		{
			ID:      IDResponse,
			Title:   "The server's answer",
			Applies: func(ev scoring.Evidence) bool { return ev.SMTP != nil },
			Run:     runResponse,
		},
	}
}

// server names the server for a title: its name, with the address and
// port when the name is not already the address.
func server(f *scoring.SMTPFacts) string {
	name, addr := f.Server, f.Addr
	switch {
	case name == "" && addr == "":
		return "the server"
	case addr == "":
		return name
	case name == "":
		return addr
	}
	if host, _, err := net.SplitHostPort(addr); err == nil && host == name {
		return addr
	}
	return name + " (" + addr + ")"
}

// isMX reports a delivery to MX hosts rather than to a chosen server.
func isMX(f *scoring.SMTPFacts) bool { return f.Route == "mx" }

// notReached reports a session that ended before EHLO was answered, so
// nothing is known about STARTTLS.
func notReached(f *scoring.SMTPFacts) bool {
	if f.TLS || f.StartTLSOffered || f.Outcome == smtpx.Accepted {
		return false
	}
	return f.Stage <= smtpx.EHLO
}
