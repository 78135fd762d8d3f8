package dkim

// Verification, the way a receiver does it (RFC 6376 §6): against the key
// itself (offline, right after signing) or against the record DNS
// publishes. go-msgauth verifies; this file types its verdicts and tells a
// changed body from a changed header or a wrong key.

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"strings"
	"time"

	msgdkim "github.com/emersion/go-msgauth/dkim"

	"github.com/mailcred/mailcred/scoring/dnsx"
	"github.com/mailcred/mailcred/scoring/headers"
)

// Status is a signature's verdict in RFC 8601 §2.7.1 words.
type Status string

// The verdicts. RFC 6376 §6.1 and RFC 8601 tell a signature that did not
// verify (fail) from one that could not be checked (permerror: unusable
// signature or key; temperror: DNS could not answer).
const (
	Pass      Status = "pass"
	Fail      Status = "fail"
	PermError Status = "permerror"
	TempError Status = "temperror"
	// Policy: the signature verifies, but not for the whole message — l=
	// leaves content after it unsigned — so a receiver may refuse it by
	// local policy (RFC 8601 §2.7.1).
	Policy Status = "policy"
)

// Failure says which part of a signature went wrong.
type Failure string

// The failure kinds. A body hash mismatch (the body changed after
// signing) and a signature mismatch (a signed header changed, or the key
// is not the signing one) need different fixes, so they are kept apart.
const (
	NoFailure         Failure = ""
	BodyHashMismatch  Failure = "body-hash"        // "body hash did not verify" (RFC 6376 §6.1.3 step 4)
	SignatureMismatch Failure = "signature"        // the header hash does not verify with the key (§6.1.3 step 5)
	KeyUnusable       Failure = "key"              // no key record, revoked, malformed, wrong type or too short (§6.1.2)
	DNSFailure        Failure = "dns"              // the key record could not be fetched now
	SignatureUnusable Failure = "signature-syntax" // the DKIM-Signature itself: syntax, version, From unsigned, expired, sha1 (§6.1.1)
	BodyAppended      Failure = "body-length"      // verifies for the l= octets it covers; content follows them (§3.5, §8.2)
)

// maxSignatures bounds the work a hostile message can ask for.
const maxSignatures = 10

// ErrNoSignature: the message carries no DKIM-Signature field.
var ErrNoSignature = errors.New("dkim verify: the message has no DKIM-Signature")

// SignatureResult is the verdict on one DKIM-Signature field, with what it
// claims, so a pane can show per-signature detail.
type SignatureResult struct {
	Domain           string   // d=
	Selector         string   // s=
	Identifier       string   // i=, or "@" + d= when absent
	Algorithm        string   // a=
	Canonicalization string   // c=
	Headers          []string // h=
	BodyHash         string   // bh=
	Time, Expiration time.Time

	Status  Status
	Failure Failure
	// Reason is the verifier's own words ("body hash did not verify");
	// empty on pass.
	Reason string
}

// Explain says in a sentence what the result means and where to look.
func (r SignatureResult) Explain() string {
	who := fmt.Sprintf("d=%s s=%s", r.Domain, r.Selector)
	switch r.Failure {
	case NoFailure:
		return who + ": signature verifies"
	case BodyHashMismatch:
		return who + ": body hash did not verify: the body changed after signing (a footer or disclaimer added, " +
			"line endings or trailing white space rewritten, 8-bit text re-encoded), or simple body canonicalization met a relay's rewriting"
	case SignatureMismatch:
		return who + ": signature did not verify: a signed header field changed after signing, or the published key " +
			"is not the one that signed (an old record, or the MTA using another key file)"
	case KeyUnusable:
		return who + ": the key record cannot be used: " + r.Reason
	case DNSFailure:
		return who + ": the key record could not be fetched now (temporary): " + r.Reason
	case BodyAppended:
		return who + ": " + r.Reason + " (l=, RFC 6376 §8.2)"
	}
	return who + ": the signature cannot be used: " + r.Reason
}

// VerifyError reports that no signature verified, with each one's result.
type VerifyError struct {
	Results []SignatureResult
}

// Error explains each signature's failure.
func (e *VerifyError) Error() string {
	parts := make([]string, len(e.Results))
	for i, r := range e.Results {
		parts[i] = r.Explain()
	}
	return "dkim verify: no signature verifies: " + strings.Join(parts, "; ")
}

