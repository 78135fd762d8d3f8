// Package receiver judges a message the way a receiving MTA does: SPF for
// the connecting IP and the envelope sender (RFC 7208), every DKIM
// signature against the keys DNS publishes (RFC 6376), and DMARC
// identifier alignment with the From domain (RFC 9989, RFC 7489). It
// reports the outcome as the catalogue checks dkim.signature and
// dmarc.alignment, and as an RFC 8601 Authentication-Results header field.
//
// Judge gathers the facts once; the checks and AuthenticationResults read
// them. Everything a check reads comes from scoring.Evidence:
//
//   - Evidence.Message, the raw message (lines ending in a bare LF are
//     read as CRLF where it matters: DKIM's hashes);
//   - the connecting IP: the address of Evidence.SMTP.Local when a send
//     session recorded one (it is what the receiver saw), else
//     Evidence.IPs[0];
//   - Evidence.MailFrom, the RFC5321.MailFrom (empty: postmaster@Domain,
//     as everywhere in scoring), and Evidence.HELO.
//
// All DNS goes through scoring/dnsx, whose per-run cache makes the two
// checks and the header field ask each question once.
package receiver
