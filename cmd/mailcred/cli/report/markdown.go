package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/mailcred/mailcred/session/smtpc"
)

// fence returns a code fence longer than any backtick run in s, so
// untrusted text cannot close the block.
func fence(s string) string {
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return strings.Repeat("`", max(3, longest+1))
}

// cell makes text safe inside a Markdown table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "\\", "\\\\")
	s = strings.ReplaceAll(s, "|", "\\|")
	s = strings.ReplaceAll(s, "\n", " ")
	return strings.ReplaceAll(s, "<", "&lt;")
}

// Markdown writes the report as Markdown (GitHub-flavoured tables).
func Markdown(w io.Writer, f *Findings, o Options) error {
	m := masker(o.Secrets)
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	block := func(lines []string) {
		body := m.text(strings.Join(lines, "\n"))
		fc := fence(body)
		p("%s\n%s\n%s\n\n", fc, body, fc)
	}
	kind := o.Command
	if kind == "" {
		kind = f.Kind()
	}
	title := f.Domain
	if title == "" {
		title = f.File
	}
	p("# mailcred %s report: %s\n\n", kind, cell(m.line(title)))
	p("Generated %s by mailcred %s.", o.Generated.UTC().Format("2006-01-02 15:04:05 MST"), cell(o.Version))
	p(" Secrets (SMTP passwords, DKIM private keys, DQS keys) are never included.\n\n")

	p("## Summary\n\n")
	p("| | |\n| --- | --- |\n")
	if f.Domain != "" {
		p("| Domain | %s |\n", cell(m.line(f.Domain)))
	}
	if ips := f.ips(); len(ips) > 0 {
		p("| Sending IP | %s |\n", cell(m.line(strings.Join(ips, ", "))))
	}
	if f.File != "" {
		p("| Message | %s |\n", cell(m.line(f.File)))
	}
	if o := f.Outcome; o != nil {
		if o.Stage != "" {
			p("| Outcome | %s at %s |\n", cell(strings.ToUpper(o.Verdict)), cell(m.line(o.Stage)))
		} else {
			p("| Outcome | %s |\n", cell(strings.ToUpper(o.Verdict)))
		}
		if o.Server != "" || o.RemoteAddr != "" {
			p("| Receiving server | %s (%s) |\n", cell(m.line(o.Server)), cell(m.line(o.RemoteAddr)))
		}
		if o.HELO != "" {
			p("| HELO | %s |\n", cell(m.line(o.HELO)))
		}
	}
	p("| Score | %s |\n\n", cell(f.scoreLine()))

	if o := f.Outcome; o != nil && (len(o.Reply) > 0 || o.Error != "") {
		p("## The exact reply\n\n")
		if len(o.Reply) > 0 {
			block(o.Reply)
		} else {
			block([]string{o.Error})
		}
		if e := o.Explanation; e != nil && e.Meaning != "" {
			p("**What it means** (%s, %s): %s\n\n", cell(e.Provider), cell(e.Category), m.line(e.Meaning))
			if e.Source != "" {
				p("Source: %s\n\n", m.line(e.Source))
			}
		}
	}

	if rows := f.state(); len(rows) > 0 {
		p("## Sender state (PTR, SPF, DKIM, DMARC)\n\n| | status | finding |\n| --- | --- | --- |\n")
		for _, r := range rows {
			p("| %s | %s %s | %s |\n", r.What, symbol(r.Check.Status), r.Check.Status, cell(m.line(r.Check.Title)))
		}
		p("\n")
	}

	if f.AuthResults != "" {
		p("## Authentication-Results\n\n")
		block([]string{"Authentication-Results: " + f.AuthResults})
	}

	if len(f.Checks) > 0 {
		p("## Checks\n\n| check | status | finding |\n| --- | --- | --- |\n")
		for _, c := range f.Checks {
			p("| `%s` | %s %s | %s |\n", cell(c.ID), symbol(c.Status), c.Status, cell(m.line(c.Title)))
		}
		p("\n")
		var explained bool
		for _, c := range f.Checks {
			if c.Status == "pass" || c.Status == "skip" || c.Status == "info" {
				continue
			}
			if !explained {
				p("## Explanations and fixes\n\n")
				explained = true
			}
			p("### %s %s — %s\n\n", symbol(c.Status), cell(c.ID), cell(m.line(c.Title)))
			if c.Detail != "" {
				block(strings.Split(c.Detail, "\n"))
			}
			if fx := c.Fix; fx != nil {
				p("**Fix:** %s\n\n", m.line(fx.Summary))
				var zone []string
				for _, r := range fx.Records {
					value := r.Value
					if strings.EqualFold(r.Type, "TXT") {
						value = fmt.Sprintf("%q", value)
					}
					zone = append(zone, fmt.Sprintf("%s. IN %s %s", strings.TrimSuffix(r.Name, "."), r.Type, value))
				}
				if len(zone) > 0 {
					block(zone)
				}
				if fx.Snippet != "" {
					block(strings.Split(fx.Snippet, "\n"))
				}
				if fx.Manual != "" {
					p("%s\n\n", m.line(fx.Manual))
				}
			}
		}
	}

	if o := f.Outcome; o != nil && o.TLS != nil {
		t := o.TLS
		p("## TLS\n\n| | |\n| --- | --- |\n| Version | %s |\n| Cipher | %s |\n| Server name | %s |\n| Certificate verified | %v |\n",
			cell(t.Version), cell(t.CipherSuite), cell(m.line(t.ServerName)), t.Verified)
		if t.VerifyError != "" {
			p("| Verification error | %s |\n", cell(m.line(t.VerifyError)))
		}
		p("| Subject | %s |\n| Issuer | %s |\n| Not after | %s |\n\n", cell(m.line(t.Subject)), cell(m.line(t.Issuer)), cell(t.NotAfter))
	}
	if o := f.Outcome; o != nil && o.DKIM != nil {
		d := o.DKIM
		p("## DKIM\n\nSigned as `%s` with selector `%s` (%s, %d bits, c=%s), headers %s.\n\n",
			cell(d.Domain), cell(d.Selector), cell(d.Algorithm), d.Bits, cell(d.Canonicalization), cell(strings.Join(d.Headers, ":")))
		for _, pub := range d.Published {
			p("- published key %s._domainkey.%s: **%s** — %s\n", cell(pub.Selector), cell(pub.Domain), cell(pub.Status), m.line(pub.Explanation))
		}
		p("\n")
	}

	if len(f.Transcript) > 0 {
		p("## SMTP transcript\n\n")
		var lines []string
		for _, e := range f.Transcript {
			for i, l := range e.Lines {
				at := "        "
				if i == 0 {
					at = fmt.Sprintf("%7.3fs", e.At)
				}
				lines = append(lines, fmt.Sprintf("%s %-3s %s", at, smtpc.Marker(smtpc.Event{Kind: e.Kind, Source: e.Source}), l))
			}
		}
		block(lines)
	}

	if len(f.Queries) > 0 {
		p("## DNS answers\n\n| name | type | outcome | TTL | answer |\n| --- | --- | --- | ---: | --- |\n")
		for _, q := range f.Queries {
			ans := strings.Join(q.Answers, "<br>")
			if ans != "" {
				ans = cell(m.line(strings.Join(q.Answers, "\n")))
			}
			ttl := ""
			if q.TTL > 0 {
				ttl = fmt.Sprint(q.TTL)
			}
			p("| %s | %s | %s | %s | %s |\n", cell(m.line(q.Name)), cell(q.Type), cell(q.Outcome), ttl, ans)
		}
		p("\n")
	}
	for _, n := range f.Notes {
		p("> %s\n", m.line(n))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
