package dmarc

import (
	"fmt"
	"strings"

	"github.com/mailcred/mailcred/scoring"
)

// Check ids, stable: JSON output and tests use them.
const (
	CheckRecord    = "dmarc.record"
	CheckReporting = "dmarc.reporting"
)

// Checks returns the DMARC checks of the catalogue: dmarc.record (a
// _dmarc record exists once, parses, and what its policy means) and
// dmarc.reporting (rua/ruf present and external destinations authorised).
func Checks() []scoring.Check {
	return []scoring.Check{
		{ID: CheckRecord, Title: "DMARC record", Applies: hasDomain, Run: runRecord},
		{ID: CheckReporting, Title: "DMARC reporting", Applies: hasDomain, Run: runReporting},
	}
}

func hasDomain(ev scoring.Evidence) bool { return strings.TrimSpace(ev.Domain) != "" }

// reportMailbox is the local part of the aggregate-report address the
// starter record proposes.
const reportMailbox = "dmarc-reports"

// starterValue is the record to publish when there is none: monitoring
// first, with aggregate reports to the domain itself (RFC 9989 "Domain
// Owner Actions": start with p=none and a rua mailbox).
func starterValue(domain string) string {
	return "v=DMARC1; p=none; rua=mailto:" + reportMailbox + "@" + domain
}

func starterRecord(domain string) scoring.DNSRecord {
	return scoring.TXTRecord("_dmarc."+domain, starterValue(domain))
}

// reportURI is the rua URI the fixes propose.
func reportURI(domain string) URI {
	addr := reportMailbox + "@" + domain
	return URI{Raw: "mailto:" + addr, URI: "mailto:" + addr, Scheme: "mailto", Address: addr, Domain: domain}
}

// where says where the applicable record was found, for the Detail: the
// domain's own _dmarc name, or an Organizational or Public Suffix Domain
// above it (RFC 9989 §4.10.1), with the RFC 7489 view when it differs.
func where(d *Discovery) string {
	own := "_dmarc." + d.AuthorDomain
	var b strings.Builder
	switch {
	case d.RecordDomain == d.AuthorDomain:
		fmt.Fprintf(&b, "Found at %s (the domain's own record).", own)
	case d.Record != nil && d.Record.PSD == "y":
		fmt.Fprintf(&b, "No record at %s; the policy comes from the public suffix domain's record at _dmarc.%s (psd=y), applied to %s as a subdomain.",
			own, d.RecordDomain, d.AuthorDomain)
	default:
		fmt.Fprintf(&b, "No record at %s; the policy comes from the organizational domain's record at _dmarc.%s (RFC 9989 tree walk), applied to %s as a subdomain.",
			own, d.RecordDomain, d.AuthorDomain)
	}
	if d.OrgDomain == "" && d.Err != nil {
		fmt.Fprintf(&b, "\nOrganizational domain: unknown (%v); %s under the Public Suffix List.", d.Err, d.OrgDomainPSL)
	}
	if d.OrgDomain != "" {
		fmt.Fprintf(&b, "\nOrganizational domain: %s (RFC 9989 tree walk)", d.OrgDomain)
		if d.OrgDomainPSL != d.OrgDomain {
			fmt.Fprintf(&b, "; %s under the Public Suffix List (RFC 7489 receivers)", d.OrgDomainPSL)
		}
		b.WriteString(".")
	}
	return b.String()
}

// findingLines renders findings one per line for a Detail.
func findingLines(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString("\n- ")
		b.WriteString(f.Severity)
		if f.Tag != "" {
			b.WriteString(" (" + f.Tag + ")")
		}
		b.WriteString(": " + f.Message)
	}
	return b.String()
}

// verdict gathers sub-verdicts: the worst status wins, and its first line
// becomes the title.
type verdict struct {
	status scoring.Status
	title  string
	lines  []string
	fix    scoring.Fix
	hasFix bool
}

func (v *verdict) add(s scoring.Status, line string) {
	v.bump(s, line)
	v.lines = append(v.lines, line)
}

// bump lets a sub-verdict decide status and title without a Detail line
// (findings are listed apart).
func (v *verdict) bump(s scoring.Status, line string) {
	if v.title == "" || s.Worse(v.status) {
		v.status, v.title = s, titleOf(line)
	}
}

// titleOf keeps a title to its first clause: details go in the Detail.
func titleOf(line string) string {
	if i := strings.Index(line, "; "); i > 0 {
		return line[:i]
	}
	return line
}

func (v *verdict) addFix(summary string, recs ...scoring.DNSRecord) {
	v.hasFix = true
	if summary != "" {
		if v.fix.Summary != "" {
			v.fix.Summary += " "
		}
		v.fix.Summary += summary
	}
	v.fix.Records = append(v.fix.Records, recs...)
}

func (v *verdict) result(id, lead string) scoring.Result {
	res := scoring.Result{ID: id, Status: v.status, Title: v.title, Detail: lead}
	for _, l := range v.lines {
		if l == v.title {
			continue // the title already says it, whole
		}
		if res.Detail != "" {
			res.Detail += "\n"
		}
		res.Detail += l
	}
	if v.hasFix {
		fix := v.fix
		res.Fix = &fix
	}
	return res
}

func errorResult(id, title string, err error) scoring.Result {
	return scoring.Result{ID: id, Status: scoring.Error, Title: title, Detail: fmt.Sprint(err)}
}
