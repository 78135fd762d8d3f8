package compose

import (
	"bytes"
	"mime/quotedprintable"
	"strings"
)

// encodeBody normalises line endings to CRLF, ends the body with CRLF,
// and picks the transfer encoding: 7bit for ASCII text whose lines fit in
// 998 octets, quoted-printable otherwise (RFC 2045 §6.7).
func encodeBody(body string) ([]byte, string) {
	text := crlf(body)
	if transferEncoding(body) == "7bit" {
		return []byte(text), "7bit"
	}
	var b bytes.Buffer
	w := quotedprintable.NewWriter(&b)
	w.Write([]byte(text)) // writes to a bytes.Buffer cannot fail
	w.Close()
	out := b.Bytes()
	if len(out) > 0 && !bytes.HasSuffix(out, []byte("\r\n")) {
		out = append(out, "\r\n"...)
	}
	return out, "quoted-printable"
}

// transferEncoding is what encodeBody will choose for body.
func transferEncoding(body string) string {
	if isASCII(body) && longestLine(body) <= MaxLine {
		return "7bit"
	}
	return "quoted-printable"
}

// crlf turns every line ending (CRLF, LF or CR alone) into CRLF and ends
// non-empty text with one.
func crlf(s string) string {
	if s == "" {
		return ""
	}
	var b strings.Builder
	b.Grow(len(s) + len(s)/32 + 2)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			b.WriteString("\r\n")
		case '\n':
			b.WriteString("\r\n")
		default:
			b.WriteByte(c)
		}
	}
	out := b.String()
	if !strings.HasSuffix(out, "\r\n") {
		out += "\r\n"
	}
	return out
}

// longestLine is the length of the longest line of text, whatever its
// line endings (CRLF, LF or CR alone).
func longestLine(text string) int {
	n, cur := 0, 0
	for i := 0; i < len(text); i++ {
		if c := text[i]; c == '\r' || c == '\n' {
			cur = 0
			continue
		}
		cur++
		n = max(n, cur)
	}
	return n
}
