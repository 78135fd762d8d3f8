// Package dkim is the DKIM subject of mailcred: a lint-grade parser of key
// records (RFC 6376 §3.6.1, RFC 8301, RFC 8463), private key loading for
// the keys MTAs and signing tools write, and the dkim.record and
// dkim.key-match checks.
package dkim

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// KeyType is the k= value of a key record.
type KeyType string

// The key types receivers know: RSA (RFC 6376 §3.6.1, the default) and
// Ed25519 (RFC 8463 §4).
const (
	KeyRSA     KeyType = "rsa"
	KeyEd25519 KeyType = "ed25519"
)

// KeyEncoding says how p= holds the public key.
type KeyEncoding string

// The encodings seen in the wild. RFC 6376 §3.6.1 says p= is an RSAPublicKey
// but its own example is a SubjectPublicKeyInfo; erratum 3017 lets
// verifiers accept both, and real ones do. RFC 8463 §4 makes Ed25519 keys
// the bare 32 bytes.
const (
	EncodingSPKI  KeyEncoding = "spki"  // SubjectPublicKeyInfo DER
	EncodingPKCS1 KeyEncoding = "pkcs1" // bare PKCS#1 RSAPublicKey DER
	EncodingRaw   KeyEncoding = "raw"   // 32 bytes of Ed25519 key
)

// KeyRecord is a DKIM key record as published in DNS at
// selector._domainkey.domain (RFC 6376 §3.6.1).
type KeyRecord struct {
	Version  string   // v=, empty when absent
	KeyType  KeyType  // k=, rsa when absent
	Hashes   []string // h=, nil when absent (every algorithm allowed)
	Services []string // s=, nil when absent (meaning "*")
	Flags    []string // t=
	Notes    string   // n=
	// Revoked is true when p= is empty: the key was withdrawn (RFC 6376
	// §3.6.1) and signatures made with it fail.
	Revoked   bool
	PublicKey crypto.PublicKey // *rsa.PublicKey or ed25519.PublicKey; nil if revoked or unreadable
	Encoding  KeyEncoding
	Bits      int   // key size: the RSA modulus length, 256 for Ed25519
	Tags      []Tag // every tag in record order, as written
}

// Testing reports the t=y flag: the domain is testing DKIM and receivers
// must not treat the key differently from unsigned mail (RFC 6376 §3.6.1).
func (k *KeyRecord) Testing() bool { return slices.Contains(k.Flags, "y") }

// Strict reports the t=s flag: the i= domain of signatures must equal d=,
// not be a subdomain of it (RFC 6376 §3.6.1).
func (k *KeyRecord) Strict() bool { return slices.Contains(k.Flags, "s") }

// AllowsSHA256 reports whether the key may be used with sha256, the only
// hash RFC 8301 §3.1 leaves to signers.
func (k *KeyRecord) AllowsSHA256() bool {
	return k.Hashes == nil || slices.Contains(k.Hashes, "sha256")
}

// ForEmail reports whether s= allows the key for email (RFC 6376 §3.6.1:
// "*" or "email"; RFC 8460 adds "tlsrpt" for TLS reports only).
func (k *KeyRecord) ForEmail() bool {
	return k.Services == nil || slices.Contains(k.Services, "*") || slices.Contains(k.Services, "email")
}

// Severity grades a finding.
type Severity int

// Note is worth saying; Warning costs deliverability or is out of spec
// but usable; Problem makes the key unusable for mail or unsafe.
const (
	Note Severity = iota
	Warning
	Problem
)

