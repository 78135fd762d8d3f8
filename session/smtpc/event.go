package smtpc

import (
	"fmt"
	"strings"
	"time"

	"github.com/mailcred/mailcred/scoring/safetext"
)

// Kind is what an Event records.
type Kind int

// The kinds of transcript events.
const (
	KindConnect  Kind = iota // trying and connected, with both addresses
	KindSent                 // a command line we sent (secrets already masked)
	KindReceived             // one whole reply, all its lines together
	KindTLS                  // a TLS handshake finished (or was refused by us): TLS is set
	KindInfo                 // a note of ours, or a line of a local program's output
	KindError                // a failure: Err is set
	KindDone                 // the session ended
)

var kindNames = [...]string{"connect", "sent", "received", "tls", "info", "error", "done"}

// String names the kind: "sent", "received", …
func (k Kind) String() string { return nameOf(kindNames[:], int(k), "Kind") }

// MarshalText is the kind's name, as in JSON.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads a kind's name.
func (k *Kind) UnmarshalText(b []byte) error {
	return unmarshalName(kindNames[:], b, "kind", (*int)(k))
}

// nameOf and unmarshalName map Kind and Source to and from their names.
func nameOf(names []string, i int, typ string) string {
	if i >= 0 && i < len(names) {
		return names[i]
	}
	return fmt.Sprintf("%s(%d)", typ, i)
}

func unmarshalName(names []string, b []byte, what string, dst *int) error {
	for i, n := range names {
		if n == string(b) {
			*dst = i
			return nil
		}
	}
	return fmt.Errorf("smtpc: unknown transcript %s %q", what, b)
}

// Source says who wrote an event's lines, set where the event is made, so
// a screen or a printer marks each line by who wrote it rather than by
// what its text starts with: an MTA's own "**" line is never read as one
// of mailcred's notes.
type Source int

// The sources of transcript events. The zero value is the conversation
// itself, which is what most events of a session are.
const (
	FromWire     Source = iota // the SMTP conversation: a line sent, a reply, the connection and TLS notices
	FromClient                 // mailcred's own note or failure (the client, the session, the workbench)
	FromExim                   // a line of exim's own output (exim -v)
	FromPostfix                // a line of postfix's own log or output
	FromSendmail               // a local sendmail-compatible program's own output
	FromWorld                  // the demo world (its simulated servers, MTA and news)
)

var sourceNames = [...]string{"wire", "mailcred", "exim", "postfix", "sendmail", "demo world"}

// String names the source: "wire", "mailcred", "exim", …
func (s Source) String() string { return nameOf(sourceNames[:], int(s), "Source") }

// MarshalText is the source's name, as in JSON.
func (s Source) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a source's name.
func (s *Source) UnmarshalText(b []byte) error {
	return unmarshalName(sourceNames[:], b, "source", (*int)(s))
}

// MTA reports whether the lines are a local MTA's own.
func (s Source) MTA() bool { return s == FromExim || s == FromPostfix || s == FromSendmail }

// Marker is the direction column of an event's lines: "->"/"<-" sent
// and received in plaintext, "~>"/"<~" under TLS, "===" connection and
// TLS notices, "»" mailcred's notes and failures, "mta" a local MTA's
// own lines, "◆" the demo world's. Sent and received lines keep their
// arrows whoever reports them (exim -v shows its own dialogue).
func Marker(e Event) string {
	switch {
	case e.Kind == KindSent && e.Secure:
		return "~>"
	case e.Kind == KindSent:
		return "->"
	case e.Kind == KindReceived && e.Secure:
		return "<~"
	case e.Kind == KindReceived:
		return "<-"
	case e.Source.MTA():
		return "mta"
	case e.Source == FromWorld:
		return "◆"
	case e.Kind == KindInfo, e.Kind == KindError:
		return "»"
	}
	return "==="
}

// Event is one entry of the transcript. Every string in it is already safe
// for a terminal: remote text is escaped and capped where it is read, and
// AUTH payloads are masked where they are written.
type Event struct {
	At       time.Duration // offset from the start of the session
	Kind     Kind
	Source   Source   // who wrote the lines
	Secure   bool     // the connection was TLS-protected (after STARTTLS or implicit TLS)
	Lines    []string // the line sent, a whole reply, or a note
	Code     int      // KindReceived: the reply code
	Enhanced string   // KindReceived: the enhanced status code, "5.7.1"
	TLS      *TLSInfo // KindTLS
	Err      string   // KindError
}

// ToChannel returns an Options.Events func that sends each event on ch.
// The session waits while ch is full: a slow reader slows the session
// rather than losing transcript lines.
func ToChannel(ch chan<- Event) func(Event) {
	return func(e Event) { ch <- e }
}

// TLSInfo describes a TLS session: what was negotiated, what the server
// presented, and whether that chain is valid for the host name we meant to
// reach. Strings from the certificate are sanitised.
type TLSInfo struct {
	Version     string // "TLS 1.3"
	CipherSuite string // "TLS_AES_128_GCM_SHA256"
	Chain       []CertInfo
	ServerName  string // the name the chain was verified against (the MX host)
	Verified    bool
	VerifyError string // why verification failed, when it did
}

// CertInfo is one certificate of the peer's chain, leaf first.
type CertInfo struct {
	Subject  string
	SANs     []string // DNS names and IP addresses
	Issuer   string
	NotAfter time.Time
}

// Format renders an event as swaks renders its transcript, one line per
// event line, each with the time offset and the Marker of its source and
// kind. Lines are passed through safetext again, so events built
// elsewhere are safe too.
func Format(e Event) string {
	marker := Marker(e)
	lines := e.Lines
	if e.Kind == KindError {
		lines = []string{e.Err}
	}
	if len(lines) == 0 {
		lines = []string{""}
	}
	var b strings.Builder
	for i, l := range lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "%8.3fs %-3s %s", e.At.Seconds(), marker, safetext.Line(l, 0))
	}
	return b.String()
}

// describeTLS returns the lines of a KindTLS event.
func describeTLS(t *TLSInfo, handshakeDone bool) []string {
	var out []string
	if handshakeDone {
		out = append(out, fmt.Sprintf("TLS started: %s, %s", t.Version, t.CipherSuite))
	} else {
		out = append(out, fmt.Sprintf("TLS handshake stopped: %s, %s", t.Version, t.CipherSuite))
	}
	for i, c := range t.Chain {
		sans := "none"
		if len(c.SANs) > 0 {
			sans = strings.Join(c.SANs, ", ")
		}
		out = append(out, fmt.Sprintf("certificate %d: %s; names %s; issuer %s; expires %s",
			i, c.Subject, sans, c.Issuer, c.NotAfter.UTC().Format("2006-01-02")))
	}
	if t.Verified {
		out = append(out, "certificate verified for "+t.ServerName)
	} else {
		out = append(out, "certificate NOT verified for "+t.ServerName+": "+t.VerifyError)
	}
	return out
}
