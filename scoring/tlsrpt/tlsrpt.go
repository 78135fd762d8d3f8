// Package tlsrpt checks a domain's SMTP TLS Reporting record (RFC 8460):
// the _smtp._tls TXT record and the syntax of its report destinations.
package tlsrpt

import (
	"context"
	"fmt"
	"net/mail"
	"net/url"
	"strings"

	"github.com/mailcred/mailcred/scoring"
)

// CheckRecord is the catalogue id.
const CheckRecord = "tlsrpt.record"

// MaxRecordLen bounds the TXT text parsed.
const MaxRecordLen = 4096

// Record is a parsed TLS-RPT record.
type Record struct {
	RUA        []string // report URIs, mailto: or https:
	Extensions []string
}

// ParseRecord reads "v=TLSRPTv1; rua=mailto:a@example.com,https://…"
// (RFC 8460 §3): the version first, exactly one rua of comma-separated
// mailto: or https: URIs; other fields are extensions.
func ParseRecord(txt string) (*Record, error) {
	if len(txt) > MaxRecordLen {
		return nil, fmt.Errorf("the record is %d bytes long", len(txt))
	}
	fields := strings.Split(txt, ";")
	if strings.TrimSpace(fields[0]) != "v=TLSRPTv1" {
		return nil, fmt.Errorf("%q: the record must start with v=TLSRPTv1 (RFC 8460 §3)", strings.TrimSpace(fields[0]))
	}
	rec := &Record{}
	seen := false
	for _, f := range fields[1:] {
		f = strings.Trim(f, " \t")
		if f == "" {
			continue
		}
		name, value, ok := strings.Cut(f, "=")
		if !ok {
			return nil, fmt.Errorf("%q is not a name=value field (RFC 8460 §3)", f)
		}
		if strings.TrimSpace(name) != "rua" {
			rec.Extensions = append(rec.Extensions, f)
			continue
		}
		if seen {
			return nil, fmt.Errorf("rua= appears twice (RFC 8460 §3)")
		}
		seen = true
		for _, u := range strings.Split(value, ",") {
			u = strings.TrimSpace(u)
			if err := checkURI(u); err != nil {
				return nil, err
			}
			rec.RUA = append(rec.RUA, u)
		}
	}
	if !seen {
		return nil, fmt.Errorf("the record has no rua= (RFC 8460 §3: it is required)")
	}
	return rec, nil
}

// checkURI accepts mailto:address and https://host/… (RFC 8460 §3).
func checkURI(u string) error {
	switch {
	case strings.HasPrefix(strings.ToLower(u), "mailto:"):
		addr, err := url.PathUnescape(u[len("mailto:"):])
		if err == nil {
			_, err = mail.ParseAddress(addr)
		}
		if err != nil || !strings.Contains(addr, "@") || strings.ContainsAny(addr, "<> ") {
			return fmt.Errorf("rua %q: not a mailto: with one address (RFC 8460 §3)", u)
		}
	case strings.HasPrefix(strings.ToLower(u), "https:"):
		p, err := url.Parse(u)
		if err != nil || p.Host == "" || p.Scheme != "https" {
			return fmt.Errorf("rua %q: not an https:// URL with a host (RFC 8460 §3)", u)
		}
	default:
		return fmt.Errorf("rua %q: only mailto: and https: are defined (RFC 8460 §3)", u)
	}
	return nil
}

// Checks returns tlsrpt.record.
func Checks() []scoring.Check {
	return []scoring.Check{{ID: CheckRecord, Title: "TLS reporting (TLS-RPT)",
		Applies: func(ev scoring.Evidence) bool { return strings.TrimSpace(ev.Domain) != "" },
		Run:     run}}
}

func run(ctx context.Context, env *scoring.Env) scoring.Result {
	domain := scoring.NormalDomain(env.Evidence.Domain)
	name := "_smtp._tls." + domain
	// RFC 8460 §3: records not starting "v=TLSRPTv1;" are discarded.
	recs, ans := scoring.TaggedTXT(ctx, env.DNS, name, "v=TLSRPTv1")
	if ans.Outcome.Temporary() {
		return scoring.LookupError("TLS-RPT", name, ans)
	}
	suggest := "v=TLSRPTv1; rua=mailto:tls-reports@" + domain
	fix := func(summary, value string) *scoring.Fix {
		return &scoring.Fix{Summary: summary, Records: []scoring.DNSRecord{scoring.TXTRecord(name, value)}}
	}
	switch len(recs) {
	case 0:
		return scoring.Result{Status: scoring.Info, Title: "No TLS-RPT record: you get no reports of failed TLS deliveries to " + domain,
			Detail: fmt.Sprintf("%s has no v=TLSRPTv1 TXT record (%s). With one, senders mail daily reports of TLS and MTA-STS "+
				"failures (RFC 8460).", name, ans.Outcome),
			Fix: fix(fmt.Sprintf("Publish a TLS-RPT record (the mailbox tls-reports@%s must exist):", domain), suggest)}
	case 1:
	default:
		return scoring.Result{Status: scoring.Fail,
			Title:  fmt.Sprintf("TLS-RPT broken: %d v=TLSRPTv1 records at %s, senders use none", len(recs), name),
			Detail: "RFC 8460 §3: unless exactly one record remains, senders assume no TLS reporting. Published:\n  " + strings.Join(recs, "\n  "),
			Fix:    fix("Keep one record:", recs[0])}
	}
	rec, err := ParseRecord(recs[0])
	if err != nil {
		// Keep the destinations that are valid; else propose the domain's own.
		var good []string
		for _, f := range strings.Split(recs[0], ";") {
			if n, v, ok := strings.Cut(strings.TrimSpace(f), "="); ok && n == "rua" {
				for _, u := range strings.Split(v, ",") {
					if checkURI(strings.TrimSpace(u)) == nil {
						good = append(good, strings.TrimSpace(u))
					}
				}
			}
		}
		value := suggest
		if len(good) > 0 {
			value = "v=TLSRPTv1; rua=" + strings.Join(good, ",")
		}
		title := err.Error()
		if i := strings.Index(title, " (RFC"); i > 0 {
			title = title[:i]
		}
		return scoring.Result{Status: scoring.Fail, Title: "TLS-RPT record broken: " + title,
			Detail: fmt.Sprintf("%s TXT %q\n%v. Senders ignore a record they cannot parse, so no reports arrive.", name, recs[0], err),
			Fix:    fix("Replace it with:", value)}
	}
	return scoring.Result{Status: scoring.Pass, Title: "TLS-RPT reports go to " + strings.Join(rec.RUA, ", "),
		Detail: fmt.Sprintf("%s TXT %q", name, recs[0])}
}
