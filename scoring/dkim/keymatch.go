package dkim

import (
	"context"
	"fmt"
	"strings"

	"github.com/mailcred/mailcred/scoring"
)

// runKeyMatch compares the published key with the public half of the
// private key in use, by SubjectPublicKeyInfo DER, so a record written as
// a bare RSAPublicKey matches too.
func runKeyMatch(ctx context.Context, env *scoring.Env) scoring.Result {
	const id = "dkim.key-match"
	ev := env.Evidence
	if ev.Selector == "" {
		return probeKeyMatch(ctx, id, env)
	}
	if err := validSelector(ev.Selector); err != nil {
		return scoring.Result{ID: id, Status: scoring.Error, Title: "DKIM selector is not valid", Detail: err.Error()}
	}
	return matchKey(id, ev, lookupKey(ctx, env.DNS, ev.Selector, ev.Domain))
}

// matchKey compares the record DNS gave for ev.Selector with ev.DKIMKey.
func matchKey(id string, ev scoring.Evidence, p published) scoring.Result {
	mine := ev.DKIMKey.Public()
	fromKey := recordFromKey(RecordName(ev.Selector, ev.Domain), ev.DKIMKey)
	if fromKey == nil {
		return scoring.Result{ID: id, Status: scoring.Error,
			Title:  "The private key is not a DKIM key type",
			Detail: fmt.Sprintf("Loaded key: %s. DKIM signs with RSA (RFC 6376) or Ed25519 (RFC 8463).", describeKey(mine))}
	}
	if p.ans.Outcome.Temporary() {
		return temporary(id, p)
	}
	publish := &scoring.Fix{Summary: "Publish the public half of the private key you sign with:", Records: []scoring.DNSRecord{*fromKey}}
	res := scoring.Result{ID: id, Status: scoring.Fail, Fix: publish}
	privLine := "Private key in use: " + describeKey(mine)

	switch len(p.joined) {
	case 0:
		res.Title = "No DKIM key published at " + p.name + " for the private key in use"
		res.Detail = fmt.Sprintf("TXT %s: %s.\n%s", p.name, p.ans.Outcome, privLine)
		return res
	case 1:
	default:
		for _, txt := range p.joined {
			if rec, _, err := ParseKeyRecord(txt); err == nil && samePublicKey(rec.PublicKey, mine) {
				res.Status = scoring.Warn
				res.Title = fmt.Sprintf("The key matches one of %d records at %s", len(p.joined), p.name)
				res.Detail = "Several records at one name are undefined (RFC 6376 §3.6.2.2) and some receivers reject them all; see dkim.record.\n" + privLine
				res.Fix = &scoring.Fix{Summary: "Delete the other TXT records at " + p.name + " and keep only:",
					Records: []scoring.DNSRecord{scoring.TXTRecord(p.name, txt)}}
				return res
			}
		}
		res.Title = fmt.Sprintf("None of the %d records at %s holds the private key's public half", len(p.joined), p.name)
		res.Detail = privLine
		publish.Summary = "Replace every TXT record at " + p.name + " with this one:"
		return res
	}

	rec, _, err := ParseKeyRecord(p.joined[0])
	detail := []string{privLine, "Published at " + p.name + ": " + describeKey(rec.PublicKey)}
	same := rec.PublicKey != nil && samePublicKey(rec.PublicKey, mine)
	switch {
	case rec.Revoked:
		res.Title = "The published key at " + p.name + " is revoked (empty p=)"
	case same && err != nil:
		res.Title = "The published key matches, but its record is unusable"
		detail = append(detail, "Unusable: "+err.Error())
		publish.Summary = "Replace the record with this one (same key, valid syntax):"
	case same:
		res.Status = scoring.Pass
		res.Title = "The published DKIM key matches the private key (" + describeKey(mine) + ")"
		res.Fix = nil
	case rec.PublicKey == nil:
		res.Title = "The record at " + p.name + " holds no readable key"
		if err != nil {
			detail = append(detail, "Unusable: "+err.Error())
		}
	default:
		res.Title = "The key published at " + p.name + " is not the private key's public half"
		detail = append(detail, "Every signature made with this private key fails verification (RFC 6376 §6.1.3).")
		publish.Summary = "Publish the record of the key you sign with (or point the MTA at the private key matching the published one):"
	}
	res.Detail = strings.Join(detail, "\n")
	return res
}
