// Package smtpc is mailcred's SMTP client, in the manner of mox's
// smtpclient, written so that every byte of the conversation becomes a
// typed, direction-tagged transcript Event. It reads replies with its own
// bounded line reader rather than net/textproto, whose ReadLine keeps a
// whole line in memory however long a server makes it.
//
// go-smtp's client cannot be used for this: its
// DebugWriter mixes both directions and includes AUTH credentials, STARTTLS
// is chosen when the client is created, it takes no context and its
// timeouts are five minutes. Here:
//
//   - each call takes a context and runs under a per-command deadline;
//   - events are tagged sent/received and plaintext/TLS, rebuilt after
//     STARTTLS (RFC 3207), with secrets masked where they are written
//     (AUTH payloads, RFC 4954, never reach an Event);
//   - everything a server sends is read through caps (line length, lines
//     per reply) and sanitised with safetext before it reaches an Event, so a
//     hostile server cannot hang, flood or drive the user's terminal;
//   - TLS is opportunistic like a real MTA, yet the peer chain is always
//     verified against the MX host name and the result reported.
//
// A Client is not safe for concurrent use, except Close, which may be
// called from any goroutine to abort a session.
package smtpc
