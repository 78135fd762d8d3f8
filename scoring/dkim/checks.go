package dkim

import (
	"context"
	"crypto"
	"crypto/rsa"
	"fmt"
	"strings"

	"github.com/mailcred/mailcred/scoring"
)

// Checks returns the DNS-side DKIM checks: dkim.record (the key record is
// published and usable) and dkim.key-match (it holds the public half of
// the private key in use). Without a selector both look for a key at the
// common selectors (see probe.go). dkim.signature, on the message as
// sent, belongs to the send session.
func Checks() []scoring.Check {
	return []scoring.Check{
		{
			ID:      "dkim.record",
			Title:   "DKIM key record",
			Applies: func(ev scoring.Evidence) bool { return ev.Domain != "" },
			Run:     runRecord,
		},
		{
			ID:      "dkim.key-match",
			Title:   "DKIM record matches the private key",
			Applies: func(ev scoring.Evidence) bool { return ev.Domain != "" && ev.DKIMKey != nil },
			Run:     runKeyMatch,
		},
	}
}

func runRecord(ctx context.Context, env *scoring.Env) scoring.Result {
	const id = "dkim.record"
	ev := env.Evidence
	if ev.Selector == "" {
		return probeRecord(ctx, id, env)
	}
	if err := validSelector(ev.Selector); err != nil {
		return scoring.Result{ID: id, Status: scoring.Error, Title: "DKIM selector is not valid", Detail: err.Error()}
	}
	return judgeRecord(id, ev, lookupKey(ctx, env.DNS, ev.Selector, ev.Domain))
}

// judgeRecord grades what DNS said at the key record of ev.Selector.
func judgeRecord(id string, ev scoring.Evidence, p published) scoring.Result {
	switch {
	case p.ans.Outcome.Temporary():
		return temporary(id, p)
	case len(p.joined) == 0:
		return missingRecord(id, ev, p)
	case len(p.joined) > 1:
		return severalRecords(id, ev, p)
	}

	rec, findings, err := ParseKeyRecord(p.joined[0])
	var detail []string
	where := "TXT " + p.name
	if p.target != "" {
		where += " (CNAME to " + p.target + ", fine: the key can be managed elsewhere)"
	}
	detail = append(detail, where+": "+describeStrings(p.strings[0]))
	if rec.PublicKey != nil {
		detail = append(detail, fmt.Sprintf("Key: %s, p= as %s", describeKey(rec.PublicKey), rec.Encoding))
	}
	if err != nil {
		detail = append(detail, "Unusable: "+err.Error())
	}
	for _, f := range findings {
		detail = append(detail, f.String())
	}

	res := scoring.Result{ID: id, Detail: strings.Join(detail, "\n")}
	res.Status, res.Title = grade(p.name, rec, findings, err)
	if res.Status == scoring.Fail || res.Status == scoring.Warn {
		res.Fix = recordFix(ev, p.name, rec)
		// The record as published, so the verdict can be read against it.
		res.Detail += fmt.Sprintf("\nPublished: %s TXT %q", p.name, p.joined[0])
	}
	return res
}

// grade turns the parse into a status and the one-line title for the worst
// thing found.
func grade(name string, rec *KeyRecord, findings []Finding, err error) (scoring.Status, string) {
	worst := Note
	for _, f := range findings {
		worst = max(worst, f.Severity)
	}
	switch {
	case err != nil:
		return scoring.Fail, "DKIM key record at " + name + " is unusable"
	case rec.Revoked:
		return scoring.Fail, "DKIM key at " + name + " is revoked (empty p=)"
	case !rec.ForEmail():
		return scoring.Fail, "DKIM key at " + name + " is not for email (s=" + strings.Join(rec.Services, ":") + ")"
	case !rec.AllowsSHA256():
		return scoring.Fail, "DKIM key at " + name + " forbids sha256 (h=" + strings.Join(rec.Hashes, ":") + ")"
	case rec.KeyType == KeyRSA && rec.Bits < 1024:
		return scoring.Fail, fmt.Sprintf("DKIM key is %d-bit RSA: receivers reject it", rec.Bits)
	case worst == Problem:
		return scoring.Fail, "DKIM key record at " + name + " has problems"
	case rec.KeyType == KeyRSA && rec.Bits < 2048:
		return scoring.Warn, fmt.Sprintf("DKIM key is %d-bit RSA: accepted, but use 2048", rec.Bits)
	case rec.Testing():
		return scoring.Warn, "DKIM key is in testing mode (t=y)"
	case worst == Warning:
		return scoring.Warn, "DKIM key record at " + name + " works, with warnings"
	case rec.KeyType == KeyEd25519:
		return scoring.Pass, "DKIM key published: Ed25519 at " + name
	}
	return scoring.Pass, fmt.Sprintf("DKIM key published: %d-bit RSA at %s", rec.Bits, name)
}

