package smtptest

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/emersion/go-smtp"

	"github.com/mailcred/mailcred/scoring/smtpx"
)

// Reply is a scripted SMTP reply. Lines make a multi-line reply; Enhanced
// ("5.7.1", RFC 3463) is sent on the last line only, as go-smtp does; ""
// sends none.
type Reply struct {
	Code     int
	Enhanced string
	Lines    []string
}

// Command is what the client did when a Policy is asked.
type Command struct {
	Stage      smtpx.Stage
	Helo       string // the EHLO/HELO name (empty at the greeting)
	Arg        string // the address for MAIL/RCPT, the user for AUTH
	TLS        bool   // the session is under TLS
	User       string // the authenticated user, if any
	RemoteAddr string
	Message    []byte // smtpx.EndOfData: the message as received
}

// Policy decides how the server answers: nil accepts, a Reply refuses. It
// may be called from several sessions at once.
type Policy func(Command) *Reply

// RejectAt is a Policy that refuses every command at stage with r.
func RejectAt(stage smtpx.Stage, r Reply) Policy {
	return func(c Command) *Reply {
		if c.Stage == stage {
			return &r
		}
		return nil
	}
}

// Chain asks each policy in turn; the first refusal wins.
func Chain(ps ...Policy) Policy {
	return func(c Command) *Reply {
		for _, p := range ps {
			if p == nil {
				continue
			}
			if r := p(c); r != nil {
				return r
			}
		}
		return nil
	}
}

// smtpError turns a Reply into the error go-smtp writes.
func (r Reply) smtpError() *smtp.SMTPError {
	text := strings.Join(r.Lines, "\n")
	if text == "" {
		text = "refused"
	}
	return &smtp.SMTPError{Code: r.Code, EnhancedCode: parseEnhanced(r.Enhanced), Message: text}
}

func parseEnhanced(s string) smtp.EnhancedCode {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return smtp.NoEnhancedCode
	}
	var ec smtp.EnhancedCode
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return smtp.NoEnhancedCode
		}
		ec[i] = n
	}
	return ec
}

// wire returns the reply as it goes on the wire, CRLF-terminated lines.
func (r Reply) wire() string {
	lines := r.Lines
	if len(lines) == 0 {
		lines = []string{"refused"}
	}
	var b strings.Builder
	for i, l := range lines {
		sep := "-"
		if i == len(lines)-1 {
			sep = " "
			if r.Enhanced != "" {
				l = r.Enhanced + " " + l
			}
		}
		fmt.Fprintf(&b, "%03d%s%s\r\n", r.Code, sep, l)
	}
	return b.String()
}
