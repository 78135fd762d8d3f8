package headers

import (
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/mailcred/mailcred/scoring"
)

// Date limits: filters score dates in the future (SpamAssassin
// DATE_IN_FUTURE_*) and far in the past (DATE_IN_PAST_*), which is what a
// wrong clock or a stale queue produces.
const (
	maxFuture = 15 * time.Minute
	maxPast   = 24 * time.Hour
)

// dateSnippet is a correctly formed Date field (RFC 5322 §3.3).
const dateLayout = "Mon, 02 Jan 2006 15:04:05 -0700"

// checkDate: exactly one Date field (RFC 5322 §3.6: required), which
// parses (§3.3) and is close to now.
func checkDate(m *Message, _ scoring.Evidence, now time.Time) scoring.Result {
	fields := m.Get("Date")
	switch len(fields) {
	case 0:
		return scoring.Result{
			Status: scoring.Fail,
			Title:  "No Date: header",
			Detail: "RFC 5322 §3.6 requires exactly one Date: field (the origination date); SpamAssassin scores MISSING_DATE. " +
				"MTAs usually add one when a local program submits without it, but not when mail is relayed.",
			Fix: &scoring.Fix{Summary: "Add a Date: header in RFC 5322 form when composing.",
				Snippet: "Date: " + now.Format(dateLayout)},
		}
	case 1:
	default:
		return duplicate("Date", fields)
	}
	f := fields[0]
	t, err := mail.ParseDate(f.Value)
	if err != nil {
		return scoring.Result{
			Status: scoring.Fail,
			Title:  "Date: header does not parse",
			Detail: fmt.Sprintf("line %d: Date: %s\n%v; RFC 5322 §3.3 wants e.g. %q (SpamAssassin INVALID_DATE).",
				f.Line, clip(f.Value, 100), err, now.Format(dateLayout)),
			Fix: &scoring.Fix{Summary: "Format the date as RFC 5322 §3.3 says: day, date, time and numeric zone.",
				Snippet: "Date: " + now.Format(dateLayout)},
		}
	}
	skew := t.Sub(now)
	switch {
	case skew > maxFuture:
		return scoring.Result{
			Status: scoring.Warn,
			Title:  fmt.Sprintf("Date: is %s in the future", roundDur(skew)),
			Detail: fmt.Sprintf("Date: %s; now is %s. Filters score future dates (SpamAssassin DATE_IN_FUTURE_*).",
				f.Value, now.Format(dateLayout)),
			Fix: &scoring.Fix{Summary: "Check the sending host's clock and time zone: timedatectl status (enable NTP with timedatectl set-ntp true)."},
		}
	case -skew > maxPast:
		return scoring.Result{
			Status: scoring.Warn,
			Title:  fmt.Sprintf("Date: is %s old", roundDur(-skew)),
			Detail: fmt.Sprintf("Date: %s; now is %s. Filters score old dates (SpamAssassin DATE_IN_PAST_*). "+
				"For a message saved long ago and scored now this is expected.", f.Value, now.Format(dateLayout)),
			Fix: &scoring.Fix{Summary: "Set Date: when the message is sent, not when it was drafted; check the host's clock (timedatectl status) and for mail stuck in the queue (mailq)."},
		}
	}
	return scoring.Result{Status: scoring.Pass, Title: "Date: " + f.Value,
		Detail: fmt.Sprintf("Parses as %s (%s from now).", t.UTC().Format(time.RFC3339), roundDur(skew))}
}

func roundDur(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d.Hours()/24))
	case d >= time.Hour:
		return d.Round(time.Minute).String()
	}
	return d.Round(time.Second).String()
}

// checkMessageID: one Message-ID field (RFC 5322 §3.6.4: SHOULD be
// present; Gmail refuses mail without a valid one) of the form
// <id-left@id-right>.
func checkMessageID(m *Message, ev scoring.Evidence, _ time.Time) scoring.Result {
	fields := m.Get("Message-ID")
	example := "Message-ID: <20260101120000.a1b2c3d4@" + exampleDomain(ev) + ">"
	switch len(fields) {
	case 0:
		return scoring.Result{
			Status: scoring.Fail,
			Title:  "No Message-ID: header",
			Detail: "RFC 5322 §3.6.4 says every message SHOULD have one; Gmail refuses mail without a valid Message-ID " +
				"and SpamAssassin scores MISSING_MID.",
			Fix: &scoring.Fix{Summary: "Generate a unique Message-ID on your own domain when composing " +
				"(mailcred's composer does; exim and postfix add one to locally submitted mail).", Snippet: example},
		}
	case 1:
	default:
		return duplicate("Message-ID", fields)
	}
	f := fields[0]
	left, right, err := ParseMessageID(f.Value)
	if err != nil {
		return scoring.Result{
			Status: scoring.Fail,
			Title:  "Message-ID: is not <left@right>",
			Detail: fmt.Sprintf("line %d: Message-ID: %s\n%v (RFC 5322 §3.6.4)", f.Line, clip(f.Value, 200), err),
			Fix:    &scoring.Fix{Summary: "Write the Message-ID as <unique-part@your-domain>.", Snippet: example},
		}
	}
	if r := strings.ToLower(right); r == "localhost" || r == "localhost.localdomain" || !strings.ContainsAny(r, ".[") {
		return scoring.Result{
			Status: scoring.Warn,
			Title:  "Message-ID: is on " + right + ", not a domain",
			Detail: fmt.Sprintf("Message-ID: %s. The right part is meant to be a domain you control so the id is globally "+
				"unique (RFC 5322 §3.6.4); a bare host name usually means the MTA's host name is not configured.", f.Value),
			Fix: &scoring.Fix{Summary: "Set the host's fully qualified name (hostnamectl set-hostname mail.example.com; " +
				"exim4: dc_other_hostnames / primary_hostname; postfix: myhostname) or generate Message-IDs on your domain.",
				Snippet: example},
		}
	}
	return scoring.Result{Status: scoring.Pass, Title: "Message-ID: " + clip(f.Value, 80),
		Detail: fmt.Sprintf("<%s@%s>: well formed (RFC 5322 §3.6.4).", clip(left, 60), right)}
}

