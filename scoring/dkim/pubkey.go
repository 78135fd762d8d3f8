package dkim

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
)

// setKeyData decodes p= according to k= (RFC 6376 §3.6.1, RFC 8463 §4).
// On a mismatch the key found is still recorded, so the linter can say
// what p= really holds.
func (rec *KeyRecord) setKeyData(v string) error {
	b64 := stripFWS(v)
	if b64 == "" {
		rec.Revoked = true
		return nil
	}
	data, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		var ce base64.CorruptInputError
		if errors.As(err, &ce) {
			if _, rawErr := base64.RawStdEncoding.DecodeString(b64); rawErr == nil {
				return fmt.Errorf("%w: p= lacks its base64 \"=\" padding", ErrKeyData)
			}
			return fmt.Errorf("%w: p= is not base64 (bad character or length at byte %d of %d)", ErrKeyData, int64(ce), len(b64))
		}
		return fmt.Errorf("%w: p= is not base64", ErrKeyData)
	}
	pub, enc := decodePublicKey(data)
	rec.PublicKey, rec.Encoding, rec.Bits = pub, enc, keyBits(pub)
	switch rec.KeyType {
	case KeyRSA:
		switch k := pub.(type) {
		case *rsa.PublicKey:
			return nil
		case ed25519.PublicKey:
			return fmt.Errorf("%w: k=rsa (the default when k= is absent) but p= holds an Ed25519 key; add k=ed25519 (RFC 8463 §4)", ErrKeyMismatch)
		case nil:
			return fmt.Errorf("%w: p= (%d bytes) is neither a SubjectPublicKeyInfo nor an RSAPublicKey in DER; is it truncated?", ErrKeyData, len(data))
		default:
			return fmt.Errorf("%w: p= holds a %T key, which DKIM has no algorithm for", ErrKeyData, k)
		}
	case KeyEd25519:
		switch k := pub.(type) {
		case ed25519.PublicKey:
			if enc == EncodingSPKI {
				return fmt.Errorf("%w: p= is an Ed25519 key wrapped in SubjectPublicKeyInfo; RFC 8463 §4 wants the bare 32 bytes: p=%s",
					ErrKeyData, base64.StdEncoding.EncodeToString(k))
			}
			return nil
		case *rsa.PublicKey:
			return fmt.Errorf("%w: k=ed25519 but p= holds a %d-bit RSA key; use k=rsa or publish the Ed25519 key", ErrKeyMismatch, rec.Bits)
		case nil:
			return fmt.Errorf("%w: k=ed25519 needs p= to be 32 bytes of key (RFC 8463 §4), not %d", ErrKeyData, len(data))
		default:
			return fmt.Errorf("%w: k=ed25519 but p= holds a %T key", ErrKeyMismatch, k)
		}
	}
	return nil // unknown k=: already an error; the key is kept for display
}

// decodePublicKey recognises the encodings of p=: SubjectPublicKeyInfo,
// bare PKCS#1 RSAPublicKey (RFC 6376 erratum 3017: accept both), and the
// raw 32-byte Ed25519 key. It returns nil for anything else.
func decodePublicKey(data []byte) (crypto.PublicKey, KeyEncoding) {
	if pub, err := x509.ParsePKIXPublicKey(data); err == nil {
		return pub, EncodingSPKI
	}
	if pub, err := x509.ParsePKCS1PublicKey(data); err == nil {
		return pub, EncodingPKCS1
	}
	if len(data) == ed25519.PublicKeySize {
		return ed25519.PublicKey(bytes.Clone(data)), EncodingRaw
	}
	return nil, ""
}

func keyBits(pub crypto.PublicKey) int {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k.N != nil {
			return k.N.BitLen()
		}
	case ed25519.PublicKey:
		return 8 * len(k)
	}
	return 0
}

// RecordForKey returns the key record value to publish for pub (a public
// key, or a signer whose public half is meant): "v=DKIM1; k=rsa; p=<SPKI>"
// or "v=DKIM1; k=ed25519; p=<32 bytes>" (RFC 6376 §3.6.1, RFC 8463 §4).
// Split it with scoring.TXTRecord before publishing.
func RecordForKey(pub crypto.PublicKey) (string, error) {
	if s, ok := pub.(crypto.Signer); ok {
		pub = s.Public()
	}
	switch k := pub.(type) {
	case *rsa.PublicKey:
		der, err := x509.MarshalPKIXPublicKey(k)
		if err != nil {
			return "", fmt.Errorf("dkim record for RSA key: %w", err)
		}
		return "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der), nil
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return "", fmt.Errorf("dkim record: Ed25519 public key of %d bytes, want %d", len(k), ed25519.PublicKeySize)
		}
		return "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(k), nil
	}
	return "", fmt.Errorf("dkim record: unsupported key type %T (DKIM signs with RSA or Ed25519)", pub)
}

// samePublicKey compares two public keys by their SubjectPublicKeyInfo DER,
// so an RSAPublicKey-encoded record matches the same key in SPKI form.
func samePublicKey(a, b crypto.PublicKey) bool {
	da, errA := x509.MarshalPKIXPublicKey(a)
	db, errB := x509.MarshalPKIXPublicKey(b)
	return errA == nil && errB == nil && bytes.Equal(da, db)
}

// describeKey says what a public key is, with a short fingerprint (SHA-256
// of its SubjectPublicKeyInfo) so two keys can be told apart in a detail.
func describeKey(pub crypto.PublicKey) string {
	var what string
	switch k := pub.(type) {
	case *rsa.PublicKey:
		what = fmt.Sprintf("%d-bit RSA", keyBits(k))
	case ed25519.PublicKey:
		what = "Ed25519"
	case nil:
		return "no key"
	default:
		what = fmt.Sprintf("%T", pub)
	}
	if der, err := x509.MarshalPKIXPublicKey(pub); err == nil {
		sum := sha256.Sum256(der)
		what += " (SHA-256 " + hex.EncodeToString(sum[:6]) + "…)"
	}
	return what
}
