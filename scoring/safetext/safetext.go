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
	"unicode/utf16"
	"unicode/utf8"
)

// Line returns s with every control character, escape sequence byte,
// invalid UTF-8 byte and Hidden character shown as a visible escape
// (\e, \r, \x07, \u202e, \u200b, \U000e0041), cut to at most max runes (0: no limit) with a
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
	case Hidden(r):
		return escapeU(r)
	}
	return string(r)
}

func escapeU(r rune) string {
	if r > 0xffff {
		return fmt.Sprintf(`\U%08x`, r)
	}
	return fmt.Sprintf(`\u%04x`, r)
}

// Hidden is the one policy on characters above ASCII's controls that no
// output shows as they are — text, JSON and the workbench alike — because
// they act on the terminal or hide or reorder what is read:
//   - C1 controls U+0080–U+009F (U+009B is an 8-bit CSI),
//   - bidirectional controls (U+061C, U+200E, U+200F, U+202A–U+202E,
//     U+2066–U+2069): "Trojan Source", a reply that reads backwards,
//   - zero-width and invisible characters (U+00AD soft hyphen, U+034F,
//     U+115F, U+1160, U+17B4, U+17B5, U+180E, U+200B–U+200D, U+2060–U+2064,
//     U+3164, U+FEFF byte order mark, U+FFA0): two names that look the same
//     but differ,
//   - line and paragraph separators U+2028, U+2029: a line break a
//     reader does not expect,
//   - interlinear annotation U+FFF9–U+FFFB,
//   - tag characters U+E0000–U+E007F: invisible text (ASCII smuggling).
func Hidden(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f:
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	case r == 0x00ad, r == 0x034f, r == 0x115f, r == 0x1160, r == 0x17b4, r == 0x17b5, r == 0x180e,
		r >= 0x200b && r <= 0x200d, r >= 0x2060 && r <= 0x2064, r == 0x3164, r == 0xfeff, r == 0xffa0:
		return true
	case r == 0x2028, r == 0x2029, r >= 0xfff9 && r <= 0xfffb:
		return true
	case r >= 0xe0000 && r <= 0xe007f:
		return true
	}
	return false
}

// JSON rewrites every Hidden character in encoded JSON as a \u escape (a
// surrogate pair above U+FFFF), so a terminal showing the document, a log
// viewer or a diff sees them; encoding/json escapes only U+2028 and
// U+2029. The document means the same: such characters can only occur
// inside strings, where the escape decodes to the same character.
func JSON(doc []byte) []byte {
	var out []byte
	for i := 0; i < len(doc); {
		r, size := utf8.DecodeRune(doc[i:])
		if !Hidden(r) {
			if out != nil {
				out = append(out, doc[i:i+size]...)
			}
			i += size
			continue
		}
		if out == nil {
			out = append(make([]byte, 0, len(doc)+64), doc[:i]...)
		}
		if r > 0xffff {
			hi, lo := utf16.EncodeRune(r)
			out = fmt.Appendf(out, `\u%04x\u%04x`, hi, lo)
		} else {
			out = fmt.Appendf(out, `\u%04x`, r)
		}
		i += size
	}
	if out == nil {
		return doc
	}
	return out
}
