package receiver

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dkim"
	"github.com/mailcred/mailcred/scoring/headers"
)

// runSignature is dkim.signature: every DKIM-Signature of the message is
// verified against the key DNS publishes (RFC 6376 §6). It passes when at
// least one verifies (and so signs From, RFC 6376 §5.4) with a key that is
// not in testing mode; a temporary DNS failure with nothing verified is an
// error, never a failure.
func runSignature(ctx context.Context, env *scoring.Env) scoring.Result {
	ev := env.Evidence
	_, fromDomain, _ := AuthorAddress(ev.Message)
	var sigs []Signature
	var err error
	if ctx.Value(sharedVerdictKey{}) != nil {
		// The message's verdict is shared: its signatures, verified once.
		v := Judge(ctx, env.DNS, ev)
		sigs, err = v.DKIM, v.DKIMErr
	} else {
		sigs, err = verifySignatures(ctx, env.DNS, ev.Message, fromDomain)
	}
	var limit *headers.LimitError
	if errors.As(err, &limit) {
		return scoring.Result{
			Status: scoring.Error,
			Title:  "Not verified: the header section is over the limits",
			Detail: limit.Error() + ". message.format says what receivers do with it.",
		}
	}
	if err != nil {
		return scoring.Result{
			Status: scoring.Fail,
			Title:  "The message cannot be read for DKIM verification",
			Detail: fmt.Sprintf("%v\nReceivers cannot verify any signature of a message whose header section does not parse (RFC 5322 §2.2).", err),
			Fix:    &scoring.Fix{Summary: "Make sure the file is the whole message as sent: header fields, a blank line, then the body, with CRLF line endings."},
		}
	}
	if len(sigs) == 0 {
		return unsigned(ev, fromDomain)
	}
	return judgeSignatures(sigs, ev, fromDomain)
}

// unsigned is the verdict on a message without DKIM-Signature: dkim=none.
func unsigned(ev scoring.Evidence, fromDomain string) scoring.Result {
	domain := fromDomain
	if domain == "" {
		domain = strings.TrimSuffix(strings.ToLower(ev.Domain), ".")
	}
	cmd := keygenCommand(domain, ev.Selector)
	return scoring.Result{
		Status: scoring.Fail,
		Title:  "The message has no DKIM signature",
		Detail: "Receivers see dkim=none. Without a signature DMARC can only pass through SPF, which breaks on " +
			"every forward; Gmail and Yahoo require bulk senders to sign, and mail-tester deducts a point.",
		Fix: &scoring.Fix{
			Summary: fmt.Sprintf("Sign outgoing mail with a key of %s: create the key with `%s`. %s", orExample(domain), cmd, signHowTo),
			Snippet: cmd,
			Manual:  signManual,
		},
	}
}

func orExample(d string) string {
	if d == "" {
		return "your domain"
	}
	return d
}

