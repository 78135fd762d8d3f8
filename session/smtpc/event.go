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
func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Event is one entry of the transcript. Every string in it is already safe
// for a terminal: remote text is escaped and capped where it is read, and
// AUTH payloads are masked where they are written.
type Event struct {
	At       time.Duration // offset from the start of the session
	Kind     Kind
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
// event line, each with the time offset: "->"/"<-" in plaintext, "~>"/"<~"
// under TLS, "**" for errors and notes, "===" for connection and TLS
// notices. Lines are passed through safetext again, so events built
// elsewhere are safe too.
func Format(e Event) string {
	marker := "==="
	switch e.Kind {
	case KindSent:
		marker = "->"
		if e.Secure {
			marker = "~>"
		}
	case KindReceived:
		marker = "<-"
		if e.Secure {
			marker = "<~"
		}
	case KindInfo, KindError:
		marker = "**"
	}
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
