package smtpc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mailcred/mailcred/scoring/smtpx"
)

// Client is one SMTP session. Make it with Dial; end it with Quit, or Close.
type Client struct {
	o     Options
	start time.Time

	raw  net.Conn // the TCP connection: deadlines and Close go here
	conn net.Conn // raw, or the TLS connection over it
	br   *bufio.Reader
	bw   *bufio.Writer

	greeting Reply
	caps     Capabilities
	tlsInfo  *TLSInfo
	broken   error // set after an I/O or protocol failure: the stream is out of step

	secure    atomic.Bool
	closed    atomic.Bool
	closeOnce sync.Once
	emitMu    sync.Mutex // events are delivered one at a time, even when Close races a command
}

// Dial connects to o.Addr, performs implicit TLS when asked, and reads the
// greeting (RFC 5321 §3.1). A greeting other than 220 is a *ReplyError at
// smtpx.Connect; the connection is then closed.
func Dial(ctx context.Context, o Options) (*Client, error) {
	return dial(ctx, o, time.Now())
}

// dial is Dial with the instant event offsets count from, so a retry
// continues the same transcript.
func dial(ctx context.Context, o Options, start time.Time) (*Client, error) {
	c := &Client{start: start, o: o}
	o, err := o.normalize()
	if err != nil {
		return nil, c.fail(ctx, smtpx.Connect, "options", err)
	}
	c.o = o
	laddr, err := localTCPAddr(o.LocalAddr)
	if err != nil {
		return nil, c.fail(ctx, smtpx.Connect, "options", err)
	}
	c.emit(Event{Kind: KindConnect, Lines: []string{"Trying " + o.Addr + "..."}})
	d := net.Dialer{Timeout: o.Timeouts.Connect}
	if laddr != nil {
		d.LocalAddr = laddr
	}
	conn, err := d.DialContext(ctx, o.Network, o.Addr)
	if err != nil {
		err = c.fail(ctx, smtpx.Connect, "connect", err)
		c.emit(Event{Kind: KindDone, Lines: []string{"No connection"}})
		return nil, err
	}
	c.raw = conn
	c.setConn(conn)
	c.emit(Event{Kind: KindConnect, Lines: []string{fmt.Sprintf("Connected to %s from %s", conn.RemoteAddr(), conn.LocalAddr())}})

	if o.TLSMode == TLSImplicit {
		if err := c.handshake(ctx, smtpx.Connect); err != nil {
			c.Close()
			return nil, err
		}
	}
	stop := c.arm(ctx, o.Timeouts.Command)
	r, err := c.read(ctx, smtpx.Connect, "greeting")
	stop()
	if err == nil && r.Code != 220 {
		err = c.refused(smtpx.Connect, r)
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	c.greeting = r
	return c, nil
}

// LocalAddr is the local end of the connection: the sending IP address
// that SPF, reverse DNS and blocklist checks must be run for.
func (c *Client) LocalAddr() net.Addr { return c.raw.LocalAddr() }

// RemoteAddr is the server's address.
func (c *Client) RemoteAddr() net.Addr { return c.raw.RemoteAddr() }

// Greeting is the server's 220 greeting.
func (c *Client) Greeting() Reply { return c.greeting }

// TLS describes the TLS session, or is nil before TLS.
func (c *Client) TLS() *TLSInfo { return c.tlsInfo }

// Secure reports whether the connection is TLS-protected.
func (c *Client) Secure() bool { return c.secure.Load() }

// Quit sends QUIT (RFC 5321 §4.1.1.10) and closes the connection.
func (c *Client) Quit(ctx context.Context) error {
	r, err := c.exchange(ctx, smtpx.QUIT, "QUIT", "QUIT", c.o.Timeouts.Command)
	if err == nil && r.Code != 221 {
		err = c.refused(smtpx.QUIT, r)
	}
	c.Close()
	return err
}

// Close closes the connection without QUIT. It may be called from another
// goroutine to abort a command in progress, and more than once.
func (c *Client) Close() error {
	var err error
	c.closeOnce.Do(func() {
		c.closed.Store(true)
		if c.raw != nil {
			// Close TCP, not TLS: a close_notify to a server that is not
			// reading could block (mox does the same).
			err = c.raw.Close()
		}
		c.emit(Event{Kind: KindDone, Lines: []string{"Connection closed"}})
	})
	return err
}

func (c *Client) setConn(conn net.Conn) {
	c.conn = conn
	c.br = bufio.NewReaderSize(conn, c.o.MaxLine+2)
	c.bw = bufio.NewWriter(conn)
}

// emit stamps and delivers an event.
func (c *Client) emit(e Event) {
	if c.o.Events == nil {
		return
	}
	c.emitMu.Lock()
	defer c.emitMu.Unlock()
	e.At = time.Since(c.start)
	e.Secure = c.secure.Load()
	if e.Kind == KindInfo || e.Kind == KindError {
		e.Source = FromClient // the client's own notes; the rest is the conversation
	}
	c.o.Events(e)
}

// arm sets the connection deadline to d from now (or ctx's deadline when
// sooner) and makes ctx's cancellation interrupt any blocked read or write.
// The returned func must be called when the step is over.
func (c *Client) arm(ctx context.Context, d time.Duration) func() {
	deadline := time.Now().Add(d)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	c.raw.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { c.raw.SetDeadline(time.Unix(1, 0)) })
	return func() { stop() }
}

