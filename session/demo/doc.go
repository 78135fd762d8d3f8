// Package demo is the offline world `mailcred demo` runs in: a simulated
// DNS (scoring/dnstest) holding a fictional sender, example.com, and the
// zones of four provider-like receivers, and those receivers themselves
// (session/smtptest servers on 127.0.0.1) judging every connection and
// message with mailcred's own engine — SPF (scoring/spf), DKIM
// (scoring/dkim), DMARC (scoring/dmarc), reverse DNS (scoring/rdns) and
// blocklists (scoring/dnsbl) — against that DNS. The mail-tester-like
// mailbox scores what it receives with the catalogue's message checks
// (scoring/catalog.Message: scoring/receiver and scoring/headers). Mail
// reaches the providers through session.Send, on World.Plan, as it does
// in `mailcred demo`.
//
// The world starts in a scenario (Scenarios lists them; "story" is the
// bare VPS of the README's story) and changes only through fixes, applied
// with Apply, each taking effect after a simulated propagation delay
// measured on an injectable clock. Providers see the sender's simulated
// address (192.0.2.25, or 2001:db8::25 while IPv6 sending is on), never
// the loopback address the connection really comes from.
//
// Everything is in process and on loopback; Close stops every server and
// goroutine. The package holds no global mutable state: knowledge (the
// providers' replies, the scenarios, the fixes) is in tables built afresh
// on each call.
package demo
