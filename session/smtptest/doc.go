// Package smtptest runs SMTP servers on 127.0.0.1 for tests and for the
// offline demo world.
//
// Start serves with go-smtp (as every mailcred server does): STARTTLS with
// a generated certificate from a generated CA, AUTH PLAIN and LOGIN, a
// Policy that scripts refusals at each stage, and the capture of accepted
// messages. StartHostile serves what go-smtp cannot or will not do — a
// 10 MB reply line, an endless multi-line reply, a stall, escape sequences
// in the banner, a dropped TLS handshake, a byte-a-second reply, refusing
// EHLO or the DATA command — with every loop bounded in count and time, and
// every goroutine gone when Close returns.
package smtptest