// judgeSignatures rolls the signatures' results into one verdict: a
// verified signature with a production key passes; one verified only
// with t=y keys warns; otherwise a temporary failure is an error and the
// rest fail, with the first failure's fix.
func judgeSignatures(sigs []Signature, ev scoring.Evidence, fromDomain string) scoring.Result {
	var lines []string
	var good, testing, policy, temp, bad []Signature
	for _, s := range sigs {
		lines = append(lines, describe(s, fromDomain)...)
		switch {
		case s.Status == dkim.Pass && !s.KeyTesting:
			good = append(good, s)
		case s.Status == dkim.Pass:
			testing = append(testing, s)
		case s.Status == dkim.Policy:
			policy = append(policy, s)
		case s.Status == dkim.TempError:
			temp = append(temp, s)
		default:
			bad = append(bad, s)
		}
	}
	res := scoring.Result{Detail: strings.Join(lines, "\n")}
	switch {
	case len(good) > 0:
		best := bestOf(good)
		res.Status = scoring.Pass
		res.Title = fmt.Sprintf("DKIM signature verifies (d=%s s=%s)", best.Domain, best.Selector)
		if best.Alignment == "" && fromDomain != "" {
			res.Title += fmt.Sprintf(", but d= is not aligned with From %s", fromDomain)
		}
	case len(testing) > 0:
		s := bestOf(testing)
		res.Status = scoring.Warn
		res.Title = fmt.Sprintf("DKIM signature verifies, but the key %s is in testing mode (t=y)", dkim.RecordName(s.Selector, s.Domain))
		res.Fix = testingFix(s)
	case len(policy) > 0:
		// Verified, but l= leaves appended content unsigned: dkim=policy
		// (RFC 8601 §2.7.1). dkimpy, OpenDKIM and mailauth pass it, so it
		// warns; DMARC does not count it as a pass here.
		s := bestOf(policy)
		res.Status = scoring.Warn
		res.Title = fmt.Sprintf("DKIM signature verifies only up to l= (d=%s): content after it is unsigned", s.Domain)
		res.Fix = &scoring.Fix{Summary: "Sign without l= (no body length tag: exim and OpenDKIM do not set it unless told to); " +
			"anything after the signed octets can be replaced by whoever relays the message (RFC 6376 §8.2). If a list " +
			"or gateway appends a footer after your signer, that is the content shown here.", Manual: signManual}
	case len(temp) > 0:
		s := temp[0]
		res.Status = scoring.Error
		res.Title = fmt.Sprintf("DKIM key %s could not be fetched (temporary DNS failure)", dkim.RecordName(s.Selector, s.Domain))
		res.Detail += "\nThis says nothing about the signature itself: receivers seeing the same answer dkim=temperror and try again later."
		res.Fix = &scoring.Fix{Summary: fmt.Sprintf("Retry. If it persists, check that the name servers of %s answer: dig TXT %s",
			s.Domain, dkim.RecordName(s.Selector, s.Domain))}
	default:
		s := bad[0]
		res.Status = scoring.Fail
		res.Title, res.Fix = failure(s, ev, fromDomain)
		if recs := keyRecordFix(s, ev); recs != nil && (s.Failure == dkim.KeyUnusable || s.Failure == dkim.SignatureMismatch) {
			res.Fix.Records, res.Fix.Manual = recs, ""
		}
	}
	return res
}

// signManual says where a signing fix is applied.
const signManual = "In the MTA's DKIM signing configuration (what `mailcred keygen` prints), not in DNS alone."

// keyRecordFix is the key record to publish when the private key in use
// (Evidence.DKIMKey) is the one that made this signature: the message
// verifies offline with it. Then publishing its record is the whole fix.
func keyRecordFix(s Signature, ev scoring.Evidence) []scoring.DNSRecord {
	if ev.DKIMKey == nil || s.Selector == "" {
		return nil
	}
	results, err := dkim.VerifyWithKey(ev.Message, ev.DKIMKey)
	if err != nil {
		return nil
	}
	for _, r := range results {
		if r.Status == dkim.Pass && strings.EqualFold(r.Domain, s.Domain) && r.Selector == s.Selector {
			rec, err := dkim.RecordForKey(ev.DKIMKey.Public())
			if err != nil {
				return nil
			}
			return []scoring.DNSRecord{scoring.TXTRecord(dkim.RecordName(s.Selector, s.Domain), rec)}
		}
	}
	return nil
}

// bestOf prefers a signature aligned with the From domain.
func bestOf(sigs []Signature) Signature {
	for _, s := range sigs {
		if s.Alignment != "" {
			return s
		}
	}
	return sigs[0]
}