// String returns note, warning or problem.
func (s Severity) String() string {
	switch s {
	case Note:
		return "note"
	case Warning:
		return "warning"
	case Problem:
		return "problem"
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// Finding is one thing the linter noticed about a record that did not stop
// it from being parsed.
type Finding struct {
	Severity Severity
	Tag      string // the tag concerned, if any
	Message  string
}

// String renders the finding as "severity: message".
func (f Finding) String() string { return f.Severity.String() + ": " + f.Message }

// ParseKeyRecord parses the text of a key record (its TXT character-strings
// already concatenated, RFC 6376 §3.6.2.2).
//
// The error is non-nil when receivers cannot use the record at all: bad
// syntax, a duplicate tag, a wrong or misplaced v=, no p=, an unknown k=,
// key data that does not decode or does not match k=. A revoked key, an h=
// without sha256 or an s= without email parse without error but carry a
// Problem finding. The record is returned even with an error, filled as far
// as parsing got, so a linter can say more than the first thing wrong.
func ParseKeyRecord(txt string) (*KeyRecord, []Finding, error) {
	rec := &KeyRecord{KeyType: KeyRSA}
	tags, findings, err := parseTagList(txt)
	rec.Tags = tags
	if err != nil {
		return rec, findings, err
	}
	var errs []error
	seen := map[string]bool{}
	keyData := ""
	for i, t := range tags {
		if seen[t.Name] {
			// RFC 6376 §3.2: "if a tag name does occur more than once,
			// the entire tag-list is invalid".
			errs = append(errs, fmt.Errorf("%w %s= (RFC 6376 §3.2: the whole record is invalid)", ErrDuplicateTag, t.Name))
			continue
		}
		seen[t.Name] = true
		if t.Name == "p" {
			keyData = t.Value // decoded once k= is known, wherever it stands
			continue
		}
		if e := rec.applyTag(i, t, &findings); e != nil {
			errs = append(errs, e)
		}
	}
	if seen["p"] {
		if e := rec.setKeyData(keyData); e != nil {
			errs = append(errs, e)
		}
	} else {
		errs = append(errs, fmt.Errorf("%w: the public key tag is required (RFC 6376 §3.6.1)", ErrNoKeyData))
	}
	findings = append(findings, rec.policyFindings()...)
	return rec, findings, errors.Join(errs...)
}

// applyTag interprets one tag other than p=; the first occurrence of each
// name only.
func (rec *KeyRecord) applyTag(pos int, t Tag, findings *[]Finding) error {
	switch t.Name {
	case "v":
		rec.Version = t.Value
		if t.Value != "DKIM1" {
			// RFC 6376 §3.6.1: records with any other value MUST be discarded.
			return fmt.Errorf("%w: v=%s, must be exactly \"DKIM1\" (RFC 6376 §3.6.1)", ErrVersion, short(t.Value))
		}
		if pos != 0 {
			return fmt.Errorf("%w: v=DKIM1 must be the first tag of the record (RFC 6376 §3.6.1)", ErrVersion)
		}
	case "k":
		rec.KeyType = KeyType(t.Value)
		switch {
		case rec.KeyType == KeyRSA || rec.KeyType == KeyEd25519:
		case strings.EqualFold(t.Value, string(KeyRSA)) || strings.EqualFold(t.Value, string(KeyEd25519)):
			return fmt.Errorf("%w: k=%s, write it in lower case (k=%s): tag values are case-sensitive", ErrKeyType, t.Value, strings.ToLower(t.Value))
		default:
			return fmt.Errorf("%w: k=%s; receivers know k=rsa (RFC 6376) and k=ed25519 (RFC 8463) and ignore other keys", ErrKeyType, short(t.Value))
		}
	case "h":
		rec.Hashes = splitList(t.Value)
		if rec.Hashes == nil {
			rec.Hashes = []string{} // present but empty: nothing allowed
		}
	case "s":
		rec.Services = splitList(t.Value)
		if rec.Services == nil {
			rec.Services = []string{}
		}
	case "t":
		rec.Flags = splitList(t.Value)
		for _, f := range rec.Flags {
			if f != "y" && f != "s" {
				*findings = append(*findings, Finding{Severity: Note, Tag: "t",
					Message: fmt.Sprintf("unknown flag t=%s is ignored (RFC 6376 §3.6.1)", short(f))})
			}
		}
	case "n":
		rec.Notes = t.Value
	case "g":
		*findings = append(*findings, Finding{Severity: Note, Tag: "g",
			Message: "g= (granularity) was removed by RFC 6376 (it was in RFC 4871); receivers ignore it and it can be dropped"})
	default:
		// RFC 6376 §3.6.1: "Unrecognized tags MUST be ignored."
		*findings = append(*findings, Finding{Severity: Note, Tag: t.Name,
			Message: fmt.Sprintf("unknown tag %s= is ignored (RFC 6376 §3.6.1)", short(t.Name))})
	}
	return nil
}

// policyFindings grades what was parsed: revocation, key strength, the
// h=, s= and t= restrictions.
func (rec *KeyRecord) policyFindings() []Finding {
	var out []Finding
	add := func(s Severity, tag, msg string) { out = append(out, Finding{Severity: s, Tag: tag, Message: msg}) }
	if rec.Revoked {
		add(Problem, "p", "the key is revoked (empty p=): every signature made with this selector fails (RFC 6376 §3.6.1)")
	}
	// Strength is graded only when k= and the key data agree; a mismatch
	// is already an error.
	switch rec.PublicKey.(type) {
	case *rsa.PublicKey:
		switch {
		case rec.KeyType != KeyRSA:
		case rec.Bits < 1024:
			add(Problem, "p", fmt.Sprintf("%d-bit RSA key: receivers must reject keys under 1024 bits (RFC 8301 §3.2)", rec.Bits))
		case rec.Bits < 2048:
			add(Warning, "p", fmt.Sprintf("%d-bit RSA key: accepted, but weak; RFC 8301 §3.2 says signers SHOULD use 2048 bits or more", rec.Bits))
		}
	case ed25519.PublicKey:
		if rec.KeyType == KeyEd25519 {
			add(Note, "k", "Ed25519 key (RFC 8463): not every receiver verifies Ed25519 yet, so sign with an RSA key as well (two signatures)")
		}
	}
	if !rec.AllowsSHA256() {
		add(Problem, "h", fmt.Sprintf("h=%s excludes sha256, the only hash signers may use (RFC 8301 §3.1): no valid signature can use this key",
			strings.Join(rec.Hashes, ":")))
	} else if slices.Contains(rec.Hashes, "sha1") {
		add(Note, "h", "h= still lists sha1, which RFC 8301 §3.1 forbids; h=sha256 (or no h=) is enough")
	}
	if !rec.ForEmail() {
		msg := fmt.Sprintf("s=%s does not include email or *: receivers must not use this key for mail (RFC 6376 §3.6.1)",
			strings.Join(rec.Services, ":"))
		if slices.Contains(rec.Services, "tlsrpt") {
			msg += "; s=tlsrpt keys only sign TLS reports (RFC 8460 §3)"
		}
		add(Problem, "s", msg)
	}
	if rec.Testing() {
		add(Warning, "t", "t=y: the domain says it is testing DKIM, so receivers may treat signed mail like unsigned mail (RFC 6376 §3.6.1); remove the flag once signing works")
	}
	if rec.Strict() {
		add(Note, "t", "t=s: signatures must use an i= in exactly the d= domain, not a subdomain (RFC 6376 §3.6.1)")
	}
	return out
}
