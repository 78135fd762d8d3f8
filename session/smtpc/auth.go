package smtpc

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/emersion/go-sasl"

	"github.com/mailcred/mailcred/scoring/smtpx"
)

// mask replaces every SASL payload in the transcript. Masking happens
// where the line is written: no Event ever holds a credential.
const mask = "****"

// maxSASLRounds bounds a server that keeps answering 334.
const maxSASLRounds = 8

// Auth authenticates with AUTH (RFC 4954) using the first of mechanisms
// (default PLAIN, then LOGIN) that the server announced. The transcript
// shows "AUTH PLAIN ****" and every client response as "****". It refuses
// to run on a plaintext connection unless Options.AllowPlaintextAuth.
func (c *Client) Auth(ctx context.Context, user, password string, mechanisms ...string) error {
	if !c.secure.Load() && !c.o.AllowPlaintextAuth {
		return c.localError(smtpx.AUTH, ErrInsecureAuth)
	}
	if info := c.tlsInfo; c.secure.Load() && info != nil && !info.Verified && !c.o.AllowUnverifiedAuth && !c.onLoopback() {
		// Whoever holds an unverified connection would get the password:
		// stop before AUTH, say why and how to override.
		return c.localError(smtpx.AUTH, fmt.Errorf("%w for %s: %s (--auth-unverified-tls sends it anyway)",
			ErrUnverifiedAuth, info.ServerName, info.VerifyError))
	}
	if len(mechanisms) == 0 {
		mechanisms = []string{sasl.Plain, sasl.Login}
	}
	var mech string
	for _, m := range mechanisms {
		if m = strings.ToUpper(m); slices.Contains(c.caps.Auth, m) {
			mech = m
			break
		}
	}
	var client sasl.Client
	switch mech {
	case sasl.Plain:
		client = sasl.NewPlainClient("", user, password)
	case sasl.Login:
		client = sasl.NewLoginClient(user, password)
	default:
		return c.localError(smtpx.AUTH, fmt.Errorf("%w: server offers [%s], we can use [%s]",
			ErrAuthNotOffered, strings.Join(c.caps.Auth, " "), strings.Join(mechanisms, " ")))
	}
	_, ir, err := client.Start()
	if err != nil {
		return c.localError(smtpx.AUTH, fmt.Errorf("AUTH %s: %w", mech, err))
	}
	line, display := "AUTH "+mech, "AUTH "+mech
	var pendingUser []byte
	if mech == sasl.Login {
		// go-sasl offers the user name as an initial response; the classic
		// LOGIN exchange every server knows waits for "Username:" instead.
		pendingUser, ir = ir, nil
	}
	if ir != nil {
		line, display = line+" "+encodeSASL(ir), display+" "+mask
	}
	r, err := c.exchange(ctx, smtpx.AUTH, line, display, c.o.Timeouts.Command)
	for round := 0; err == nil && r.Code == 334; round++ {
		if round == maxSASLRounds {
			return c.fail(ctx, smtpx.AUTH, "AUTH", fmt.Errorf("%w: more than %d challenges", ErrProtocol, maxSASLRounds))
		}
		var resp []byte
		challenge, derr := base64.StdEncoding.DecodeString(strings.TrimSpace(strings.Join(r.Text(), "")))
		switch {
		case derr != nil:
			err = fmt.Errorf("challenge is not base64: %w", derr)
		case pendingUser != nil && !strings.EqualFold(string(challenge), "Password:"):
			resp, pendingUser = pendingUser, nil
		default:
			if strings.EqualFold(string(challenge), "Password:") {
				challenge = []byte("Password:") // go-sasl matches it exactly
			}
			resp, err = client.Next(challenge)
		}
		if err != nil {
			// RFC 4954 §4: "*" cancels the exchange; the server answers 501.
			if r, cerr := c.exchange(ctx, smtpx.AUTH, "*", "*", c.o.Timeouts.Command); cerr == nil && r.Code/100 != 5 {
				return c.fail(ctx, smtpx.AUTH, "cancelling AUTH", fmt.Errorf("%w: reply %d to \"*\"", ErrProtocol, r.Code))
			}
			return c.localError(smtpx.AUTH, fmt.Errorf("AUTH %s: %w", mech, err))
		}
		r, err = c.exchange(ctx, smtpx.AUTH, encodeSASL(resp), mask, c.o.Timeouts.Command)
	}
	if err != nil {
		return err
	}
	if !r.Positive() {
		return c.refused(smtpx.AUTH, r)
	}
	return nil
}

// onLoopback reports whether the server is this machine: named so by the
// user (localhost, a loopback address) and connected over loopback. A
// certificate proves nothing there that the kernel does not already.
func (c *Client) onLoopback() bool {
	if !Loopback(c.o.ServerName) || c.raw == nil {
		return false
	}
	ap, err := netip.ParseAddrPort(c.raw.RemoteAddr().String())
	return err == nil && ap.Addr().Unmap().IsLoopback()
}

// Loopback reports whether a server name means this machine: "localhost"
// (RFC 6761 §6.3) or a loopback address.
func Loopback(name string) bool {
	name = strings.TrimSuffix(strings.ToLower(name), ".")
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		return true
	}
	ip, err := netip.ParseAddr(strings.Trim(name, "[]"))
	return err == nil && ip.Unmap().IsLoopback()
}

// encodeSASL encodes a client response; an empty one is "=" (RFC 4954 §4).
func encodeSASL(b []byte) string {
	if len(b) == 0 {
		return "="
	}
	return base64.StdEncoding.EncodeToString(b)
}

// localError records a refusal of our own that leaves the session usable.
func (c *Client) localError(st smtpx.Stage, err error) error {
	e := &Error{Stage: st, Err: err}
	c.emit(Event{Kind: KindError, Err: e.Error()})
	return e
}
