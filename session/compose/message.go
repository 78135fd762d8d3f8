// Package compose is the draft of a test message and its rendering into
// the exact bytes that are signed and sent: CRLF lines, MIME text/plain
// UTF-8, quoted-printable when the body needs it, RFC 2047 words for
// non-ASCII header text, folded header fields and a Message-ID on the
// sender's domain (RFC 5322, RFC 2045, RFC 2047).
//
// A draft is a plain value: validation reports every problem at once as
// *FieldError values and never changes the draft, so an editor keeps what
// the user typed. Headers can be left out on purpose (Omit) to reproduce a
// broken sender, such as the missing To: of the demo's story.
package compose

import (
	"fmt"
	"net/mail"
	"strings"
	"time"
)

// Message is a draft. The zero Date means "when rendered"; an empty
// MessageID means "generate one on the sender's domain".
type Message struct {
	From      mail.Address
	To, Cc    []mail.Address
	Subject   string
	Date      time.Time
	MessageID string
	Extra     []Header
	Body      string
	// Omit leaves standard header fields out deliberately, keyed by name
	// (case-insensitive), e.g. {"To": true} for the story's missing To:.
	// See Standard for the names.
	Omit map[string]bool
}

// Header is an additional header field. Its value is unstructured text;
// non-ASCII text is encoded as RFC 2047 words when rendered.
type Header struct {
	Name, Value string
}

// standard lists the header fields Render writes itself, in the order it
// writes them. These can be omitted; to write one by hand instead (say a
// malformed Date for a demo), omit it and add it to Extra. Never modified.
var standard = [...]string{
	"Date", "From", "To", "Cc", "Subject", "Message-ID",
	"MIME-Version", "Content-Type", "Content-Transfer-Encoding",
}

// Standard returns the header fields Render writes itself, in order.
func Standard() []string { return append([]string(nil), standard[:]...) }

// MaxBody bounds the body of a draft: a test message, not a mailing; well
// under the 10 MB many receivers accept after base64 or QP growth.
const MaxBody = 4 << 20

// MaxLine is the RFC 5322 §2.1.1 limit on a line, without its CRLF.
const MaxLine = 998

// FieldError is one problem with one field of a draft. Field names the
// part of the draft ("From", "To[1]", "Extra[0].Name", "Body", "Omit"),
// Problem says what is wrong and what to do, in words for the user.
type FieldError struct {
	Field   string
	Problem string
}

// Error reads "Field: problem".
func (e *FieldError) Error() string { return e.Field + ": " + e.Problem }

func fieldErr(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Problem: fmt.Sprintf(format, args...)}
}

// omitted reports whether the standard header name is to be left out.
func (m *Message) omitted(name string) bool {
	for k, v := range m.Omit {
		if v && strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

// isStandard reports whether name is one of the fields Render writes.
func isStandard(name string) bool {
	for _, s := range standard {
		if strings.EqualFold(s, name) {
			return true
		}
	}
	return false
}
