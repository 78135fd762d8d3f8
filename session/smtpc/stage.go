package smtpc

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mailcred/mailcred/scoring/safetext"
	"github.com/mailcred/mailcred/scoring/smtpx"
)

// Errors a caller can branch on with errors.Is. They are wrapped in *Error,
// which carries the stage.
var (
	ErrProtocol       = errors.New("malformed SMTP reply")                        // RFC 5321 §4.2 syntax broken
	ErrTooManyLines   = errors.New("reply has too many lines")                    // multi-line reply past Options.MaxReplyLines
	ErrLineTooLong    = errors.New("reply line too long")                         // a line with no end in sight
	ErrTimeout        = errors.New("timed out waiting for the server")            // per-command deadline passed
	ErrTLSNotOffered  = errors.New("STARTTLS required but not offered")           // TLSMode starttls, no STARTTLS in EHLO
	ErrNotVerified    = errors.New("TLS certificate not verified")                // RequireVerifiedTLS and verification failed
	ErrInjection      = errors.New("server sent data ahead of the TLS handshake") // bytes buffered after 220 to STARTTLS
	ErrAuthNotOffered = errors.New("no common AUTH mechanism")                    // server offers none of ours
	ErrInsecureAuth   = errors.New("refusing to send a password without TLS")     // AUTH before STARTTLS
	ErrUnverifiedAuth = errors.New("refusing to send a password over TLS whose certificate did not verify")
	ErrBadAddress     = errors.New("address would break the command line")         // CR, LF, <, > or controls
	ErrTooBig         = errors.New("message larger than the server's SIZE limit")  // RFC 1870 §6
	ErrBroken         = errors.New("connection unusable after an earlier failure") // I/O or protocol error before
	ErrDesync         = errors.New("server out of sync: it sent a reply nobody asked for")
	ErrClosed         = errors.New("client closed")
)

// Error is a failure that is not an SMTP reply: I/O, timeout, TLS,
// malformed reply, or a refusal of our own (ErrInsecureAuth). Its text is
// sanitised: it may quote a server.
type Error struct {
	Stage smtpx.Stage
	Err   error
}

// Error returns "smtp STAGE: what happened".
func (e *Error) Error() string {
	return "smtp " + e.Stage.String() + ": " + safetext.Line(e.Err.Error(), 2000)
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// ReplyError is a reply other than the one a stage expects, normally a 4xx
// (try later) or 5xx (refused) reply.
type ReplyError struct {
	Stage smtpx.Stage
	Reply Reply
}

// Error returns "smtp STAGE: server replied CODE TEXT".
func (e *ReplyError) Error() string {
	return fmt.Sprintf("smtp %s: server replied %s", e.Stage, strings.Join(e.Reply.Lines, " / "))
}

// Temporary reports a 4xx reply: the server asks to try again later.
func (e *ReplyError) Temporary() bool { return e.Reply.Code/100 == 4 }

// StageOf returns the stage an error from this package happened at.
func StageOf(err error) (smtpx.Stage, bool) {
	var re *ReplyError
	if errors.As(err, &re) {
		return re.Stage, true
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Stage, true
	}
	return 0, false
}
