// Package mta drives the local mail transfer agent and observes its own
// delivery, so a test send proves what the MTA does — which key it signs
// with, which HELO and address family it uses, what the remote server
// answered it — rather than what mailcred's own client would do.
//
// Detect finds the MTAs installed (exim4, postfix; opensmtpd, msmtp,
// nullmailer and Sendmail are reported too). Deliver hands a message to
// one and follows it to its end: exim runs a foreground verbose delivery
// (-odf -v) whose SMTP dialogue is parsed line by line (EximParser);
// postfix gets the message through its sendmail program and its queue ID
// is followed in the mail log (PostfixLine, Follow). Both produce the same
// typed transcript events as mailcred's SMTP client, and a Result whose
// Status is delivered, deferred (with the retry time), bounced (with the
// reason) or frozen — never "accepted" when the MTA did not deliver.
//
// Every line read from a program or a log is untrusted: it is capped in
// length and sanitised before it reaches an event, and a parser holds a
// bounded amount of state whatever it is fed.
package mta
