// Package bimi reports, for information, a domain's BIMI record
// (default._bimi.<domain>, draft-brand-indicators-for-message-identification):
// its syntax and whether DMARC is at the enforcement BIMI requires. The
// logo and its certificate (VMC/CMC) are not fetched.
package bimi

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dmarc"
)

// CheckRecord is the catalogue id.
const CheckRecord = "bimi.record"

// MaxRecordLen bounds the TXT text parsed.
const MaxRecordLen = 4096

// Record is a parsed BIMI assertion record.
type Record struct {
	Logo        string // l=: https URL of an SVG Tiny PS logo, or empty
	Certificate string // a=: https URL of a PEM VMC or CMC, or empty
}

// Declined reports a declination record: both l= and a= empty.
func (r *Record) Declined() bool { return r.Logo == "" && r.Certificate == "" }

// ParseRecord reads "v=BIMI1; l=https://…; a=https://…": v=BIMI1 first,
// l= and a= each empty or one https URL; other tags ignored.
func ParseRecord(txt string) (*Record, error) {
	if len(txt) > MaxRecordLen {
		return nil, fmt.Errorf("the record is %d bytes long", len(txt))
	}
	fields := strings.Split(txt, ";")
	if strings.TrimSpace(fields[0]) != "v=BIMI1" {
		return nil, fmt.Errorf("%q: the record must start with v=BIMI1", strings.TrimSpace(fields[0]))
	}
	rec := &Record{}
	seen := map[string]bool{}
	for _, f := range fields[1:] {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		name, value, ok := strings.Cut(f, "=")
		if !ok {
			return nil, fmt.Errorf("%q is not a tag=value pair", f)
		}
		name, value = strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(value)
		if name != "l" && name != "a" {
			continue
		}
		if seen[name] {
			return nil, fmt.Errorf("%s= appears twice", name)
		}
		seen[name] = true
		if value != "" {
			u, err := url.Parse(value)
			if err != nil || u.Scheme != "https" || u.Host == "" {
				return nil, fmt.Errorf("%s=%q is not an https:// URL", name, value)
			}
		}
		if name == "l" {
			if value != "" && strings.Contains(value, ",") {
				return nil, fmt.Errorf("l= holds one URL")
			}
			rec.Logo = value
		} else {
			rec.Certificate = value
		}
	}
	return rec, nil
}

// Checks returns bimi.record.
func Checks() []scoring.Check {
	return []scoring.Check{{ID: CheckRecord, Title: "BIMI record",
		Applies: func(ev scoring.Evidence) bool { return strings.TrimSpace(ev.Domain) != "" },
		Run:     run}}
}

func run(ctx context.Context, env *scoring.Env) scoring.Result {
	domain := scoring.NormalDomain(env.Evidence.Domain)
	name := "default._bimi." + domain
	recs, ans := scoring.TaggedTXT(ctx, env.DNS, name, "v=BIMI1")
	if ans.Outcome.Temporary() {
		return scoring.LookupError("BIMI", name, ans)
	}
	dm := dmarc.Discover(ctx, env.DNS, domain)
	enforced, why := enforcement(dm)
	switch len(recs) {
	case 0:
		r := scoring.Result{Status: scoring.Info, Title: "No BIMI record (no brand logo in supporting mailboxes)",
			Detail: fmt.Sprintf("%s has no v=BIMI1 TXT record (%s). DMARC: %s.", name, ans.Outcome, why)}
		if enforced {
			r.Fix = &scoring.Fix{Summary: "To show a logo: host an SVG Tiny PS logo (and, for Gmail and Apple, a VMC or CMC " +
				"certificate) over HTTPS and publish default._bimi." + domain + " TXT \"v=BIMI1; l=https://…/logo.svg; a=https://…/vmc.pem\".",
				Manual: "The logo and certificate are files on a web server; their URLs go in the record."}
		}
		return r
	case 1:
	default:
		return scoring.Result{Status: scoring.Warn, Title: fmt.Sprintf("BIMI: %d v=BIMI1 records at %s, receivers use none", len(recs), name),
			Detail: "Published:\n  " + strings.Join(recs, "\n  "),
			Fix:    &scoring.Fix{Summary: "Keep one record:", Records: []scoring.DNSRecord{scoring.TXTRecord(name, recs[0])}}}
	}
	rec, err := ParseRecord(recs[0])
	if err != nil {
		return scoring.Result{Status: scoring.Warn, Title: "BIMI record broken: " + err.Error(),
			Detail: fmt.Sprintf("%s TXT %q", name, recs[0]),
			Fix: &scoring.Fix{Summary: "Publish v=BIMI1 first, l= the https:// URL of the SVG logo, a= the https:// URL of the certificate (or empty).",
				Manual: "The logo and certificate URLs are yours to supply."}}
	}
	detail := fmt.Sprintf("%s TXT %q\nDMARC: %s.\nThe logo and certificate are not fetched.", name, recs[0], why)
	switch {
	case rec.Declined():
		return scoring.Result{Status: scoring.Info, Title: "BIMI declined (empty l= and a=)", Detail: detail}
	case !enforced:
		return scoring.Result{Status: scoring.Warn, Title: "BIMI record published, but DMARC is not at enforcement: no logo is shown",
			Detail: detail,
			Fix: &scoring.Fix{Summary: "BIMI needs DMARC p=quarantine or p=reject for the domain and its subdomains (no pct below 100, sp not none); " +
				"see dmarc.record.", Manual: "Raise the DMARC policy once reports show your mail aligned (dmarc.record's fix)."}}
	case rec.Certificate == "":
		return scoring.Result{Status: scoring.Info, Title: "BIMI logo published without a certificate (Gmail and Apple need a VMC or CMC)", Detail: detail}
	}
	return scoring.Result{Status: scoring.Pass, Title: "BIMI record with logo and certificate; DMARC at enforcement", Detail: detail}
}

// enforcement tells whether the domain's DMARC policy is one BIMI accepts.
func enforcement(d *dmarc.Discovery) (bool, string) {
	if d.Record == nil || d.Status != dmarc.StatusFound {
		return false, "no usable DMARC record"
	}
	r := d.Record
	p := r.P
	if d.RecordDomain != d.AuthorDomain {
		p = r.SubdomainPolicy()
	}
	switch {
	case p != dmarc.PolicyQuarantine && p != dmarc.PolicyReject:
		return false, fmt.Sprintf("p=%s at _dmarc.%s", p, d.RecordDomain)
	case r.PCT != nil && *r.PCT < 100:
		return false, fmt.Sprintf("pct=%d", *r.PCT)
	case r.SP == dmarc.PolicyNone:
		return false, "sp=none"
	case r.T:
		return false, "t=y (testing)"
	}
	return true, fmt.Sprintf("p=%s at _dmarc.%s", p, d.RecordDomain)
}
