// Package sign DKIM-signs a rendered message (RFC 6376; Ed25519 per RFC
// 8463; key sizes per RFC 8301). Signing is go-msgauth's; this package
// chooses what to sign, refuses what receivers would reject, and says what
// it did. Verifying the result is scoring/dkim's, as a receiver does it.
//
// No error, Info or result of this package contains private key material.
package sign

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"fmt"
	"strings"
	"time"

	msgdkim "github.com/emersion/go-msgauth/dkim"

	"github.com/mailcred/mailcred/scoring/dkim"
	"github.com/mailcred/mailcred/scoring/headers"
)

// Canon is a canonicalization algorithm (RFC 6376 §3.4).
type Canon string

// The two algorithms. Relaxed survives the white-space and header-case
// changes relays make; simple breaks on them.
const (
	Relaxed Canon = "relaxed"
	Simple  Canon = "simple"
)

// RSA key sizes signers may use: RFC 8301 §3.2 forbids less than 1024 bits
// and verifiers need only accept up to 4096.
const (
	MinRSABits = 1024
	MaxRSABits = 4096
)

// Options says who signs and how. Domain, Selector and Key are required.
type Options struct {
	Domain   string        // d=, the signing domain
	Selector string        // s=, the key is at Selector._domainkey.Domain
	Key      crypto.Signer // *rsa.PrivateKey or ed25519.PrivateKey
	// Header and Body canonicalization; empty means relaxed (RFC 6376
	// §3.4.2, §3.4.4), what the story's exim used (dkim_canon = relaxed).
	Header, Body Canon
	// Expiration, if set, becomes x= (RFC 6376 §3.5).
	Expiration time.Time
}

// String describes the options without the key: printing Options with
// %v or %+v must never dump private key material into a log.
func (o Options) String() string {
	return fmt.Sprintf("{Domain:%s Selector:%s Key:%s Header:%s Body:%s Expiration:%v}",
		o.Domain, o.Selector, describeKey(o.Key), orRelaxed(o.Header), orRelaxed(o.Body), o.Expiration)
}

// GoString is String for %#v.
func (o Options) GoString() string { return "sign.Options" + o.String() }

// describeKey names a key by type and size only.
func describeKey(k crypto.Signer) string {
	if k == nil {
		return "none"
	}
	switch p := k.Public().(type) {
	case *rsa.PublicKey:
		if p == nil || p.N == nil {
			return "RSA(redacted)"
		}
		return fmt.Sprintf("RSA-%d(redacted)", p.N.BitLen())
	case ed25519.PublicKey:
		return "Ed25519(redacted)"
	}
	return fmt.Sprintf("%T(redacted)", k)
}

// Info describes a signature just made, for the DKIM pane.
type Info struct {
	Algorithm        string   // a=, "rsa-sha256" or "ed25519-sha256"
	KeyType          string   // "rsa" or "ed25519"
	Bits             int      // RSA modulus size; 256 for Ed25519
	Canonicalization string   // c=, "relaxed/relaxed"
	Headers          []string // h=, in order, From listed once more than present
	BodyHash         string   // bh=, base64
	Domain           string   // d=
	Selector         string   // s=
	Time             time.Time
	Signature        string // the DKIM-Signature field as prepended, CRLF-terminated
}

// Errors callers branch on.
var (
	// ErrNoFrom: RFC 6376 §5.4 requires From to be signed, so a message
	// without From cannot be signed.
	ErrNoFrom = errors.New("dkim sign: the message has no From: header, and DKIM must sign From (RFC 6376 §5.4)")
	// ErrWeakKey: RSA keys under 1024 bits are refused (RFC 8301 §3.2).
	ErrWeakKey = errors.New("dkim sign: RSA key too small")
	// ErrBareLF: the bytes signed must be the bytes sent, with CRLF line
	// endings; a relay would convert bare LF and break the signature.
	ErrBareLF = errors.New("dkim sign: the message has bare LF line endings; render it with CRLF first")
)

// signedHeaders are the fields signed when present, in this order. From
// is always signed, and oversigned (listed once more than present) so a
// From added later breaks the signature (RFC 6376 §5.4.2, §8.15). The list
// is RFC 6376 §5.4.1's recommendation as the issue narrows it, plus the
// fields whose change would alter what the reader sees or does: Reply-To,
// the threading fields, and List-Unsubscribe(-Post), which RFC 8058 §4
// requires to be signed for one-click unsubscribe.
var signedHeaders = [...]string{
	"From", "To", "Cc", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type",
	"Reply-To", "In-Reply-To", "References", "List-Unsubscribe", "List-Unsubscribe-Post",
}

