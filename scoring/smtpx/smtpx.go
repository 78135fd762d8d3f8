// Package smtpx is the SMTP vocabulary every part of mailcred shares: the
// stage of a session at which something happened (RFC 5321 §3) and how a
// reply or a whole send ended. The client (session/smtpc), the test
// servers (session/smtptest), the reply explanations (session/explain) and
// the transport checks (scoring/transport) speak it, so a stage or a
// verdict crosses package boundaries as a value, never as a string to
// compare.
package smtpx

import (
	"fmt"
	"strings"
)

// Stage is the step of an SMTP session. A refusal means different things
// at different stages: refused at MAIL, before any content was sent, DKIM
// and content cannot be the cause. The zero value is no stage (nothing
// happened yet, or the message went to a local sendmail).
type Stage uint8

// The stages, in the order they happen.
const (
	NoStage   Stage = iota
	Connect         // TCP connect, implicit TLS, the 220 greeting (RFC 5321 §3.1)
	EHLO            // EHLO, or HELO after a refused EHLO
	STARTTLS        // STARTTLS and its TLS handshake (RFC 3207)
	AUTH            // AUTH (RFC 4954)
	MAIL            // MAIL FROM
	RCPT            // RCPT TO
	DATA            // the DATA command, before any content
	EndOfData       // the reply after the content and its final "."
	QUIT            // QUIT
)

// stageNames are how people name the stages; stageKeys are the stable
// lower-case ids data files and JSON use.
var (
	stageNames = [...]string{"", "connect", "EHLO", "STARTTLS", "AUTH", "MAIL", "RCPT", "DATA", "end of data", "QUIT"}
	stageKeys  = [...]string{"", "connect", "ehlo", "starttls", "auth", "mail", "rcpt", "data", "end-of-data", "quit"}
)

// Stages returns every stage, Connect to QUIT, in order.
func Stages() []Stage {
	out := make([]Stage, 0, len(stageNames)-1)
	for s := Connect; s <= QUIT; s++ {
		out = append(out, s)
	}
	return out
}

// String returns the stage as people name it: "connect", "MAIL",
// "end of data"; "" for NoStage.
func (s Stage) String() string {
	if int(s) < len(stageNames) {
		return stageNames[s]
	}
	return fmt.Sprintf("Stage(%d)", int(s))
}

// Key returns the stage's stable id: "connect", "mail", "end-of-data".
func (s Stage) Key() string {
	if int(s) < len(stageKeys) {
		return stageKeys[s]
	}
	return fmt.Sprintf("stage-%d", int(s))
}

// MarshalText writes the stage's Key.
func (s Stage) MarshalText() ([]byte, error) { return []byte(s.Key()), nil }

// UnmarshalText reads what ParseStage reads.
func (s *Stage) UnmarshalText(b []byte) error {
	st, ok := ParseStage(string(b))
	if !ok {
		return fmt.Errorf("smtp stage %q: want one of %s", b, strings.Join(stageKeys[1:], ", "))
	}
	*s = st
	return nil
}

// ParseStage reads a stage's key or name, case-insensitively, with space
// or underscore for the hyphen ("end of data", "END_OF_DATA"). "" is
// NoStage.
func ParseStage(v string) (Stage, bool) {
	k := strings.NewReplacer(" ", "-", "_", "-").Replace(strings.ToLower(strings.TrimSpace(v)))
	for i, key := range stageKeys {
		if key == k {
			return Stage(i), true
		}
	}
	return NoStage, false
}

// Outcome is how a reply, an attempt or a send ended. The zero value is no
// outcome yet.
type Outcome uint8

// The outcomes. Accepted, Deferred and Rejected are a server's answer (RFC
// 5321 §4.2.1: 2yz or 3yz, 4yz, 5yz); Failed means no server gave one: the
// connection failed, timed out or broke the protocol. Frozen is a local
// MTA's own end (exim freezes a message it cannot deliver nor bounce): it
// stays in the queue until an admin acts.
const (
	NoOutcome Outcome = iota
	Accepted
	Deferred
	Rejected
	Failed
	Frozen
)

var outcomeNames = [...]string{"", "accepted", "deferred", "rejected", "error", "frozen"}

// String returns "accepted", "deferred", "rejected", "error" or "frozen".
func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// MarshalText writes String.
func (o Outcome) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// UnmarshalText reads what String writes.
func (o *Outcome) UnmarshalText(b []byte) error {
	for i, n := range outcomeNames {
		if n == string(b) {
			*o = Outcome(i)
			return nil
		}
	}
	return fmt.Errorf("smtp outcome %q: want one of %s", b, strings.Join(outcomeNames[1:], ", "))
}

// OutcomeOf classifies a reply code by its first digit (RFC 5321 §4.2.1):
// 2yz and 3yz accept (3yz asks for more, as 354 to DATA does), 4yz defers,
// 5yz rejects. A code outside 200..599 is no outcome.
func OutcomeOf(code int) Outcome {
	switch {
	case code >= 200 && code < 400:
		return Accepted
	case code >= 400 && code < 500:
		return Deferred
	case code >= 500 && code < 600:
		return Rejected
	}
	return NoOutcome
}
