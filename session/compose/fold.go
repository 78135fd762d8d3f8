package compose

import (
	"encoding/base64"
	"mime"
	"strings"
	"unicode/utf8"
)

// foldAt is the line length folding aims for (RFC 5322 §2.1.1: SHOULD be
// no more than 78 characters).
const foldAt = 78

// unstructured returns header text as it can be written: as it is when
// it is ASCII, cannot be mistaken for an encoded-word and can be folded;
// otherwise as RFC 2047 encoded-words (each at most 75 characters, so
// always foldable).
func unstructured(s string, nameLen int) string {
	if isASCII(s) {
		if !strings.Contains(s, "=?") {
			if _, longest := fold(strings.Repeat("x", nameLen), s); longest <= MaxLine {
				return s
			}
		}
		// mime's encoder leaves printable ASCII alone; here it must not.
		return bWords(s)
	}
	q := mime.QEncoding.Encode("UTF-8", s)
	if b := mime.BEncoding.Encode("UTF-8", s); len(b) < len(q) {
		return b
	}
	return q
}

// bWords encodes s as B encoded-words (RFC 2047 §4.1) of at most 75
// characters, separated by spaces, never splitting a UTF-8 sequence.
func bWords(s string) string {
	const chunk = 45 // 60 base64 characters + 12 of framing = 72
	var words []string
	for len(s) > 0 {
		n := min(chunk, len(s))
		for n < len(s) && n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		words = append(words, "=?UTF-8?B?"+base64.StdEncoding.EncodeToString([]byte(s[:n]))+"?=")
		s = s[n:]
	}
	return strings.Join(words, " ")
}

// fold writes "Name: value" with CRLF + space inserted before spaces so
// that lines stay within 78 octets where the text allows (RFC 5322
// §2.2.3: unfolding removes exactly the CRLFs). It returns the folded
// field without its final CRLF and the length of its longest line.
func fold(name, value string) (string, int) {
	line := name + ":"
	if value != "" {
		line += " " + value
	}
	var out strings.Builder
	longest := 0
	start := 0
	for len(line)-start > foldAt {
		brk := -1
		for i := start + 1; i < len(line)-1; i++ {
			if !canBreak(line, i, len(name)+1) {
				continue
			}
			if i-start <= foldAt || brk < 0 {
				brk = i
			}
			if i-start > foldAt {
				break
			}
		}
		if brk < 0 {
			break
		}
		out.WriteString(line[start:brk])
		out.WriteString("\r\n")
		longest = max(longest, brk-start)
		start = brk
	}
	out.WriteString(line[start:])
	return out.String(), max(longest, len(line)-start)
}

// canBreak: a fold may go before the space at i when it is not right
// after the field name and the next line will not be white space only.
func canBreak(line string, i, afterName int) bool {
	return line[i] == ' ' && i > afterName && line[i+1] != ' ' && line[i+1] != '\t'
}