// Sign returns msg with a DKIM-Signature field prepended, and what was
// signed. msg must be a whole message with CRLF line endings and a From
// field; RSA keys must have 1024 to 4096 bits.
func Sign(msg []byte, opts Options) ([]byte, *Info, error) {
	if err := opts.check(); err != nil {
		return nil, nil, err
	}
	parsed := headers.Parse(msg)
	if parsed.BareLFCount > 0 {
		return nil, nil, ErrBareLF
	}
	if !parsed.Separated {
		return nil, nil, errors.New("dkim sign: no blank line ends the header section; not a whole message")
	}
	keys, err := headerList(parsed)
	if err != nil {
		return nil, nil, err
	}
	hc, bc := orRelaxed(opts.Header), orRelaxed(opts.Body)
	var out bytes.Buffer
	err = msgdkim.Sign(&out, bytes.NewReader(msg), &msgdkim.SignOptions{
		Domain:                 opts.Domain,
		Selector:               opts.Selector,
		Signer:                 opts.Key,
		Hash:                   crypto.SHA256, // RFC 8301 §3.1: rsa-sha1 MUST NOT be used
		HeaderCanonicalization: msgdkim.Canonicalization(hc),
		BodyCanonicalization:   msgdkim.Canonicalization(bc),
		HeaderKeys:             keys,
		Expiration:             opts.Expiration,
	})
	if err != nil {
		// go-msgauth's errors name options, never key bytes.
		return nil, nil, fmt.Errorf("dkim sign as %s: %w", dkim.RecordName(opts.Selector, opts.Domain), err)
	}
	signed := out.Bytes()
	info, err := describe(signed, opts.Key)
	if err != nil {
		return nil, nil, err
	}
	return signed, info, nil
}

// check validates the options before any work.
func (o *Options) check() error {
	if o.Domain == "" || o.Selector == "" {
		return errors.New("dkim sign: the domain and the selector are required")
	}
	if strings.ContainsAny(o.Domain+o.Selector, " \t\r\n;=") {
		return fmt.Errorf("dkim sign: domain %q or selector %q holds characters a DNS name cannot", o.Domain, o.Selector)
	}
	for _, c := range []Canon{o.Header, o.Body} {
		if c != "" && c != Relaxed && c != Simple {
			return fmt.Errorf("dkim sign: canonicalization %q: want relaxed or simple (RFC 6376 §3.4)", c)
		}
	}
	if o.Key == nil {
		return errors.New("dkim sign: no private key")
	}
	switch k := o.Key.Public().(type) {
	case *rsa.PublicKey:
		if k == nil || k.N == nil {
			return errors.New("dkim sign: the RSA key has no modulus")
		}
		bits := k.N.BitLen()
		if bits < MinRSABits {
			return fmt.Errorf("%w: %d bits; RFC 8301 §3.2 requires at least %d and receivers reject smaller keys. Make a new one: mailcred keygen --domain %s --selector %s",
				ErrWeakKey, bits, MinRSABits, o.Domain, nextSelector(o.Selector))
		}
		if bits > MaxRSABits {
			return fmt.Errorf("dkim sign: RSA key of %d bits; verifiers need only accept up to %d (RFC 8301 §3.2), use 2048", bits, MaxRSABits)
		}
	case ed25519.PublicKey:
	default:
		return fmt.Errorf("dkim sign: a %T key cannot sign DKIM: use RSA (RFC 6376) or Ed25519 (RFC 8463)", k)
	}
	return nil
}

// headerList builds h=: each field of signedHeaders once per occurrence,
// and From once more (go-msgauth, like RFC 6376 §5.4.2, signs a name
// listed beyond its occurrences as an empty field, which is what makes an
// added From fail verification).
func headerList(m *headers.Message) ([]string, error) {
	if m.Count("From") == 0 {
		return nil, ErrNoFrom
	}
	var keys []string
	for _, name := range signedHeaders {
		n := m.Count(name)
		if name == "From" {
			n++
		}
		for range n {
			keys = append(keys, name)
		}
	}
	return keys, nil
}

func orRelaxed(c Canon) Canon {
	if c == "" {
		return Relaxed
	}
	return c
}

// nextSelector proposes a fresh selector for a new key.
func nextSelector(s string) string {
	if s == "" {
		return "mail2"
	}
	return s + "2"
}

// describe reads back the signature just prepended.
func describe(signed []byte, key crypto.Signer) (*Info, error) {
	claims := dkim.Claims(headers.Parse(signed))
	if len(claims) == 0 {
		return nil, errors.New("dkim sign: no DKIM-Signature in the signed message")
	}
	c := claims[0]
	info := &Info{
		Algorithm:        c.Algorithm,
		Canonicalization: c.Canonicalization,
		Headers:          c.Headers,
		BodyHash:         c.BodyHash,
		Domain:           c.Domain,
		Selector:         c.Selector,
		Time:             c.Time,
		Signature:        c.Field + "\r\n",
	}
	switch k := key.Public().(type) {
	case *rsa.PublicKey:
		info.KeyType, info.Bits = "rsa", k.N.BitLen()
	case ed25519.PublicKey:
		info.KeyType, info.Bits = "ed25519", 8*len(k)
	}
	return info, nil
}

// String is a one-line summary for logs and the transcript.
func (i *Info) String() string {
	return fmt.Sprintf("DKIM %s (%s %d-bit) d=%s s=%s c=%s h=%s bh=%s",
		i.Algorithm, i.KeyType, i.Bits, i.Domain, i.Selector, i.Canonicalization,
		strings.Join(i.Headers, ":"), i.BodyHash)
}
