package dkim

import (
	"bytes"
	"io"
)

// crlfReader reads a message with every LF not preceded by CR read as
// CRLF (RFC 5322 §2.1, RFC 5321 §2.3.8), as an MTA converts on receipt,
// without making a converted copy: a 10 MB message stored with bare LF
// would otherwise be held twice while it is verified. It is an io.Reader
// and nothing more, so the verifier reads it in pieces (a bytes.Reader's
// WriteTo would hand go-msgauth the whole body in one Write, which it
// canonicalises into two more copies of itself).
type crlfReader struct {
	src        []byte
	prevCR     bool // the last byte read from src was CR
	insertedCR bool // a CR was given for the LF at src[0]; the LF is next
}

func newCRLFReader(b []byte) *crlfReader { return &crlfReader{src: b} }

func (r *crlfReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && len(r.src) > 0 {
		if r.src[0] == '\n' && !r.prevCR && !r.insertedCR {
			p[n] = '\r'
			n++
			r.insertedCR = true
			continue
		}
		// A run with no LF after its first byte: copied as it is.
		end := len(r.src)
		if j := bytes.IndexByte(r.src[1:], '\n'); j >= 0 {
			end = j + 1
		}
		m := copy(p[n:], r.src[:end])
		r.prevCR = r.src[m-1] == '\r'
		r.insertedCR = false
		r.src = r.src[m:]
		n += m
	}
	if n == 0 && len(r.src) == 0 && len(p) > 0 {
		return 0, io.EOF
	}
	return n, nil
}
