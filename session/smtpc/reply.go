package smtpc

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/mailcred/mailcred/scoring/safetext"
)

// DisplayLineMax is the most runes of one received line an Event shows
// (RFC 5321 §4.5.3.1.6 text line length); the rest is replaced by a note of
// how many bytes were cut.
const DisplayLineMax = 998

// maxDiscard bounds how much of a single overlong line is skipped before
// the client gives up on the connection, whatever the deadline.
const maxDiscard = 64 << 20

// Reply is one SMTP reply (RFC 5321 §4.2): the three-digit code, the
// enhanced status code (RFC 3463, announced by ENHANCEDSTATUSCODES, RFC
// 2034) when the server sent one, and the lines as received — code and
// separator included, sanitised for display and capped.
type Reply struct {
	Code     int
	Enhanced string // "5.7.1", or "" when the server sent none
	Lines    []string
}

// Text returns each line's text without the reply code and separator.
func (r Reply) Text() []string {
	out := make([]string, len(r.Lines))
	for i, l := range r.Lines {
		if len(l) > 4 {
			out[i] = l[4:]
		}
	}
	return out
}

// Message returns the reply's text as one string, the lines joined by a
// space and the enhanced status code left out: what an explainer matches.
func (r Reply) Message() string {
	parts := r.Text()
	for i, p := range parts {
		if r.Enhanced != "" {
			if rest, ok := strings.CutPrefix(p, r.Enhanced); ok && (rest == "" || rest[0] == ' ') {
				p = strings.TrimPrefix(rest, " ")
			}
		}
		parts[i] = p
	}
	return strings.Join(parts, " ")
}

// Positive reports a 2xx reply (RFC 5321 §4.2.1).
func (r Reply) Positive() bool { return r.Code/100 == 2 }

// readLine reads one LF-terminated line and returns at most max bytes of it
// (without CRLF/LF) and the number of bytes discarded past the cap. The
// rest of an overlong line is skipped through br's own buffer, never stored,
// so a peer sending 10 MB in one line costs no more memory than a short one.
// br's buffer must hold max+2 bytes.
func readLine(br *bufio.Reader, max int) (line []byte, dropped int64, err error) {
	chunk, err := br.ReadSlice('\n')
	if err == nil {
		chunk = trimEOL(chunk)
		if len(chunk) > max {
			dropped = int64(len(chunk) - max)
			chunk = chunk[:max]
		}
		return bytes.Clone(chunk), dropped, nil
	}
	if err != bufio.ErrBufferFull {
		return nil, 0, err
	}
	keep := chunk
	if len(keep) > max {
		keep = keep[:max]
	}
	line = bytes.Clone(keep)
	dropped = int64(len(chunk) - len(keep))
	for {
		chunk, err = br.ReadSlice('\n')
		if err == nil {
			dropped += int64(len(trimEOL(chunk)))
			return line, dropped, nil
		}
		dropped += int64(len(chunk))
		if err != bufio.ErrBufferFull {
			return nil, dropped, err
		}
		if dropped > maxDiscard {
			return nil, dropped, fmt.Errorf("%w: more than %d bytes without an end of line", ErrLineTooLong, maxDiscard)
		}
	}
}

func trimEOL(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte{'\n'})
	return bytes.TrimSuffix(b, []byte{'\r'})
}

// readReply reads one possibly multi-line reply (RFC 5321 §4.2.1: "250-"
// continues, "250 " or a bare "250" ends it). On error it returns what it
// had read, so the transcript can show it.
func readReply(br *bufio.Reader, maxLine, maxLines int) (Reply, error) {
	var r Reply
	for {
		raw, dropped, err := readLine(br, maxLine)
		if err != nil {
			return r, err
		}
		code, last, perr := parseReplyLine(raw)
		r.Lines = append(r.Lines, displayLine(raw, dropped))
		if perr != nil {
			return r, perr
		}
		if len(r.Lines) == 1 {
			r.Code = code
		} else if code != r.Code {
			return r, fmt.Errorf("%w: line %d has code %d, the reply started with %d (RFC 5321 §4.2.1)", ErrProtocol, len(r.Lines), code, r.Code)
		}
		if r.Enhanced == "" && len(raw) > 4 {
			r.Enhanced = parseEnhanced(code, raw[4:])
		}
		if last {
			return r, nil
		}
		if len(r.Lines) >= maxLines {
			return r, fmt.Errorf("%w: more than %d lines", ErrTooManyLines, maxLines)
		}
	}
}

// parseReplyLine checks Reply-line syntax (RFC 5321 §4.2): three digits, the
// first 2 to 5, then "-" (more lines follow), " " or nothing (last line).
func parseReplyLine(b []byte) (code int, last bool, err error) {
	if len(b) < 3 || b[0] < '2' || b[0] > '5' || !isDigit(b[1]) || !isDigit(b[2]) {
		return 0, false, fmt.Errorf("%w: %q does not start with a reply code", ErrProtocol, safetext.Line(string(b), 40))
	}
	code = int(b[0]-'0')*100 + int(b[1]-'0')*10 + int(b[2]-'0')
	switch {
	case len(b) == 3 || b[3] == ' ':
		return code, true, nil
	case b[3] == '-':
		return code, false, nil
	}
	return 0, false, fmt.Errorf("%w: %q: expected space or '-' after the code", ErrProtocol, safetext.Line(string(b), 40))
}

// parseEnhanced returns the RFC 3463 status code (class.subject.detail) at
// the start of text, when its class agrees with the reply code (RFC 2034
// §4), or "".
func parseEnhanced(code int, text []byte) string {
	end := bytes.IndexByte(text, ' ')
	if end < 0 {
		end = len(text)
	}
	parts := bytes.Split(text[:end], []byte{'.'})
	if len(parts) != 3 || len(parts[0]) != 1 || int(parts[0][0]-'0') != code/100 {
		return ""
	}
	for _, p := range parts[1:] {
		if len(p) < 1 || len(p) > 3 {
			return ""
		}
		for _, c := range p {
			if !isDigit(c) {
				return ""
			}
		}
	}
	return string(text[:end])
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// displayLine makes one received line safe to show: escapes for control
// characters (safetext), at most DisplayLineMax runes, and a note of how
// many bytes were cut, counting those the reader already discarded.
func displayLine(raw []byte, dropped int64) string {
	s := string(raw)
	cut := s
	if utf8.RuneCountInString(s) > DisplayLineMax {
		n := 0
		for i := range s {
			if n == DisplayLineMax {
				cut = s[:i]
				break
			}
			n++
		}
	}
	out := safetext.Line(cut, 0)
	if more := int64(len(s)-len(cut)) + dropped; more > 0 {
		out += fmt.Sprintf(" …[%d more bytes cut]", more)
	}
	return out
}
