package receive

import (
	"bufio"
	"bytes"
	"errors"
	"io"

	"github.com/mailcred/mailcred/scoring/headers"
)

// capture is a message read from DATA with its header section bounded:
// once the header goes over headers.MaxFields or headers.MaxHeaderBytes
// the rest of the message is read and counted but not kept, so a header
// bomb costs a session about a megabyte, not the message size times the
// parsers that would read it. What is kept still measures as over the
// limits, so message.format fails it and the other checks say they could
// not read it.
type capture struct {
	kept   []byte
	header headers.HeaderSize // counted to the end, past the limits
	size   int                // octets received in all
	cut    bool               // the rest after the limit was discarded
}

func readCapped(r io.Reader) (capture, error) {
	var c capture
	var buf bytes.Buffer
	br := bufio.NewReaderSize(r, 64<<10)
	inHeader, lineStart := true, true
	for {
		piece, err := br.ReadSlice('\n')
		if len(piece) > 0 {
			c.size += len(piece)
			if inHeader {
				if lineStart && (string(piece) == "\r\n" || string(piece) == "\n") {
					inHeader = false
				} else {
					if lineStart && piece[0] != ' ' && piece[0] != '\t' {
						c.header.Fields++
					}
					c.header.Bytes += len(piece)
				}
			}
			if !c.cut {
				buf.Write(piece)
				c.cut = inHeader && c.header.Over()
			}
			lineStart = piece[len(piece)-1] == '\n'
		}
		switch {
		case err == nil, errors.Is(err, bufio.ErrBufferFull):
		case errors.Is(err, io.EOF):
			c.kept = buf.Bytes()
			return c, nil
		default:
			return c, err
		}
	}
}