// usable returns an error when no command may be sent any more.
func (c *Client) usable(st smtpx.Stage) error {
	switch {
	case c.closed.Load():
		return &Error{Stage: st, Err: ErrClosed}
	case c.broken != nil:
		return &Error{Stage: st, Err: fmt.Errorf("%w: %v", ErrBroken, c.broken)}
	}
	return nil
}

// exchange sends one command line and reads its reply under timeout d.
// display is what the transcript shows instead of line (secrets masked).
func (c *Client) exchange(ctx context.Context, st smtpx.Stage, line, display string, d time.Duration) (Reply, error) {
	if err := c.usable(st); err != nil {
		return Reply{}, err
	}
	stop := c.arm(ctx, d)
	defer stop()
	if err := c.inSync(ctx, st, "before "+firstWord(display)); err != nil {
		return Reply{}, err
	}
	if err := c.write(ctx, st, line, display); err != nil {
		return Reply{}, err
	}
	return c.read(ctx, st, "reply to "+firstWord(display))
}

// inSync fails when the server has sent something before we asked: every
// later reply would be read as the answer to the wrong command, and a
// stray 250 taken for the acceptance of the message (RFC 5321 §4.2: one
// reply per command, in order; we do not pipeline).
func (c *Client) inSync(ctx context.Context, st smtpx.Stage, when string) error {
	if n := c.br.Buffered(); n > 0 {
		r, _ := readReply(c.br, c.o.MaxLine, c.o.MaxReplyLines) // shown, so the user sees what came
		if len(r.Lines) > 0 {
			c.emit(Event{Kind: KindReceived, Lines: r.Lines, Code: r.Code, Enhanced: r.Enhanced})
		}
		return c.fail(ctx, st, when, fmt.Errorf("%w (%d bytes unasked for)", ErrDesync, n))
	}
	return nil
}

// write sends one command line. The Sent event shows display, never line.
func (c *Client) write(ctx context.Context, st smtpx.Stage, line, display string) error {
	c.emit(Event{Kind: KindSent, Lines: []string{display}})
	c.bw.WriteString(line)
	c.bw.WriteString("\r\n")
	if err := c.bw.Flush(); err != nil {
		return c.fail(ctx, st, "sending "+firstWord(display), err)
	}
	return nil
}

// read reads one reply and records it, whole or as far as it got.
func (c *Client) read(ctx context.Context, st smtpx.Stage, what string) (Reply, error) {
	r, err := readReply(c.br, c.o.MaxLine, c.o.MaxReplyLines)
	if len(r.Lines) > 0 {
		c.emit(Event{Kind: KindReceived, Lines: r.Lines, Code: r.Code, Enhanced: r.Enhanced})
	}
	if err != nil {
		return r, c.fail(ctx, st, "reading "+what, err)
	}
	return r, nil
}

// fail records an error that leaves the stream unusable and returns it as
// *Error with the stage, naming a timeout or cancellation plainly.
func (c *Client) fail(ctx context.Context, st smtpx.Stage, op string, err error) error {
	var ne net.Error
	switch {
	case ctx.Err() != nil:
		err = fmt.Errorf("%s: %w", op, context.Cause(ctx))
	case errors.As(err, &ne) && ne.Timeout():
		err = fmt.Errorf("%s: %w (%v)", op, ErrTimeout, ne)
	case errors.Is(err, net.ErrClosed) && c.closed.Load():
		err = fmt.Errorf("%s: %w", op, ErrClosed)
	default:
		err = fmt.Errorf("%s: %w", op, err)
	}
	e := &Error{Stage: st, Err: err}
	if c.broken == nil {
		c.broken = err
	}
	c.emit(Event{Kind: KindError, Err: e.Error()})
	return e
}

// refused records an unexpected reply. The stream stays usable, except
// after 421, with which the server closes the session (RFC 5321 §3.8).
func (c *Client) refused(st smtpx.Stage, r Reply) error {
	e := &ReplyError{Stage: st, Reply: r}
	if r.Code == 421 && c.broken == nil {
		c.broken = fmt.Errorf("server closing: %s", r.Message())
	}
	c.emit(Event{Kind: KindError, Err: e.Error()})
	return e
}

func firstWord(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' {
			return s[:i]
		}
	}
	return s
}