// describe is the detail of one signature: what it claims and what
// became of it.
func describe(s Signature, fromDomain string) []string {
	lines := []string{fmt.Sprintf("d=%s s=%s a=%s c=%s: %s", s.Domain, s.Selector, orDash(s.Algorithm), orDash(s.Canonicalization), s.Status)}
	lines = append(lines, "  h="+orDash(strings.Join(s.Headers, ":")))
	switch s.Failure {
	case dkim.NoFailure:
	case dkim.BodyHashMismatch:
		lines = append(lines, "  body hash did not verify (the body changed after signing)")
	case dkim.SignatureMismatch:
		lines = append(lines, "  signature did not verify (a signed header changed, or wrong key)")
	default:
		lines = append(lines, "  "+s.Explain())
	}
	if s.Status == dkim.Pass {
		if s.FromSigned() {
			lines = append(lines, "  From is signed")
		}
		switch {
		case fromDomain == "":
		case s.Alignment == "strict":
			lines = append(lines, fmt.Sprintf("  d=%s is the From domain: aligned (strict and relaxed)", s.Domain))
		case s.Alignment == "relaxed":
			lines = append(lines, fmt.Sprintf("  d=%s shares the Organizational Domain of From %s: aligned under relaxed adkim only", s.Domain, fromDomain))
		default:
			lines = append(lines, fmt.Sprintf("  d=%s is not aligned with From %s: this signature cannot make DMARC pass (see dmarc.alignment)", s.Domain, fromDomain))
		}
	}
	if s.KeyTesting {
		lines = append(lines, "  the key record has t=y (testing): verifiers must treat the message like unsigned mail (RFC 6376 §3.6.1)")
	}
	return lines
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// failure titles a failed signature and says what to do, by failure kind:
// the fixes differ (RFC 6376 §6.1.3 steps 4 and 5).
func failure(s Signature, ev scoring.Evidence, fromDomain string) (string, *scoring.Fix) {
	name := dkim.RecordName(s.Selector, s.Domain)
	switch s.Failure {
	case dkim.BodyHashMismatch:
		return fmt.Sprintf("DKIM body hash did not verify (d=%s): the body changed after signing", s.Domain),
			&scoring.Fix{Summary: "Sign last: anything that rewrites the body after the signer (a footer or disclaimer, " +
				"a content filter, re-encoding 8-bit text, converting line endings) breaks the body hash. Use relaxed body " +
				"canonicalization (dkim_canon = relaxed in exim, Canonicalization relaxed/relaxed in OpenDKIM), and when " +
				"scoring a saved copy make sure it holds the bytes as received.", Manual: signManual}
	case dkim.SignatureMismatch:
		return fmt.Sprintf("DKIM signature did not verify (d=%s s=%s): a signed header changed, or wrong key", s.Domain, s.Selector),
			&scoring.Fix{Summary: fmt.Sprintf("Check that the record at %s holds the public half of the key the MTA signs with "+
				"(`mailcred check --domain %s --selector %s --dkim-key FILE` compares them; after a key change publish the new "+
				"record under a new selector). Otherwise something rewrote a signed header after signing (Subject tagging, From "+
				"rewriting by a list): sign after it.", name, s.Domain, s.Selector), Manual: signManual}
	case dkim.KeyUnusable:
		return fmt.Sprintf("DKIM key record %s cannot be used: %s", name, s.Reason),
			&scoring.Fix{Summary: fmt.Sprintf("Publish the key record at %s. For the key the MTA already signs with, "+
				"`mailcred keygen --domain %s --selector %s --from-key FILE` prints it; for a new key run `%s`. %s",
				name, s.Domain, s.Selector, keygenCommand(s.Domain, s.Selector), signHowTo),
				Manual: "Run the keygen command with the MTA's key (--dkim-key lets mailcred print the record itself)."}
	}
	return fmt.Sprintf("DKIM signature cannot be used (d=%s): %s", s.Domain, s.Reason),
		&scoring.Fix{Summary: fmt.Sprintf("Re-sign with rsa-sha256 or ed25519-sha256, From in h=, no l= and no past x= "+
			"(RFC 6376 §3.5, RFC 8301): `%s` sets up a signer that does. %s", keygenCommand(orDomain(fromDomain, ev.Domain), ev.Selector), signHowTo),
			Manual: signManual}
}

func orDomain(a, b string) string {
	if a != "" {
		return a
	}
	return strings.TrimSuffix(strings.ToLower(b), ".")
}

// testingFix is the key record without t=y, once signing is known to work.
func testingFix(s Signature) *scoring.Fix {
	name := dkim.RecordName(s.Selector, s.Domain)
	fix := &scoring.Fix{Summary: fmt.Sprintf("Signing works: remove y from t= at %s so receivers count the signature "+
		"(keep t=s if you had it):", name)}
	if s.KeyRecord == nil {
		return fix
	}
	var parts []string
	for _, t := range s.KeyRecord.Tags {
		if t.Name == "t" {
			var flags []string
			for _, f := range strings.Split(t.Value, ":") {
				if f = strings.TrimSpace(f); f != "" && f != "y" {
					flags = append(flags, f)
				}
			}
			if len(flags) == 0 {
				continue
			}
			t.Value = strings.Join(flags, ":")
		}
		parts = append(parts, t.Name+"="+t.Value)
	}
	fix.Records = []scoring.DNSRecord{scoring.TXTRecord(name, strings.Join(parts, "; "))}
	return fix
}
