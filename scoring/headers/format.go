package headers

import (
	"fmt"
	"strings"
	"time"

	"github.com/mailcred/mailcred/scoring"
)

// Size thresholds. Gmail accepts messages up to 25 MB; many receivers stop
// at 10 MB. Base64 attachments grow by a third on the way.
const (
	warnSize = 10 << 20
	failSize = 25 << 20
)

// problem is one finding of checkFormat, worst first.
type problem struct {
	status scoring.Status
	title  string
	detail string
	fix    string
}

// checkFormat judges the raw bytes: CRLF line endings (RFC 5322 §2.1,
// RFC 5321 §2.3.8), line length (RFC 5322 §2.1.1), NUL bytes (§2.3),
// header lines that are not fields, duplicates of Sender, Reply-To, Bcc,
// In-Reply-To and References (§3.6), and size.
func checkFormat(m *Message, _ scoring.Evidence, _ time.Time) scoring.Result {
	var ps []problem
	switch h := m.Header; {
	case h.Over():
		ps = append(ps, problem{scoring.Fail,
			fmt.Sprintf("The header section has %d fields in %s: receivers refuse it", h.Fields, sizeText(h.Bytes)),
			fmt.Sprintf("mailcred reads at most %d header fields and %s of header (Exim's limit); past that nothing else "+
				"about the message is checked. Exim refuses a header section over 1 MB, sendmail one over 32 KB "+
				"(552 5.0.0 Headers too large), Gmail answers 552 5.3.4, Postfix discards a field past 100 KB.",
				MaxFields, sizeText(MaxHeaderBytes)),
			"Find what writes so many header fields (a loop in a filter or a template) and fix it; real mail has a few dozen."})
	case h.Bytes > sendmailHeaderBytes:
		ps = append(ps, problem{scoring.Warn, fmt.Sprintf("The header section is %s", sizeText(h.Bytes)),
			"sendmail refuses a header section over 32 KB by default (MaxHeadersLength: 552 5.0.0 Headers too large).",
			"Trim the header: drop long custom fields and old Received lines a relay copied in."})
	}
	if m.BareLFCount > 0 {
		ps = append(ps, problem{scoring.Fail,
			fmt.Sprintf("%s end in a bare LF, not CRLF", plural(m.BareLFCount, "line")),
			fmt.Sprintf("Lines %s end in LF alone. RFC 5322 §2.3 and RFC 5321 §2.3.8 allow CR and LF only together; "+
				"since the 2023 SMTP smuggling fixes many servers refuse bare LF (Postfix smtpd_forbid_bare_newline, "+
				"Exim, Gmail) and DKIM verifiers see different bytes than were signed.", lineList(m.BareLF, m.BareLFCount)),
			"Send with CRLF line endings: hand the message to /usr/sbin/sendmail (which converts LF) or convert it first (unix2dos, or sed 's/$/\\r/' on LF-only text)."})
	}
	if len(m.BareCR) > 0 {
		ps = append(ps, problem{scoring.Fail, "Bare CR inside lines",
			fmt.Sprintf("Lines %s hold a CR that is not followed by LF (RFC 5322 §2.3 forbids it).", lineList(m.BareCR, len(m.BareCR))),
			"Remove stray carriage returns from the text (tr -d '\\r' before converting to CRLF)."})
	}
	if m.NULs > 0 {
		ps = append(ps, problem{scoring.Fail, fmt.Sprintf("%s in the message", plural(m.NULs, "NUL byte")),
			"RFC 5322 §2.3 forbids NUL in messages; many MTAs reject or truncate them.",
			"Remove NUL bytes, or send binary content as a base64-encoded attachment."})
	}
	if m.LongCount > 0 {
		var ex []string
		for _, l := range m.LongLines {
			ex = append(ex, fmt.Sprintf("line %d: %d octets (%s)", l.Line, l.Len, l.Text))
		}
		ps = append(ps, problem{scoring.Fail, fmt.Sprintf("%s longer than 998 octets", plural(m.LongCount, "line")),
			"RFC 5322 §2.1.1: lines MUST be no more than 998 characters; relays may break them (breaking DKIM) or reject the message.\n" +
				strings.Join(ex, "\n"),
			"Encode the body as quoted-printable (Content-Transfer-Encoding: quoted-printable; mailcred's composer does when lines are long) and fold long header fields."})
	}
	if len(m.Malformed) > 0 {
		var ex []string
		for _, l := range m.Malformed {
			ex = append(ex, fmt.Sprintf("line %d: %s", l.Line, l.Text))
		}
		ps = append(ps, problem{scoring.Fail, "Header lines that are not fields",
			"In the header section every line must be `Name: value` or a continuation starting with white space (RFC 5322 §2.2). " +
				"A missing blank line between header and body produces this too.\n" + strings.Join(ex, "\n"),
			"Fix the generator of these lines; end the header section with one empty line before the body."})
	}
	// The single-instance fields of RFC 5322 §3.6 that no other check owns.
	for _, name := range []string{"Sender", "Reply-To", "Bcc", "In-Reply-To", "References"} {
		if fs := m.Get(name); len(fs) > 1 {
			d := duplicate(name, fs)
			ps = append(ps, problem{scoring.Fail, d.Title, d.Detail, d.Fix.Summary})
		}
	}
	if len(m.Get("Bcc")) > 0 {
		ps = append(ps, problem{scoring.Warn, "A Bcc: header is in the message",
			"The Bcc: field shows every recipient the list of blind copies; MTAs usually strip it when a program submits, but not when relaying.",
			"Put blind-copy recipients only in the envelope (RCPT TO) and leave Bcc: out of the message."})
	}
	switch {
	case m.Size > failSize:
		ps = append(ps, problem{scoring.Fail, fmt.Sprintf("Message is %s", sizeText(m.Size)),
			"Gmail refuses messages over 25 MB; most receivers have a limit at or below that.",
			"Send large files as links instead of attachments."})
	case m.Size > warnSize:
		ps = append(ps, problem{scoring.Warn, fmt.Sprintf("Message is %s", sizeText(m.Size)),
			"Many receivers refuse messages over 10 MB (Gmail's limit is 25 MB).",
			"Send large files as links instead of attachments."})
	}
	if !m.Separated && len(m.Fields) == 0 {
		ps = append(ps, problem{scoring.Fail, "No header section",
			"The message does not start with header fields (RFC 5322 §2.1).",
			"Start the message with its header fields (From:, To:, Date:, ...), then an empty line, then the body."})
	}
	summary := fmt.Sprintf("%s, %s, longest line %d octets.", sizeText(m.Size), plural(m.Lines, "line"), m.Longest)
	if len(ps) == 0 {
		return scoring.Result{Status: scoring.Pass, Title: "Message format is clean: CRLF line endings, lines within 998 octets",
			Detail: summary}
	}
	res := scoring.Result{Status: ps[0].status, Title: ps[0].title}
	var details, fixes []string
	for _, p := range ps {
		if p.status.Worse(res.Status) {
			res.Status, res.Title = p.status, p.title
		}
		details = append(details, p.status.String()+": "+p.title+". "+p.detail)
		fixes = append(fixes, p.fix)
	}
	if len(ps) > 1 {
		res.Title += fmt.Sprintf(" (and %d more)", len(ps)-1)
	}
	res.Detail = summary + "\n" + strings.Join(details, "\n")
	res.Fix = &scoring.Fix{Summary: strings.Join(fixes, "\n")}
	return res
}

func lineList(lines []int, total int) string {
	parts := make([]string, len(lines))
	for i, l := range lines {
		parts[i] = fmt.Sprint(l)
	}
	s := strings.Join(parts, ", ")
	if total > len(lines) {
		s += fmt.Sprintf(" (and %d more)", total-len(lines))
	}
	return s
}

func sizeText(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
