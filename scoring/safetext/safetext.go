// Package safetext makes text from the network safe to put on a terminal.
// DNS TXT records, SMTP replies and message headers are written by
// strangers; an escape sequence in them must never reach the user's
// terminal, and an endless line must not flood it.
//
// ansi.Strip is not enough: it keeps CR, backspace and BEL, and silently
// deletes what a person debugging a hostile server needs to see. Here every
// control character becomes a visible escape instead.
package safetext

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Line returns s with every control character, escape sequence byte,
// invalid UTF-8 byte and bidirectional override shown as a visible escape
// (\e, \r, \x07, \u202e), cut to at most max runes (0: no limit) with a
// note of how much was cut. Tabs become a single space.
func Line(s string, max int) string {
	var b strings.Builder
	runes := 0
	for i := 0; i < len(s); {
		if max > 0 && runes >= max {
			fmt.Fprintf(&b, "…[%d more bytes]", len(s)-i)
			break
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		b.WriteString(escapeRune(r, size, s[i]))
		runes++
		i += size
	}
	return b.String()
}

// Text is Line applied to each line of a multi-line text (LF or CRLF
// separated), keeping the line breaks.
func Text(s string, maxLine int) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = Line(l, maxLine)
	}
	return strings.Join(lines, "\n")
}

func escapeRune(r rune, size int, first byte) string {
	switch {
	case r == utf8.RuneError && size == 1:
		return fmt.Sprintf(`\x%02x`, first)
	case r == '\t':
		return " "
	case r == 0x1b:
		return `\e`
	case r == '\r':
		return `\r`
	case r == '\n':
		return `\n`
	case r < 0x20 || r == 0x7f:
		return fmt.Sprintf(`\x%02x`, r)
	case r >= 0x80 && r < 0xa0: // C1 controls, e.g. the 8-bit CSI
		return fmt.Sprintf(`\u%04x`, r)
	case isBidiControl(r):
		return fmt.Sprintf(`\u%04x`, r)
	}
	return string(r)
}

// isBidiControl reports the invisible direction overrides ("Trojan Source")
// that would let a server make text read differently than it is.
func isBidiControl(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f || r == 0x061c
}