// VerifyWithKey verifies every DKIM-Signature of signed (at most ten)
// against pub itself, with no DNS: the record for pub is served for
// whatever name the verifier asks. pub may be a private key; only its
// public half is used. No signature gives an empty result.
func VerifyWithKey(signed []byte, pub crypto.PublicKey) ([]SignatureResult, error) {
	if s, ok := pub.(crypto.Signer); ok {
		pub = s.Public()
	}
	record, err := RecordForKey(pub)
	if err != nil {
		return nil, fmt.Errorf("dkim verify offline: %w", err)
	}
	return verify(signed, func(string) ([]string, error) { return []string{record}, nil })
}

// VerifyOffline is VerifyWithKey as one answer: nil when at least one
// signature verifies, ErrNoSignature when there is none, and a
// *VerifyError with each signature's result otherwise.
func VerifyOffline(signed []byte, pub crypto.PublicKey) error {
	results, err := VerifyWithKey(signed, pub)
	if err != nil {
		return err
	}
	return Verified(results)
}

// Verified folds per-signature results into one answer, as VerifyOffline.
func Verified(results []SignatureResult) error {
	if len(results) == 0 {
		return ErrNoSignature
	}
	for _, r := range results {
		if r.Status == Pass {
			return nil
		}
	}
	return &VerifyError{Results: results}
}

// VerifyPublished verifies every DKIM-Signature of signed (at most ten)
// against the key records DNS publishes, asked through r, never the
// system resolver. No signature gives an empty result and no error (DKIM
// result "none"). The error is for a message that cannot be read at all.
func VerifyPublished(ctx context.Context, signed []byte, r *dnsx.Resolver) ([]SignatureResult, error) {
	if r == nil {
		return nil, errors.New("dkim verify: no resolver")
	}
	return verify(signed, r.LookupTXTFunc(ctx))
}

// verify runs go-msgauth with lookup and describes each verification.
func verify(signed []byte, lookup func(string) ([]string, error)) ([]SignatureResult, error) {
	claims := Claims(headers.Parse(signed))
	if len(claims) == 0 {
		return nil, nil
	}
	// Read in pieces, LF read as CRLF: the body hash streams, and a
	// message stored with bare LF is not copied to be verified.
	vs, err := msgdkim.VerifyWithOptions(newCRLFReader(signed), &msgdkim.VerifyOptions{
		LookupTXT:        lookup,
		MaxVerifications: maxSignatures,
	})
	if err != nil && !errors.Is(err, msgdkim.ErrTooManySignatures) {
		return nil, fmt.Errorf("dkim verify: %w", err)
	}
	out := make([]SignatureResult, 0, len(vs))
	for i, v := range vs {
		var c Claim
		if i < len(claims) && claims[i].Domain == v.Domain {
			c = claims[i]
		}
		r := SignatureResult{
			Domain:           v.Domain,
			Selector:         c.Selector,
			Identifier:       v.Identifier,
			Algorithm:        c.Algorithm,
			Canonicalization: c.Canonicalization,
			Headers:          c.Headers,
			BodyHash:         c.BodyHash,
			Time:             v.Time,
			Expiration:       v.Expiration,
		}
		r.Status, r.Failure, r.Reason = classify(v.Err)
		if v.Err != nil && strings.Contains(v.Err.Error(), errBodyLength) && c.Field != "" {
			r.Status, r.Failure, r.Reason = verifyBodyLength(signed, c.Field, lookup)
		}
		out = append(out, r)
	}
	return out, nil
}

// classify maps go-msgauth's error to a verdict. Its error types are
// unexported; IsTempFail and IsPermFail are its API, and the remaining
// "fail" errors are told apart by their fixed messages (pinned by tests on
// the g02/g03 vectors).
func classify(err error) (Status, Failure, string) {
	if err == nil {
		return Pass, NoFailure, ""
	}
	reason := strings.TrimPrefix(err.Error(), "dkim: ")
	switch {
	case msgdkim.IsTempFail(err):
		return TempError, DNSFailure, reason
	case msgdkim.IsPermFail(err):
		if keyProblem(reason) {
			return PermError, KeyUnusable, reason
		}
		return PermError, SignatureUnusable, reason
	case strings.Contains(reason, "body hash did not verify"):
		return Fail, BodyHashMismatch, reason
	case strings.Contains(reason, "signature did not verify"):
		return Fail, SignatureMismatch, reason
	}
	return Fail, SignatureUnusable, reason
}

// keyProblem recognises go-msgauth's permanent errors about the key
// record rather than the signature (RFC 6376 §6.1.2).
func keyProblem(reason string) bool {
	for _, s := range []string{"key", "inappropriate service", "inappropriate hash algorithm", "TXT record"} {
		if strings.Contains(reason, s) {
			return true
		}
	}
	return false
}
