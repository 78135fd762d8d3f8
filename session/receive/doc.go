// Package receive is mailcred's inbound SMTP server: a self-hosted
// mail-tester. It accepts a message for any recipient at the configured
// domains (by default any domain), judges it the way a receiving MTA does
// — SPF for the connecting IP, DKIM, DMARC alignment, the message's
// headers, reverse DNS, blocklists — hands a Report to a callback, answers
// the end of data with the score ("250 2.0.0 scored 7.8/10, thank you")
// and forgets the message. It never relays, never delivers and never
// stores: there is no queue, and no AUTH is offered (RFC 5321 §3.6.2,
// §7.1: an open relay is what this must never be).
//
// The SMTP protocol is go-smtp's, as for every mailcred server. This
// package adds what go-smtp leaves to its user: a bound on concurrent
// sessions (in all and per client address) and on a session's lifetime,
// the score in the end-of-data reply, STARTTLS with a generated
// self-signed certificate when none is given, and a Close that ends every
// session and returns once every goroutine is gone.
package receive
