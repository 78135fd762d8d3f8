package compose

import (
	"bytes"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/mailcred/mailcred/scoring"
)

// DateLayout is the RFC 5322 §3.3 date-time form Render writes.
const DateLayout = "Mon, 02 Jan 2006 15:04:05 -0700"

// Render returns the message as it goes on the wire: CRLF line endings,
// folded header fields, MIME-Version 1.0, text/plain UTF-8 in 7bit or
// quoted-printable. A zero Date becomes now; an empty MessageID becomes
// <random@domain>, where domain defaults to the From address's domain.
// On a validation problem it returns the problems joined (each a
// *FieldError, reachable with errors.As) and the draft is untouched.
func (m *Message) Render(now time.Time, domain string) ([]byte, error) {
	if errs := m.Validate(); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	head, err := m.header(now, domain)
	if err != nil {
		return nil, err
	}
	body, _ := encodeBody(m.Body)
	out := make([]byte, 0, len(head)+2+len(body))
	out = append(out, head...)
	out = append(out, "\r\n"...)
	return append(out, body...), nil
}

// header renders the header section (each field ending in CRLF, without
// the blank line that ends the section).
func (m *Message) header(now time.Time, domain string) ([]byte, error) {
	var b bytes.Buffer
	write := func(field, name, value string) error {
		folded, longest := fold(name, value)
		if longest > MaxLine {
			return fieldErr(field, "a word too long to fold: the line would be %d octets, RFC 5322 §2.1.1 allows %d; shorten it or add spaces", longest, MaxLine)
		}
		b.WriteString(folded)
		b.WriteString("\r\n")
		return nil
	}
	cte := transferEncoding(m.Body)
	for _, name := range standard {
		if m.omitted(name) {
			continue
		}
		var value string
		switch name {
		case "Date":
			d := m.Date
			if d.IsZero() {
				d = now
			}
			value = d.Format(DateLayout)
		case "From":
			value = m.From.String()
		case "To":
			if len(m.To) == 0 {
				continue
			}
			value = addressList(m.To)
		case "Cc":
			if len(m.Cc) == 0 {
				continue
			}
			value = addressList(m.Cc)
		case "Subject":
			value = unstructured(m.Subject, len(name))
		case "Message-ID":
			if m.MessageID != "" {
				value = bracket(m.MessageID)
				break
			}
			id, err := NewMessageID(m.idDomain(domain))
			if err != nil {
				return nil, err
			}
			value = id
		case "MIME-Version":
			value = "1.0"
		case "Content-Type":
			value = "text/plain; charset=UTF-8"
		case "Content-Transfer-Encoding":
			value = cte
		}
		if err := write(name, name, value); err != nil {
			return nil, err
		}
	}
	for i, h := range m.Extra {
		value := h.Value
		if !isASCII(value) {
			value = unstructured(value, len(h.Name))
		}
		if err := write(fmt.Sprintf("Extra[%d].Value", i), h.Name, value); err != nil {
			return nil, err
		}
	}
	return b.Bytes(), nil
}

// idDomain is the domain a generated Message-ID is made on.
func (m *Message) idDomain(domain string) string {
	if domain = strings.TrimSuffix(strings.TrimSpace(domain), "."); domain != "" {
		return strings.ToLower(domain)
	}
	return scoring.DomainOf(m.From.Address)
}

// NewMessageID returns a fresh "<random@domain>" (RFC 5322 §3.6.4): 120
// random bits, so it is unique without any state.
func NewMessageID(domain string) (string, error) {
	if domain == "" || !isASCII(domain) || strings.ContainsAny(domain, " \t\r\n<>@\"()[]\\,;:") {
		return "", fieldErr("MessageID", "no usable domain to generate a Message-ID on (%q); set From or give the sending domain", domain)
	}
	var r [15]byte
	if _, err := rand.Read(r[:]); err != nil {
		return "", fmt.Errorf("generating a Message-ID: %w", err)
	}
	enc := base32.StdEncoding.WithPadding(base32.NoPadding)
	return "<" + strings.ToLower(enc.EncodeToString(r[:])) + "@" + domain + ">", nil
}

func addressList(list []mail.Address) string {
	parts := make([]string, len(list))
	for i, a := range list {
		parts[i] = a.String()
	}
	return strings.Join(parts, ", ")
}
