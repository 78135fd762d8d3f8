package smtpc

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/mailcred/mailcred/scoring/smtpx"
)

// Data sends DATA, then the message from r and the final "." (RFC 5321
// §4.1.1.4), and returns the reply to it: the server's verdict on the
// message (smtpx.EndOfData). Line endings are normalised to CRLF (a bare CR
// or LF becomes CRLF, RFC 5321 §2.3.8) and lines starting with "." are
// dot-stuffed (§4.5.2). If r fails mid-way the connection is dropped rather
// than ending the message: a truncated message must never be delivered.
func (c *Client) Data(ctx context.Context, r io.Reader) (Reply, error) {
	rep, err := c.exchange(ctx, smtpx.DATA, "DATA", "DATA", c.o.Timeouts.Command)
	if err != nil {
		return rep, err
	}
	if rep.Code != 354 {
		return rep, c.refused(smtpx.DATA, rep)
	}

	stop := context.AfterFunc(ctx, func() { c.raw.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	c.raw.SetReadDeadline(time.Time{})
	dw := &dotWriter{w: bufio.NewWriterSize(&deadlineWriter{ctx: ctx, conn: c.conn, raw: c.raw, d: c.o.Timeouts.Data}, 32<<10), bol: true}
	if _, err := io.Copy(dw, r); err != nil {
		err = c.fail(ctx, smtpx.DATA, "sending the message", err)
		c.Close()
		return Reply{}, err
	}
	if err := dw.finish(); err != nil {
		return Reply{}, c.fail(ctx, smtpx.DATA, "sending the message", err)
	}
	c.emit(Event{Kind: KindSent, Lines: []string{fmt.Sprintf("[message: %d bytes in %d lines]", dw.bytes, dw.lines), "."}})

	stopReply := c.arm(ctx, c.o.Timeouts.Data)
	defer stopReply()
	rep, err = c.read(ctx, smtpx.EndOfData, "reply to the message")
	if err != nil {
		return rep, err
	}
	if err := c.inSync(ctx, smtpx.EndOfData, "after the reply to the message"); err != nil {
		// Which reply answered the message is unknown: never acceptance.
		return rep, err
	}
	if !rep.Positive() {
		return rep, c.refused(smtpx.EndOfData, rep)
	}
	return rep, nil
}

// deadlineWriter renews the write deadline before each write, so a large
// message on a slow link is bounded per block (RFC 5321 §4.5.3.2.5: "data
// block"), not as a whole.
type deadlineWriter struct {
	ctx  context.Context
	conn net.Conn // where bytes go (TLS or TCP)
	raw  net.Conn // where deadlines are set
	d    time.Duration
}

func (w *deadlineWriter) Write(p []byte) (int, error) {
	if err := w.ctx.Err(); err != nil {
		return 0, err
	}
	w.raw.SetWriteDeadline(time.Now().Add(w.d))
	return w.conn.Write(p)
}

// dotWriter writes message content in SMTP's DATA encoding.
type dotWriter struct {
	w     *bufio.Writer
	bol   bool // at the beginning of a line
	cr    bool // the last byte was a CR not yet written
	bytes int64
	lines int64
}

func (d *dotWriter) Write(p []byte) (int, error) {
	for i := 0; i < len(p); {
		if d.cr { // a CR ends the line, whether or not LF follows
			d.cr = false
			d.newline()
			if p[i] == '\n' {
				i++
				continue
			}
		}
		if d.bol && p[i] == '.' {
			d.w.WriteByte('.')
		}
		j := i
		for j < len(p) && p[j] != '\r' && p[j] != '\n' {
			j++
		}
		if j > i {
			d.w.Write(p[i:j])
			d.bol = false
		}
		if j == len(p) {
			break
		}
		if p[j] == '\r' {
			d.cr = true
		} else {
			d.newline()
		}
		i = j + 1
	}
	d.bytes += int64(len(p))
	if _, err := d.w.Write(nil); err != nil { // bufio's error is sticky
		return 0, err
	}
	return len(p), nil
}

// newline writes CRLF.
func (d *dotWriter) newline() {
	d.w.WriteString("\r\n")
	d.bol = true
	d.lines++
}

// finish ends the last line and writes the terminating ".".
func (d *dotWriter) finish() error {
	if d.cr {
		d.cr = false
		d.newline()
	}
	if !d.bol {
		d.newline()
	}
	d.w.WriteString(".\r\n")
	return d.w.Flush()
}