// ParseMessageID checks a msg-id (RFC 5322 §3.6.4): "<" id-left "@"
// id-right ">", id-left a dot-atom-text, id-right a dot-atom-text or a
// no-fold-literal ("[...]"). Surrounding white space is allowed.
func ParseMessageID(v string) (left, right string, err error) {
	v = strings.TrimSpace(v)
	if !strings.HasPrefix(v, "<") || !strings.HasSuffix(v, ">") || len(v) < 2 {
		return "", "", fmt.Errorf("not enclosed in angle brackets")
	}
	inner := v[1 : len(v)-1]
	at := strings.LastIndexByte(inner, '@')
	if at < 0 {
		return "", "", fmt.Errorf("no @ between the unique part and the domain")
	}
	left, right = inner[:at], inner[at+1:]
	if !dotAtomText(left) {
		return "", "", fmt.Errorf("the part before @ (%q) is not a dot-atom", clip(left, 40))
	}
	if strings.HasPrefix(right, "[") && strings.HasSuffix(right, "]") {
		for i := 1; i < len(right)-1; i++ {
			if c := right[i]; c < 33 || c > 126 || c == '[' || c == ']' || c == '\\' {
				return "", "", fmt.Errorf("bad character in the domain literal")
			}
		}
		return left, right, nil
	}
	if !dotAtomText(right) {
		return "", "", fmt.Errorf("the part after @ (%q) is not a domain", clip(right, 40))
	}
	return left, right, nil
}

// dotAtomText: atext *("." atext) (RFC 5322 §3.2.3).
func dotAtomText(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '.' || isAtext(c) {
			continue
		}
		return false
	}
	return true
}

func isAtext(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

func exampleDomain(ev scoring.Evidence) string {
	if ev.Domain != "" {
		return strings.TrimSuffix(strings.ToLower(ev.Domain), ".")
	}
	return "example.com"
}

// checkSubject: one Subject field (RFC 5322 §3.6.5 makes it optional, but
// filters score its absence: SpamAssassin MISSING_SUBJECT), not empty,
// non-ASCII text encoded (RFC 2047).
func checkSubject(m *Message, _ scoring.Evidence, _ time.Time) scoring.Result {
	fields := m.Get("Subject")
	switch len(fields) {
	case 0:
		return scoring.Result{
			Status: scoring.Warn,
			Title:  "No Subject: header",
			Detail: "RFC 5322 makes Subject: optional, but filters score its absence (SpamAssassin MISSING_SUBJECT) " +
				"and people ignore such mail.",
			Fix: &scoring.Fix{Summary: "Give the message a short, specific subject.", Snippet: "Subject: Your invoice for March"},
		}
	case 1:
	default:
		return duplicate("Subject", fields)
	}
	f := fields[0]
	switch {
	case f.Value == "":
		return scoring.Result{
			Status: scoring.Warn,
			Title:  "Subject: is empty",
			Detail: fmt.Sprintf("line %d: an empty subject looks like an automated or careless message to filters and people.", f.Line),
			Fix:    &scoring.Fix{Summary: "Give the message a short, specific subject.", Snippet: "Subject: Your invoice for March"},
		}
	case eightBit([]byte(f.Value)):
		return scoring.Result{
			Status: scoring.Warn,
			Title:  "Subject: holds raw 8-bit text",
			Detail: fmt.Sprintf("line %d: bytes outside ASCII that are not RFC 2047 encoded; without SMTPUTF8 (RFC 6532) "+
				"receivers may reject the message or show garbage.", f.Line),
			Fix: &scoring.Fix{Summary: "Encode the subject as RFC 2047 encoded-words (mailcred's composer does).",
				Snippet: "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?="},
		}
	}
	return scoring.Result{Status: scoring.Pass, Title: "Subject: " + clip(decodeWords(f.Value), 70)}
}
