// Package headers is the message side of mailcred's checks: the header
// hygiene receivers and filters judge (RFC 5322 §3.6, what SpamAssassin
// penalises, what Gmail refuses) and the format of the raw bytes (CRLF
// line endings, line length, size). It reads Evidence.Message as a
// receiver would see it, and never needs DNS.
package headers

import (
	"bytes"
	"strings"
)

// Field is one header field as it stands in the message.
type Field struct {
	Name string // as written, without the colon
	// Value is the unfolded value: line breaks of folded lines removed
	// (RFC 5322 §2.2.3), leading and trailing white space trimmed.
	Value string
	// Raw is the whole field as written, its physical lines joined with
	// CRLF, without the final line ending.
	Raw  string
	Line int // line number (1-based) of the field's first line
}

// Message is a parsed message: its header fields in order and the facts
// about its raw form that the format checks need. Parse never fails; what
// it could not make sense of is recorded in Malformed.
type Message struct {
	Fields []Field
	// Body is everything after the blank line that ends the header; nil
	// when there is no such line.
	Body []byte
	// Separated reports whether a blank line ended the header section.
	Separated bool
	Size      int // bytes

	Lines       int      // physical lines
	BareLF      []int    // lines ending in LF without CR (first few), see BareLFCount
	BareLFCount int      // how many lines end in a bare LF
	BareCR      []int    // lines holding a CR not followed by LF (first few)
	LongLines   []Length // lines over 998 octets without their line ending (first few)
	LongCount   int      // how many lines are over 998 octets
	Longest     int      // length of the longest line, without its ending
	NULs        int      // NUL bytes anywhere (RFC 5322 §2.3 forbids them)
	// Malformed lists header lines that are neither a field nor the
	// continuation of one (first few).
	Malformed []Length
	// Header is the size of the whole header section, counted even past
	// the limits; Truncated says Fields stops short of it (at MaxFields
	// fields or MaxHeaderBytes bytes), so that memory stays bounded.
	Header    HeaderSize
	Truncated bool
}

// Length points at one line: its number and its length in octets.
type Length struct {
	Line int
	Len  int
	Text string // the start of the line, for a detail (at most 60 bytes, printable)
}

// MaxLine is the limit of RFC 5322 §2.1.1: "Each line of characters MUST
// be no more than 998 characters, excluding the CRLF."
const MaxLine = 998

// keep bounds the example lists so a hostile message cannot make the
// result big; the counts stay exact.
const keep = 5

// Parse splits a raw message into header fields and body and records its
// line-ending and line-length facts. It accepts LF-only input (recording
// it) so that it can judge what a broken sender produced.
func Parse(raw []byte) *Message {
	m := &Message{Size: len(raw), NULs: bytes.Count(raw, []byte{0})}
	p := &parser{m: m}
	inHeader := true
	lineNo := 0
	for pos := 0; pos < len(raw); {
		lineNo++
		end := bytes.IndexByte(raw[pos:], '\n')
		next := len(raw)
		if end >= 0 {
			end += pos
			next = end + 1
		} else {
			end = len(raw)
		}
		line := raw[pos:end]
		if end < len(raw) { // ends in LF
			if len(line) > 0 && line[len(line)-1] == '\r' {
				line = line[:len(line)-1]
			} else {
				m.BareLFCount++
				if len(m.BareLF) < keep {
					m.BareLF = append(m.BareLF, lineNo)
				}
			}
		}
		if bytes.IndexByte(line, '\r') >= 0 && len(m.BareCR) < keep {
			m.BareCR = append(m.BareCR, lineNo)
		}
		m.Longest = max(m.Longest, len(line))
		if len(line) > MaxLine {
			m.LongCount++
			if len(m.LongLines) < keep {
				m.LongLines = append(m.LongLines, Length{Line: lineNo, Len: len(line), Text: excerpt(line)})
			}
		}
		if inHeader {
			if len(line) == 0 {
				inHeader = false
				m.Separated = true
				m.Body = raw[next:]
			} else {
				m.Header.Bytes += next - pos
				if line[0] != ' ' && line[0] != '\t' {
					m.Header.Fields++
				}
				if m.Header.Over() {
					if !m.Truncated {
						p.finish()
						m.Truncated = true
					}
				} else {
					p.headerLine(line, lineNo)
				}
			}
		}
		pos = next
	}
	p.finish()
	m.Lines = lineNo
	if m.Separated && m.Body == nil {
		m.Body = []byte{}
	}
	return m
}

// parser collects the physical lines of the field being read, so that a
// field folded over many lines is joined once (not re-copied per line,
// which a hostile message could make quadratic).
type parser struct {
	m     *Message
	lines []string // physical lines of the last field, without endings
}

// headerLine adds one physical header line: a new field or a continuation.
func (p *parser) headerLine(line []byte, lineNo int) {
	m := p.m
	if line[0] == ' ' || line[0] == '\t' {
		if len(m.Fields) == 0 {
			m.malformed(line, lineNo)
			return
		}
		p.lines = append(p.lines, string(line))
		return
	}
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 {
		m.malformed(line, lineNo)
		return
	}
	// RFC 5322 §4.5.3 (obsolete syntax) allows white space before the
	// colon; nothing current writes it, but receivers read it.
	name := strings.TrimRight(string(line[:colon]), " \t")
	if !ValidName(name) {
		m.malformed(line, lineNo)
		return
	}
	p.finish()
	m.Fields = append(m.Fields, Field{Name: name, Line: lineNo})
	p.lines = append(p.lines[:0], string(line))
}

// finish fills in Raw and Value of the field whose lines were collected.
func (p *parser) finish() {
	if len(p.lines) == 0 || len(p.m.Fields) == 0 {
		return
	}
	f := &p.m.Fields[len(p.m.Fields)-1]
	f.Raw = strings.Join(p.lines, "\r\n")
	// Unfolding removes the line breaks only (RFC 5322 §2.2.3).
	unfolded := strings.Join(p.lines, "")
	f.Value = strings.TrimSpace(unfolded[strings.IndexByte(unfolded, ':')+1:])
	p.lines = p.lines[:0]
}

func (m *Message) malformed(line []byte, lineNo int) {
	if len(m.Malformed) < keep {
		m.Malformed = append(m.Malformed, Length{Line: lineNo, Len: len(line), Text: excerpt(line)})
	}
}

// ValidName reports whether name is a field name: one or more printable
// US-ASCII characters other than colon (RFC 5322 §2.2, ftext).
func ValidName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < 33 || c > 126 || c == ':' {
			return false
		}
	}
	return true
}

// Get returns the fields called name (case-insensitive), in order.
func (m *Message) Get(name string) []Field {
	var out []Field
	for _, f := range m.Fields {
		if strings.EqualFold(f.Name, name) {
			out = append(out, f)
		}
	}
	return out
}

// Count returns how many fields are called name (case-insensitive).
func (m *Message) Count(name string) int {
	n := 0
	for _, f := range m.Fields {
		if strings.EqualFold(f.Name, name) {
			n++
		}
	}
	return n
}

// excerpt returns the start of a line made safe for a one-line detail.
func excerpt(line []byte) string {
	const n = 60
	var b strings.Builder
	for i, c := range line {
		if i >= n {
			b.WriteString("…")
			break
		}
		if c < 32 || c > 126 {
			b.WriteByte('?')
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// eightBit reports whether s has bytes outside US-ASCII.
func eightBit(s []byte) bool {
	for _, c := range s {
		if c >= 0x80 {
			return true
		}
	}
	return false
}
