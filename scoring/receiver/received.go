package receiver

import "bytes"

// ToCRLF turns every LF not preceded by CR into CRLF (RFC 5322 §2.1 line
// endings, RFC 5321 §2.3.8) and counts them; the input is returned as is
// when there are none.
func ToCRLF(raw []byte) ([]byte, int) {
	n := 0
	for i, c := range raw {
		if c == '\n' && (i == 0 || raw[i-1] != '\r') {
			n++
		}
	}
	if n == 0 {
		return raw, 0
	}
	out := make([]byte, 0, len(raw)+n)
	for i, c := range raw {
		if c == '\n' && (i == 0 || raw[i-1] != '\r') {
			out = append(out, '\r')
		}
		out = append(out, c)
	}
	return out, n
}

// bareLFs counts the LFs not preceded by CR: the lines ToCRLF would
// convert, without converting them.
func bareLFs(raw []byte) int {
	n := 0
	for i := 0; ; {
		j := bytes.IndexByte(raw[i:], '\n')
		if j < 0 {
			return n
		}
		if i+j == 0 || raw[i+j-1] != '\r' {
			n++
		}
		i += j + 1
	}
}

// HeaderCRLF is raw's header section, through the blank line that ends it
// (all of raw without one), with CRLF line endings: enough to read From
// and Return-Path without converting a large body (a copy of it) first.
func HeaderCRLF(raw []byte) []byte {
	end := len(raw)
	for i := 0; i < len(raw); {
		j := bytes.IndexByte(raw[i:], '\n')
		if j < 0 {
			break
		}
		line := raw[i : i+j]
		i += j + 1
		if len(line) == 0 || len(line) == 1 && line[0] == '\r' {
			end = i
			break
		}
	}
	h, _ := ToCRLF(raw[:end])
	return h
}
