package smtpc

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/mailcred/mailcred/scoring/smtpx"
)

// MailOptions are the MAIL FROM parameters. Each is sent only when the
// server announced the extension it belongs to.
type MailOptions struct {
	Size     int64 // SIZE=n (RFC 1870); checked against the server's limit first
	EightBit bool  // BODY=8BITMIME (RFC 6152)
	SMTPUTF8 bool  // SMTPUTF8 (RFC 6531); an error when the server lacks it
}

// Mail starts a transaction with MAIL FROM:<from> (RFC 5321 §4.1.1.2); an
// empty from is the null reverse-path "<>" used for bounces.
func (c *Client) Mail(ctx context.Context, from string, o MailOptions) (Reply, error) {
	if err := checkAddress(from, true); err != nil {
		return Reply{}, c.localError(smtpx.MAIL, fmt.Errorf("MAIL FROM %q: %w", from, err))
	}
	cmd := "MAIL FROM:<" + from + ">"
	if o.Size > 0 && c.caps.Size > 0 && o.Size > c.caps.Size {
		return Reply{}, c.localError(smtpx.MAIL, fmt.Errorf("%w: %d > %d bytes", ErrTooBig, o.Size, c.caps.Size))
	}
	if o.Size > 0 && c.caps.Has("SIZE") {
		cmd += " SIZE=" + strconv.FormatInt(o.Size, 10)
	}
	if o.EightBit && c.caps.EightBit {
		cmd += " BODY=8BITMIME"
	}
	if o.SMTPUTF8 {
		if !c.caps.SMTPUTF8 {
			return Reply{}, c.localError(smtpx.MAIL, fmt.Errorf("message needs SMTPUTF8, which the server does not offer (RFC 6531)"))
		}
		cmd += " SMTPUTF8"
	}
	r, err := c.exchange(ctx, smtpx.MAIL, cmd, cmd, c.o.Timeouts.Command)
	if err != nil {
		return r, err
	}
	if !r.Positive() {
		return r, c.refused(smtpx.MAIL, r)
	}
	return r, nil
}

// Rcpt adds a recipient with RCPT TO:<to> (RFC 5321 §4.1.1.3).
func (c *Client) Rcpt(ctx context.Context, to string) (Reply, error) {
	if err := checkAddress(to, false); err != nil {
		return Reply{}, c.localError(smtpx.RCPT, fmt.Errorf("RCPT TO %q: %w", to, err))
	}
	cmd := "RCPT TO:<" + to + ">"
	r, err := c.exchange(ctx, smtpx.RCPT, cmd, cmd, c.o.Timeouts.Command)
	if err != nil {
		return r, err
	}
	if !r.Positive() {
		return r, c.refused(smtpx.RCPT, r)
	}
	return r, nil
}

// checkAddress refuses what would let an address end the command line or
// its brackets (command injection), and paths over 256 octets (RFC 5321
// §4.5.3.1.3).
func checkAddress(a string, nullOK bool) error {
	if a == "" && !nullOK {
		return fmt.Errorf("%w: empty", ErrBadAddress)
	}
	if len(a)+2 > 256 {
		return fmt.Errorf("%w: longer than 256 octets with brackets", ErrBadAddress)
	}
	if strings.ContainsFunc(a, func(r rune) bool { return r < ' ' || r == 0x7f || r == '<' || r == '>' }) {
		return fmt.Errorf("%w: contains a control character or angle bracket", ErrBadAddress)
	}
	return nil
}
