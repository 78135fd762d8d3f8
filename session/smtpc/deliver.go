package smtpc

import (
	"bytes"
	"context"
	"errors"
	"net"
	"time"

	"github.com/mailcred/mailcred/scoring/smtpx"
)

// Credentials authenticate a submission (RFC 4954).
type Credentials struct {
	User, Password string
	Mechanisms     []string // in order of preference; default PLAIN, LOGIN
}

// Envelope is what a delivery says to the server around the message.
type Envelope struct {
	From string   // reverse-path; "" for the null sender
	To   []string // at least one
	Auth *Credentials
	Mail MailOptions // Size defaults to the message length
}

// Delivery is what a session established and how it ended.
type Delivery struct {
	LocalAddr    net.Addr // the sending IP the checks must use
	RemoteAddr   net.Addr
	Capabilities Capabilities
	TLS          *TLSInfo               // nil without TLS
	Refused      map[string]*ReplyError // recipients refused while others were accepted
	Final        Reply                  // the reply to the end of data: the server's verdict
	ClearRetry   bool                   // opportunistic TLS failed in the handshake; sent again without TLS
}

// Deliver runs one whole session to o.Addr — connect, EHLO, TLS as
// o.TLSMode asks, AUTH when env.Auth is set, MAIL, RCPT for each recipient,
// DATA, QUIT — and returns what happened. The error carries the stage at
// which the session failed (StageOf). Recipients refused while others were
// accepted are listed in Delivery.Refused and the message still goes to the
// rest, as an MTA does. In opportunistic mode a failed TLS handshake is
// followed, as an MTA would, by a second session without TLS, in the same
// transcript (Delivery.ClearRetry).
func Deliver(ctx context.Context, o Options, env Envelope, msg []byte) (*Delivery, error) {
	start := time.Now()
	d, err := deliverOnce(ctx, o, env, msg, start)
	if !retryInClear(ctx, o, err) {
		return d, err
	}
	if o.Events != nil {
		o.Events(Event{At: time.Since(start), Kind: KindInfo, Source: FromClient, Lines: []string{"TLS handshake failed: connecting again without TLS, as an MTA does"}})
	}
	o.TLSMode = TLSNone
	d, err = deliverOnce(ctx, o, env, msg, start)
	if d != nil {
		d.ClearRetry = true
	}
	return d, err
}

func deliverOnce(ctx context.Context, o Options, env Envelope, msg []byte, start time.Time) (*Delivery, error) {
	c, err := dial(ctx, o, start)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	d := &Delivery{LocalAddr: c.LocalAddr(), RemoteAddr: c.RemoteAddr()}
	if err := c.deliver(ctx, env, msg, d); err != nil {
		var re *ReplyError
		if errors.As(err, &re) && c.usable(smtpx.QUIT) == nil {
			c.Quit(ctx) // polite end after a refusal (RFC 5321 §4.1.1.10)
		}
		return d, err
	}
	c.Quit(ctx) // the message is accepted; a failing QUIT changes nothing
	return d, nil
}

func (c *Client) deliver(ctx context.Context, env Envelope, msg []byte, d *Delivery) error {
	if len(env.To) == 0 {
		return c.localError(smtpx.RCPT, errors.New("no recipients"))
	}
	if _, err := c.Hello(ctx); err != nil {
		return err
	}
	if err := c.ApplyTLSMode(ctx); err != nil {
		return err
	}
	d.TLS = c.TLS()
	d.Capabilities = c.Capabilities()
	if a := env.Auth; a != nil {
		if err := c.Auth(ctx, a.User, a.Password, a.Mechanisms...); err != nil {
			return err
		}
	}
	mo := env.Mail
	if mo.Size == 0 {
		mo.Size = int64(len(msg))
	}
	if _, err := c.Mail(ctx, env.From, mo); err != nil {
		return err
	}
	var firstRefusal error
	accepted := 0
	for _, to := range env.To {
		_, err := c.Rcpt(ctx, to)
		var re *ReplyError
		switch {
		case err == nil:
			accepted++
		case errors.As(err, &re):
			if d.Refused == nil {
				d.Refused = map[string]*ReplyError{}
			}
			d.Refused[to] = re
			if firstRefusal == nil {
				firstRefusal = err
			}
		default:
			return err
		}
	}
	if accepted == 0 {
		return firstRefusal
	}
	r, err := c.Data(ctx, bytes.NewReader(msg))
	d.Final = r
	return err
}