// recordFix says what to publish instead: the record of the private key
// in use when one is loaded (and strong enough); otherwise a new key under
// a new selector when the published one is weak or unreadable (rotating
// the selector keeps mail in flight verifiable), or the published key
// re-published without the tags that spoil it.
func recordFix(ev scoring.Evidence, name string, rec *KeyRecord) *scoring.Fix {
	if r := recordFromKey(name, ev.DKIMKey); r != nil && !weakKey(ev.DKIMKey.Public()) {
		return &scoring.Fix{
			Summary: "Publish the record of the private key you sign with, replacing the current one:",
			Records: []scoring.DNSRecord{*r},
		}
	}
	switch {
	case rec.Revoked:
		return &scoring.Fix{Summary: fmt.Sprintf(
			"The key was withdrawn. If that was meant, stop signing with selector %s; otherwise run `%s --bits 2048` and publish the record it prints.",
			ev.Selector, keygenCommand(ev, strings.TrimSuffix(ev.Selector, ".")))}
	case rec.PublicKey == nil:
		return &scoring.Fix{Summary: fmt.Sprintf(
			"The record holds no usable key. Run `%s --bits 2048`, replace the record at %s with the one it prints, and sign with the new key.",
			keygenCommand(ev, strings.TrimSuffix(ev.Selector, ".")), name)}
	case weakKey(rec.PublicKey):
		next := nextSelector(strings.TrimSuffix(ev.Selector, "."))
		return &scoring.Fix{Summary: fmt.Sprintf(
			"Make a new 2048-bit key under a new selector, so mail already in flight still verifies: run `%s --bits 2048`, "+
				"publish the record it prints at %s, switch your MTA to selector %s, and remove the old record a week later.",
			keygenCommand(ev, next), RecordName(next, ev.Domain), next)}
	}
	value, err := repairedRecord(rec)
	if err != nil {
		return &scoring.Fix{Summary: fmt.Sprintf("Run `%s --bits 2048` and publish the record it prints.", keygenCommand(ev, ev.Selector))}
	}
	return &scoring.Fix{
		Summary: "Replace the record with this one (same key, the offending tags removed):",
		Records: []scoring.DNSRecord{scoring.TXTRecord(name, value)},
	}
}

// weakKey reports an RSA key under 2048 bits (RFC 8301 §3.2).
func weakKey(pub crypto.PublicKey) bool {
	k, ok := pub.(*rsa.PublicKey)
	return ok && k.N != nil && k.N.BitLen() < 2048
}

// repairedRecord re-publishes the record's key in the form RecordForKey
// writes (k= from the key itself, p= as SubjectPublicKeyInfo or raw
// Ed25519), keeping t=s and dropping what spoils it: h= without sha256,
// s= without email, t=y, a bad v=.
func repairedRecord(rec *KeyRecord) (string, error) {
	value, err := RecordForKey(rec.PublicKey)
	if err != nil || !rec.Strict() {
		return value, err
	}
	i := strings.Index(value, "; p=")
	return value[:i] + "; t=s" + value[i:], nil
}

func missingRecord(id string, ev scoring.Evidence, p published) scoring.Result {
	res := scoring.Result{
		ID:     id,
		Status: scoring.Fail,
		Title:  "No DKIM key record at " + p.name,
		Detail: fmt.Sprintf("TXT %s: %s. Without it every DKIM signature with selector %s fails, "+
			"and mail is left with SPF alone (Gmail and Microsoft want both for bulk mail).", p.name, p.ans.Outcome, ev.Selector),
	}
	if r := recordFromKey(p.name, ev.DKIMKey); r != nil {
		res.Fix = &scoring.Fix{Summary: "Publish the public half of the key you sign with:", Records: []scoring.DNSRecord{*r}}
		return res
	}
	res.Fix = &scoring.Fix{Summary: fmt.Sprintf(
		"Generate a key pair with `%s`, publish the TXT record it prints at %s, and configure your MTA to sign with the private key "+
			"(exim: dkim_domain, dkim_selector, dkim_private_key on the remote_smtp transport; postfix: OpenDKIM).",
		keygenCommand(ev, strings.TrimSuffix(ev.Selector, ".")), p.name)}
	return res
}

func severalRecords(id string, ev scoring.Evidence, p published) scoring.Result {
	var lines []string
	keep := -1
	for i, txt := range p.joined {
		rec, _, err := ParseKeyRecord(txt)
		what := "unusable"
		if err == nil && rec.PublicKey != nil {
			what = describeKey(rec.PublicKey)
			if ev.DKIMKey != nil && samePublicKey(rec.PublicKey, ev.DKIMKey.Public()) {
				what += ", matches the private key in use"
				keep = i
			}
		}
		lines = append(lines, fmt.Sprintf("record %d: %s (%s)", i+1, short(txt), what))
	}
	res := scoring.Result{
		ID:     id,
		Status: scoring.Fail,
		Title:  fmt.Sprintf("%d DKIM key records at %s; there must be one", len(p.joined), p.name),
		Detail: fmt.Sprintf("RFC 6376 §3.6.2.2 leaves several records undefined; go-msgauth, for one, rejects them all (permerror).\n%s",
			strings.Join(lines, "\n")),
	}
	if keep >= 0 {
		r := scoring.TXTRecord(p.name, p.joined[keep])
		res.Fix = &scoring.Fix{Summary: fmt.Sprintf("Delete the other TXT record%s at %s and keep only this one:", plural(len(p.joined)-1), p.name),
			Records: []scoring.DNSRecord{r}}
	} else {
		res.Fix = &scoring.Fix{Summary: fmt.Sprintf("Delete all TXT records at %s but the one holding the key your MTA signs with.", p.name)}
	}
	return res
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
