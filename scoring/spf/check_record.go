package spf

import (
	"context"
	"fmt"
	"strings"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnsx"
)

// runRecord is spf.record: exactly one v=spf1 TXT record, valid syntax,
// character-strings of at most 255 bytes, a size that fits UDP.
func runRecord(ctx context.Context, env *scoring.Env) scoring.Result {
	ev := env.Evidence
	domain := policyDomain(ev)
	res := scoring.Result{ID: CheckRecord}
	if _, err := checkDomain(domain); err != nil {
		res.Status, res.Title, res.Detail = scoring.Fail, "SPF record: the domain is not valid", err.Error()
		return res
	}
	f := fetch(ctx, env.DNS, domain)
	if f.ans.Outcome.Temporary() {
		return dnsError(CheckRecord, "SPF record", recordError(domain, f.ans)+".")
	}
	switch len(f.spf) {
	case 0:
		res.Status = scoring.Fail
		res.Title = "No SPF record at " + domain
		res.Detail = fmt.Sprintf("%s has no TXT record starting with \"v=spf1\" (%s). Receivers get SPF none: "+
			"Gmail and others require SPF or DKIM to pass and will reject or junk the mail.", domain, describeTXT(f))
		if near := nearMisses(f.txts); near != "" {
			res.Detail += "\n" + near
		}
		value := NewRecord(ev.IPs)
		res.Fix = &scoring.Fix{
			Summary: fmt.Sprintf("Publish this TXT record at %s: it authorises your sending IPs and rejects everyone else.", domain),
			Records: []scoring.DNSRecord{scoring.TXTRecord(domain, value)},
		}
		return res
	case 1:
	default:
		var texts []string
		for _, t := range f.spf {
			texts = append(texts, t.Joined())
		}
		merged, dropped := MergeRecords(texts)
		merged = AddIPs(merged, ev.IPs)
		res.Status = scoring.Fail
		res.Title = fmt.Sprintf("SPF record broken (permerror): %d records at %s, there must be one", len(f.spf), domain)
		res.Detail = fmt.Sprintf("RFC 7208 §4.5: with more than one v=spf1 record the result is permerror for every "+
			"message, as if there were no SPF at all. The records are:\n  %s", strings.Join(texts, "\n  "))
		if len(dropped) > 0 {
			res.Detail += fmt.Sprintf("\nInvalid terms left out of the merged record: %s.", strings.Join(dropped, " "))
		}
		res.Fix = &scoring.Fix{
			Summary: fmt.Sprintf("Delete all %d v=spf1 TXT records at %s and publish this single merged record instead.", len(f.spf), domain),
			Records: []scoring.DNSRecord{scoring.TXTRecord(domain, merged)},
		}
		return res
	}

	rec := f.spf[0]
	text := rec.Joined()
	for i, s := range rec.Strings {
		if len(s) > 255 {
			res.Status = scoring.Fail
			res.Title = "SPF record has a string over 255 bytes"
			res.Detail = fmt.Sprintf("Character-string %d of the record is %d bytes; DNS allows 255 (RFC 1035 §3.3.14, RFC 7208 §3.3).", i+1, len(s))
			res.Fix = &scoring.Fix{Summary: "Publish the record split into strings of at most 255 bytes:",
				Records: []scoring.DNSRecord{scoring.TXTRecord(domain, text)}}
			return res
		}
	}
	if _, err := Parse(text); err != nil {
		res.Status = scoring.Fail
		res.Title = "SPF record broken (permerror): " + titleReason(strings.TrimPrefix(err.Error(), "spf: "))
		res.Detail = fmt.Sprintf("%v\nReceivers give permerror for every message (RFC 7208 §4.6). The record is:\n  %s",
			strings.TrimPrefix(err.Error(), "spf: "), text)
		if hint := concatenationHint(rec); hint != "" {
			res.Detail += "\n" + hint
		}
		fixed := AddIPs(repair(rec), ev.IPs)
		res.Fix = &scoring.Fix{
			Summary: "Replace the record with this corrected one (the invalid term is left out; check what it was meant to say).",
			Records: []scoring.DNSRecord{scoring.TXTRecord(domain, fixed)},
		}
		return res
	}
	if len(text) > maxRecordSize {
		res.Status = scoring.Warn
		res.Title = fmt.Sprintf("SPF record is long (%d bytes)", len(text))
		res.Detail = fmt.Sprintf("Records over about %d bytes risk a DNS answer larger than 512 bytes, which needs "+
			"EDNS0 or TCP; some receivers then fail to fetch it (temperror). The record is:\n  %s", maxRecordSize, text)
		if fl, err := Flatten(ctx, env.DNS, domain, ev.IPs); err == nil {
			res.Fix = &scoring.Fix{Summary: flattenSummary(domain, fl, fl.Lookups), Records: fl.Records}
		} else {
			res.Fix = &scoring.Fix{Summary: "Shorten it: list address ranges with ip4:/ip6: CIDR (e.g. ip4:203.0.113.0/28), " +
				"drop includes of services you no longer send through, or move part into an include of your own. " +
				"No split record can be offered: " + strings.TrimPrefix(err.Error(), "spf: ") + "."}
		}
		return res
	}
	res.Status = scoring.Pass
	res.Title = "One valid SPF record at " + domain
	res.Detail = fmt.Sprintf("%s\n(%d bytes in %d string(s))", text, len(text), len(rec.Strings))
	return res
}

// describeTXT says what was found instead of an SPF record.
func describeTXT(f fetched) string {
	switch {
	case f.ans.Outcome == dnsx.NXDomain:
		return "the name does not exist"
	case len(f.txts) == 0:
		return "the name has no TXT records"
	}
	return fmt.Sprintf("it has %d other TXT record(s)", len(f.txts))
}

// nearMisses points at TXT records that were probably meant as SPF.
func nearMisses(txts []txtRecord) string {
	var out []string
	for _, t := range txts {
		s := t.Joined()
		l := strings.ToLower(strings.TrimSpace(s))
		if strings.HasPrefix(l, "v=spf") || strings.HasPrefix(l, "spf1") || strings.HasPrefix(l, "\"v=spf1") {
			out = append(out, fmt.Sprintf("  %q is not recognised: an SPF record must start with exactly \"v=spf1\" followed by a space (RFC 7208 §4.5).", s))
		}
	}
	return strings.Join(out, "\n")
}

// concatenationHint explains a record broken by its string split: DNS
// joins the strings with nothing in between (RFC 7208 §3.3).
func concatenationHint(rec txtRecord) string {
	if len(rec.Strings) < 2 {
		return ""
	}
	if _, err := Parse(strings.Join(rec.Strings, " ")); err != nil {
		return ""
	}
	return fmt.Sprintf("The record is published as %d strings, which receivers join with no space between them "+
		"(RFC 7208 §3.3); joined with spaces it would be valid. End each string with a space, or split inside a term.", len(rec.Strings))
}

// repair is the record's valid terms, or the strings joined with spaces
// when that is what was meant.
func repair(rec txtRecord) string {
	if hint := concatenationHint(rec); hint != "" {
		terms, _ := recordTerms(strings.Join(rec.Strings, " "))
		return strings.Join(append([]string{"v=spf1"}, terms...), " ")
	}
	terms, _ := recordTerms(rec.Joined())
	return strings.Join(append([]string{"v=spf1"}, terms...), " ")
}
