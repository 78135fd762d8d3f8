// Package keygen makes DKIM keys and says how to put them to use: the
// private key written as MTAs read it (PKCS#1 for RSA, what `openssl
// genrsa` writes; PKCS#8 for Ed25519), mode 0600, never over an existing
// file; and the instructions for the public half: the TXT record (zone
// file and web-panel form, split in 255-byte strings) and the signing
// configuration of exim4 and of postfix with OpenDKIM.
//
// Nothing this package returns or prints holds private key material.
package keygen

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/mailcred/mailcred/scoring/dkim"
)

// Key sizes. RFC 8301 §3.2: signers MUST use at least 1024 bits and SHOULD
// use at least 2048; verifiers need only accept up to 4096.
const (
	DefaultBits = 2048
	MinBits     = 1024
	MaxBits     = 4096
)

// Options chooses the key. The zero value is a 2048-bit RSA key.
type Options struct {
	Type dkim.KeyType // dkim.KeyRSA (default) or dkim.KeyEd25519 (RFC 8463)
	Bits int          // RSA modulus size; 0 means 2048. Ignored for Ed25519 except 0 or 256.
}

// Generate makes a new private key.
func Generate(opts Options) (crypto.Signer, error) {
	switch opts.Type {
	case "", dkim.KeyRSA:
		bits := opts.Bits
		if bits == 0 {
			bits = DefaultBits
		}
		if bits < MinBits || bits > MaxBits {
			return nil, fmt.Errorf("dkim keygen: %d-bit RSA: use %d to %d bits (RFC 8301 §3.2); %d is the usual choice", bits, MinBits, MaxBits, DefaultBits)
		}
		k, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			return nil, fmt.Errorf("dkim keygen: generating %d-bit RSA key: %w", bits, err)
		}
		return k, nil
	case dkim.KeyEd25519:
		if opts.Bits != 0 && opts.Bits != 256 {
			return nil, fmt.Errorf("dkim keygen: Ed25519 keys have no size to choose (--bits %d)", opts.Bits)
		}
		_, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("dkim keygen: generating Ed25519 key: %w", err)
		}
		return k, nil
	}
	return nil, fmt.Errorf("dkim keygen: key type %q: want rsa or ed25519", opts.Type)
}

// WriteKey writes key to a new file at path with mode 0600: PEM "RSA
// PRIVATE KEY" (PKCS#1) for RSA, PEM "PRIVATE KEY" (PKCS#8) for Ed25519.
// It refuses to replace an existing file (the error wraps fs.ErrExist):
// the record in DNS may still belong to the key that is there.
func WriteKey(path string, key crypto.Signer) error {
	block, err := pemBlock(key)
	if err != nil {
		return err
	}
	defer clear(block.Bytes)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("dkim keygen: %s already exists; mailcred never overwrites a key, since its record may still be "+
			"published and mail in flight signed with it: choose another file (--out) and selector: %w", path, fs.ErrExist)
	}
	if err != nil {
		return fmt.Errorf("dkim keygen: creating %s: %w", path, err)
	}
	// The umask can only take bits away; Chmod makes sure the mode is
	// exactly 0600 whatever the umask was.
	err = f.Chmod(0o600)
	if err == nil {
		err = pem.Encode(f, block)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("dkim keygen: writing %s: %w", path, err)
	}
	return nil
}

func pemBlock(key crypto.Signer) (*pem.Block, error) {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}, nil
	case ed25519.PrivateKey:
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			return nil, fmt.Errorf("dkim keygen: encoding Ed25519 key: %w", err)
		}
		return &pem.Block{Type: "PRIVATE KEY", Bytes: der}, nil
	case nil:
		return nil, errors.New("dkim keygen: no key to write")
	}
	return nil, fmt.Errorf("dkim keygen: cannot write a %T key: DKIM keys are RSA or Ed25519", key)
}
