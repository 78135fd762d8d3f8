package compose

import (
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mailcred/mailcred/scoring/headers"
)

// Validate reports every problem of the draft, each a *FieldError; nil
// means Render will succeed as long as it has a domain for a generated
// Message-ID (its argument, or the From address). It never changes the
// draft.
func (m *Message) Validate() []error {
	var errs []error
	add := func(e *FieldError) {
		if e != nil {
			errs = append(errs, e)
		}
	}
	for k := range m.Omit {
		if !isStandard(k) {
			add(fieldErr("Omit", "%q is not a header mailcred writes, so it cannot be omitted (these can: %s)",
				k, strings.Join(standard[:], ", ")))
		}
	}

	if m.From.Address != "" || !m.omitted("From") {
		add(checkAddress("From", m.From))
	}
	if len(m.To) == 0 && !m.omitted("To") {
		add(fieldErr("To", "no recipient: add one, or omit To on purpose (receivers and filters penalise a missing To:)"))
	}
	for i, a := range m.To {
		add(checkAddress(fmt.Sprintf("To[%d]", i), a))
	}
	for i, a := range m.Cc {
		add(checkAddress(fmt.Sprintf("Cc[%d]", i), a))
	}
	add(checkText("Subject", m.Subject))
	if m.MessageID != "" {
		add(checkMessageID(m.MessageID))
	}
	for i, h := range m.Extra {
		add(m.checkExtra(i, h))
	}
	add(checkBody(m.Body))
	if len(errs) > 0 {
		return errs
	}
	// What the rules above cannot see: a word too long to fold under 998
	// octets. Render the header once with stand-in values to find out.
	if _, err := m.header(time.Unix(0, 0).UTC(), "example.invalid"); err != nil {
		errs = append(errs, err)
	}
	return errs
}

// checkAddress: parseable, ASCII (SMTPUTF8 is not supported), within the
// RFC 5321 §4.5.3.1 limits, and no line break or control character in the
// display name (header injection).
func checkAddress(field string, a mail.Address) *FieldError {
	if e := checkText(field+" name", a.Name); e != nil {
		return e
	}
	addr := a.Address
	switch {
	case addr == "":
		return fieldErr(field, "no address")
	case strings.ContainsAny(addr, "\r\n"):
		return fieldErr(field, "the address contains a line break: refused, it would start a new header field (header injection)")
	case !isASCII(addr):
		return fieldErr(field, "%q is not ASCII: that needs SMTPUTF8 (RFC 6531), which mailcred does not send; write the domain in its xn-- (punycode) form", addr)
	}
	parsed, err := mail.ParseAddress("<" + addr + ">")
	if err != nil || parsed.Address != addr {
		return fieldErr(field, "%q is not an address of the form local@domain (RFC 5322 §3.4.1)", addr)
	}
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return fieldErr(field, "%q has no @domain", addr)
	}
	if n := at; n > 64 {
		return fieldErr(field, "the local part has %d octets; RFC 5321 §4.5.3.1.1 allows 64", n)
	}
	if n := len(addr) - at - 1; n > 255 {
		return fieldErr(field, "the domain has %d octets; RFC 5321 §4.5.3.1.2 allows 255", n)
	}
	return nil
}

// checkText: a header value typed by the user. A line break would end the
// field and let the rest of the text pose as new header fields (header
// injection), so CR and LF are refused outright rather than stripped.
func checkText(field, s string) *FieldError {
	if !utf8.ValidString(s) {
		return fieldErr(field, "not valid UTF-8 text")
	}
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		return fieldErr(field, "contains a line break at character %d: refused, it would start a new header field (header injection); keep it on one line", utf8.RuneCountInString(s[:i])+1)
	}
	for i, r := range s {
		if r != '\t' && unicode.IsControl(r) {
			return fieldErr(field, "contains the control character %U at character %d; header text must be printable", r, utf8.RuneCountInString(s[:i])+1)
		}
	}
	return nil
}

func checkMessageID(id string) *FieldError {
	if e := checkText("MessageID", id); e != nil {
		return e
	}
	if _, _, err := headers.ParseMessageID(bracket(id)); err != nil {
		return fieldErr("MessageID", "%q: %v; write it as <unique@your-domain> (RFC 5322 §3.6.4), or leave it empty to have one generated", id, err)
	}
	return nil
}

func (m *Message) checkExtra(i int, h Header) *FieldError {
	field := fmt.Sprintf("Extra[%d]", i)
	if strings.ContainsAny(h.Name, "\r\n") {
		return fieldErr(field+".Name", "contains a line break: refused (header injection)")
	}
	if !headers.ValidName(h.Name) {
		return fieldErr(field+".Name", "%q is not a header name: use printable ASCII without spaces or colons (RFC 5322 §2.2), e.g. X-Campaign", h.Name)
	}
	if strings.EqualFold(h.Name, "Bcc") {
		return fieldErr(field+".Name", "a Bcc: field would show every recipient the blind copies; give blind recipients to the envelope instead")
	}
	if isStandard(h.Name) && !m.omitted(h.Name) {
		return fieldErr(field+".Name", "%s is written from the draft's own field; to write it by hand, omit %s first", h.Name, h.Name)
	}
	return checkText(field+".Value", h.Value)
}

func checkBody(body string) *FieldError {
	switch {
	case len(body) > MaxBody:
		return fieldErr("Body", "%d bytes; a test message is limited to %d (send large files as links)", len(body), MaxBody)
	case !utf8.ValidString(body):
		return fieldErr("Body", "not valid UTF-8 text (the message declares charset=UTF-8)")
	case strings.IndexByte(body, 0) >= 0:
		return fieldErr("Body", "contains a NUL byte, which RFC 5322 §2.3 forbids in a message")
	}
	return nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// bracket adds the angle brackets of a msg-id when the user left them out.
func bracket(id string) string {
	id = strings.TrimSpace(id)
	if !strings.HasPrefix(id, "<") {
		id = "<" + id
	}
	if !strings.HasSuffix(id, ">") {
		id += ">"
	}
	return id
}
