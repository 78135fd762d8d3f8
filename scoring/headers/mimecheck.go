package headers

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mailcred/mailcred/scoring"
)

// decodeWords decodes RFC 2047 encoded-words for display; on error the
// text is returned as it is.
func decodeWords(s string) string {
	d := &mime.WordDecoder{CharsetReader: func(_ string, r io.Reader) (io.Reader, error) { return r, nil }}
	if out, err := d.DecodeHeader(s); err == nil {
		return out
	}
	return s
}

// mimeFix is the header block a plain-text UTF-8 message should carry.
const mimeSnippet = "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable"

// checkMIME: MIME-Version and Content-Type agree (RFC 2045 §4, §5), the
// transfer encoding fits the body (§6), and 8-bit text declares its
// charset.
func checkMIME(m *Message, _ scoring.Evidence, _ time.Time) scoring.Result {
	for _, name := range []string{"MIME-Version", "Content-Type", "Content-Transfer-Encoding"} {
		if fs := m.Get(name); len(fs) > 1 {
			return duplicate(name, fs)
		}
	}
	version, ctype, cte := first(m, "MIME-Version"), first(m, "Content-Type"), first(m, "Content-Transfer-Encoding")
	body8 := eightBit(m.Body)
	fix := &scoring.Fix{Summary: "Declare the body as MIME text with its charset and a transfer encoding that fits it:", Snippet: mimeSnippet}

	if version == nil && ctype == nil && cte == nil {
		if body8 {
			return scoring.Result{Status: scoring.Fail, Title: "8-bit body without MIME headers",
				Detail: "The body has bytes outside ASCII but no MIME-Version/Content-Type says what they are (RFC 2045); " +
					"receivers guess the charset and filters score it.", Fix: fix}
		}
		return scoring.Result{Status: scoring.Pass, Title: "Plain ASCII message without MIME headers",
			Detail: "RFC 5322 text needs no MIME headers; add them when the body is not ASCII."}
	}
	if version == nil {
		return scoring.Result{Status: scoring.Warn, Title: "MIME headers without MIME-Version",
			Detail: "Content-Type or Content-Transfer-Encoding is present but MIME-Version: 1.0 is missing (RFC 2045 §4); " +
				"SpamAssassin scores this (MIME_HEADER_CTYPE_ONLY) and strict parsers ignore the Content-Type.",
			Fix: &scoring.Fix{Summary: "Add MIME-Version: 1.0 next to Content-Type.", Snippet: "MIME-Version: 1.0"}}
	}
	if v := stripComments(version.Value); v != "1.0" {
		return scoring.Result{Status: scoring.Fail, Title: "MIME-Version: is " + clip(version.Value, 40) + ", not 1.0",
			Detail: "RFC 2045 §4 defines only MIME-Version: 1.0.", Fix: &scoring.Fix{Summary: "Write MIME-Version: 1.0.", Snippet: "MIME-Version: 1.0"}}
	}

	media, params := "text/plain", map[string]string{}
	if ctype != nil {
		var err error
		media, params, err = mime.ParseMediaType(ctype.Value)
		if err != nil {
			return scoring.Result{Status: scoring.Fail, Title: "Content-Type: does not parse",
				Detail: fmt.Sprintf("line %d: Content-Type: %s\n%v (RFC 2045 §5.1)", ctype.Line, clip(ctype.Value, 120), err), Fix: fix}
		}
	}
	if strings.HasPrefix(media, "multipart/") && params["boundary"] == "" {
		return scoring.Result{Status: scoring.Fail, Title: media + " without a boundary",
			Detail: "RFC 2046 §5.1.1: a multipart body needs the boundary parameter to be split into parts.",
			Fix:    &scoring.Fix{Summary: "Add boundary=\"...\" to the Content-Type, matching the --delimiter lines of the body."}}
	}

	encoding := "7bit"
	if cte != nil {
		encoding = strings.ToLower(stripComments(cte.Value))
	}
	switch encoding {
	case "7bit", "8bit", "binary", "quoted-printable", "base64":
	default:
		return scoring.Result{Status: scoring.Fail, Title: "Unknown Content-Transfer-Encoding: " + clip(encoding, 40),
			Detail: "RFC 2045 §6.1 knows 7bit, 8bit, binary, quoted-printable and base64.", Fix: fix}
	}
	if encoding == "7bit" && body8 {
		return scoring.Result{Status: scoring.Fail, Title: "Body has 8-bit bytes but is declared 7bit",
			Detail: "Content-Transfer-Encoding is 7bit (the default when absent) yet the body holds bytes above 127 " +
				"(RFC 2045 §2.7). A relay without 8BITMIME may mangle it; filters score the mismatch.", Fix: fix}
	}

	charset := strings.ToLower(params["charset"])
	text := strings.HasPrefix(media, "text/")
	if text && charset == "" && (body8 || encoding == "quoted-printable" || encoding == "base64") {
		return scoring.Result{Status: scoring.Fail, Title: media + " without a charset",
			Detail: "The text is not plain ASCII but Content-Type names no charset, so receivers assume US-ASCII " +
				"(RFC 2046 §4.1.2) and show garbage or score it.", Fix: fix}
	}
	if text && (charset == "utf-8" || charset == "utf8") && !strings.HasPrefix(media, "text/html") {
		if decoded, ok := decodeBody(m.Body, encoding); ok && !utf8.Valid(decoded) {
			return scoring.Result{Status: scoring.Warn, Title: "Body is declared UTF-8 but is not",
				Detail: "Decoded with its transfer encoding, the body has byte sequences that are not UTF-8 (perhaps Latin-1); " +
					"receivers will show replacement characters.",
				Fix: &scoring.Fix{Summary: "Convert the text to UTF-8 (iconv -f latin1 -t utf-8) or declare its real charset."}}
		}
	}
	title := "MIME: " + media
	if charset != "" {
		title += "; charset=" + charset
	}
	return scoring.Result{Status: scoring.Pass, Title: title + ", " + encoding,
		Detail: "MIME-Version: 1.0, Content-Type and transfer encoding agree with the body (RFC 2045)."}
}

func first(m *Message, name string) *Field {
	fs := m.Get(name)
	if len(fs) == 0 {
		return nil
	}
	return &fs[0]
}

// decodeBody undoes the transfer encoding of a single-part body; ok is
// false when it cannot (base64 or an unknown encoding: not checked).
func decodeBody(body []byte, encoding string) ([]byte, bool) {
	switch encoding {
	case "7bit", "8bit", "binary":
		return body, true
	case "quoted-printable":
		out, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body)))
		return out, err == nil
	}
	return nil, false
}

// stripComments removes RFC 5322 comments "(...)" and white space, for
// MIME-Version: 1.0 (produced by X) and the like.
func stripComments(v string) string {
	var b strings.Builder
	depth := 0
	for _, r := range v {
		switch {
		case r == '(':
			depth++
		case r == ')' && depth > 0:
			depth--
		case depth == 0 && r != ' ' && r != '\t':
			b.WriteRune(r)
		}
	}
	return b.String()
}
