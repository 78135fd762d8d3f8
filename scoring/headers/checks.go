package headers

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"strings"
	"time"

	"github.com/mailcred/mailcred/scoring"
)

// The check ids this package reports. message.format carries the hygiene
// of the raw bytes that no single header owns (line endings, line length,
// size, malformed lines, duplicates of the less common single-instance
// fields).
const (
	IDTo        = "headers.to"
	IDFrom      = "headers.from"
	IDDate      = "headers.date"
	IDMessageID = "headers.message-id"
	IDSubject   = "headers.subject"
	IDMIME      = "headers.mime"
	IDFormat    = "message.format"
)

// Checks returns the message checks, in the order a person reads them.
// Each applies only when Evidence.Message holds a message.
func Checks() []scoring.Check { return checks(time.Now) }

// checks takes the clock, so tests can pin "now" for headers.date without
// package-level state.
func checks(now func() time.Time) []scoring.Check {
	type def struct {
		id, title string
		run       func(m *Message, ev scoring.Evidence, now time.Time) scoring.Result
	}
	defs := []def{
		{IDFrom, "From: header", checkFrom},
		{IDTo, "To: header", checkTo},
		{IDDate, "Date: header", checkDate},
		{IDMessageID, "Message-ID: header", checkMessageID},
		{IDSubject, "Subject: header", checkSubject},
		{IDMIME, "MIME headers", checkMIME},
		{IDFormat, "Message format", checkFormat},
	}
	out := make([]scoring.Check, len(defs))
	for i, d := range defs {
		out[i] = scoring.Check{
			ID:      d.id,
			Title:   d.title,
			Applies: hasMessage,
			Run: func(_ context.Context, env *scoring.Env) scoring.Result {
				m := Parse(env.Evidence.Message)
				var res scoring.Result
				if m.Truncated && d.id != IDFormat {
					res = notRead(m)
				} else {
					res = d.run(m, env.Evidence, now())
				}
				res.ID = d.id
				if res.Fix != nil && len(res.Fix.Records) == 0 && res.Fix.Manual == "" {
					res.Fix.Manual = manual
				}
				return res
			},
		}
	}
	return out
}

func hasMessage(ev scoring.Evidence) bool { return len(ev.Message) > 0 }

// manual is where every header fix is applied: the message itself.
const manual = "In the message: the mail program, script or MTA that composes it (no DNS record changes this)."

// notRead is every header check's result on a header section over the
// limits: only part of it was read, so no verdict on a field would be
// sound (the From: could be field 700,000).
func notRead(m *Message) scoring.Result {
	return scoring.Result{Status: scoring.Error,
		Title:  "Not checked: the header section is over the limits",
		Detail: (&LimitError{Size: m.Header}).Error() + ". message.format says what receivers do with it."}
}

// addressParser decodes RFC 2047 display names in any charset leniently:
// the checks judge the structure of addresses, not the charset of names.
func addressParser() *mail.AddressParser {
	return &mail.AddressParser{WordDecoder: &mime.WordDecoder{
		CharsetReader: func(_ string, r io.Reader) (io.Reader, error) { return r, nil },
	}}
}

// duplicate is the result for a single-instance field that appears more
// than once (RFC 5322 §3.6: From, Date, Sender, Reply-To, To, Cc, Bcc,
// Message-ID, In-Reply-To, References and Subject at most once).
func duplicate(name string, fields []Field) scoring.Result {
	var lines []string
	for i, f := range fields {
		if i == keep {
			lines = append(lines, fmt.Sprintf("(and %d more)", len(fields)-keep))
			break
		}
		lines = append(lines, fmt.Sprintf("line %d: %s", f.Line, clip(f.Raw, 100)))
	}
	return scoring.Result{
		Status: scoring.Fail,
		Title:  fmt.Sprintf("%d %s: header fields; RFC 5322 allows one", len(fields), name),
		Detail: fmt.Sprintf("RFC 5322 §3.6 allows at most one %s: field. Gmail refuses such messages (550 5.7.1), "+
			"and with several copies a DKIM signature or a reader may each see a different one.\n%s",
			name, strings.Join(lines, "\n")),
		Fix: &scoring.Fix{Summary: fmt.Sprintf("Keep one %s: field. If a script or filter adds its own, make it replace the field instead of adding another.", name)},
	}
}

// clip shortens s for a detail line and makes it printable.
func clip(s string, n int) string {
	s = strings.ReplaceAll(s, "\r\n", " ")
	var b strings.Builder
	for i, r := range s {
		if i >= n {
			b.WriteString("…")
			break
		}
		if r < 32 || r == 127 {
			b.WriteByte('?')
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
