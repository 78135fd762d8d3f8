package headers

import (
	"bytes"
	"fmt"
)

// Limits on the header section of an untrusted message. Parsing stops
// storing fields at either, so a message of a million tiny fields costs a
// bounded amount of memory; message.format fails such a message and the
// other message checks say they could not check it. Receivers' own limits,
// for the verdict's wording (defaults, as documented):
//
//   - Exim: the whole header section at most 1 MB (HEADER_MAXSIZE);
//     over it the message is refused ("message header ... ridiculously
//     long"). Source: Exim FAQ Q0052, github.com/Exim/exim/wiki/Q0052.
//   - sendmail: all header fields together at most 32768 bytes
//     (MaxHeadersLength / MAXHDRSLEN); over it "552 5.0.0 Headers too
//     large". Source: sendmail 4th ed. (O'Reilly), MaxHeadersLength.
//   - Postfix: at most 102400 bytes in one (folded) header field
//     (header_size_limit); the excess is discarded. Source:
//     postfix.org/resource.html.
//   - Gmail: refuses oversized headers with 552 5.3.4.
//   - Cyrus IMAP: reads at most 1000 header lines into its cache
//     (maxheaderlines). Source: cyrus-imapd lib/imapoptions.
const (
	// MaxHeaderBytes is Exim's HEADER_MAXSIZE: the largest header section
	// a common receiver takes at all.
	MaxHeaderBytes = 1 << 20
	// MaxFields is the most header fields read. Real mail has a few dozen
	// (Received lines are capped near 50 hops by Gmail, 30 by Exim's
	// received_headers_max); Cyrus processes 1000 lines.
	MaxFields = 1000
	// sendmailHeaderBytes is sendmail's default MaxHeadersLength.
	sendmailHeaderBytes = 32768
)

// HeaderSize is the size of a message's header section.
type HeaderSize struct {
	Fields int // header fields (a folded field counts once)
	Bytes  int // octets up to the blank line, line endings included
}

// Over reports whether the header section is over MaxFields or
// MaxHeaderBytes.
func (h HeaderSize) Over() bool { return h.Fields > MaxFields || h.Bytes > MaxHeaderBytes }

// Measure counts the header fields and bytes of raw without allocating:
// the gate every parser of an untrusted message goes through first.
func Measure(raw []byte) HeaderSize {
	var h HeaderSize
	for pos := 0; pos < len(raw); {
		end := bytes.IndexByte(raw[pos:], '\n')
		next := len(raw)
		if end >= 0 {
			next = pos + end + 1
		}
		line := raw[pos:next]
		if end >= 0 { // as Parse: a CR is part of the ending only before LF
			line = bytes.TrimSuffix(line[:len(line)-1], []byte{'\r'})
		}
		if len(line) == 0 {
			break
		}
		h.Bytes += next - pos
		if line[0] != ' ' && line[0] != '\t' {
			h.Fields++
		}
		pos = next
	}
	return h
}

// LimitError says a header section is over the limits: nothing past the
// gate reads it.
type LimitError struct{ Size HeaderSize }

func (e *LimitError) Error() string {
	return fmt.Sprintf("the header section has %d fields in %d bytes, over mailcred's limits of %d fields and %d bytes "+
		"(Exim refuses a header over 1 MB, sendmail one over 32 KB)", e.Size.Fields, e.Size.Bytes, MaxFields, MaxHeaderBytes)
}

// CheckLimits returns a *LimitError when raw's header section is over the
// limits, nil otherwise.
func CheckLimits(raw []byte) error {
	if h := Measure(raw); h.Over() {
		return &LimitError{Size: h}
	}
	return nil
}
