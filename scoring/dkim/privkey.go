package dkim

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/mailcred/mailcred/scoring/inputfile"
)

// maxKeyFile bounds what LoadPrivateKey reads: a 16384-bit RSA key in PEM
// is under 13 KiB.
const maxKeyFile = 64 << 10

// ErrPrivateKey is wrapped by every error about the content of a private
// key file.
var ErrPrivateKey = errors.New("dkim private key")

// KeyError reports a private key that cannot be used. Its message never
// contains key material: only the file name, the format recognised and
// why it failed. The underlying parser error stays reachable through
// Unwrap for errors.Is/As but is not printed, since parsers are free to
// quote their input.
type KeyError struct {
	Path   string // the file, when the key came from one
	Reason string
	Err    error
}

// Error names the file and the reason, never the content.
func (e *KeyError) Error() string {
	if e.Path == "" {
		return ErrPrivateKey.Error() + ": " + e.Reason
	}
	return ErrPrivateKey.Error() + " " + e.Path + ": " + e.Reason
}

// Unwrap returns ErrPrivateKey and the underlying parser error.
func (e *KeyError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrPrivateKey}
	}
	return []error{ErrPrivateKey, e.Err}
}

func keyErr(reason string, err error) error { return &KeyError{Reason: reason, Err: err} }

// LoadPrivateKey reads a DKIM signing key from a file in any format
// ParsePrivateKey accepts.
func LoadPrivateKey(path string) (crypto.Signer, error) {
	f, err := inputfile.Open(path) // a FIFO or a device is an error, not a hang
	if err != nil {
		return nil, fmt.Errorf("dkim private key: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, fmt.Errorf("dkim private key: %w", err)
	}
	if len(data) > maxKeyFile {
		return nil, &KeyError{Path: path, Reason: fmt.Sprintf("file is larger than %d KiB; not a key file", maxKeyFile>>10)}
	}
	key, err := ParsePrivateKey(data)
	if ke, ok := errors.AsType[*KeyError](err); ok {
		ke.Path = path
	}
	return key, err
}

// ParsePrivateKey decodes a DKIM signing key:
//   - PEM "RSA PRIVATE KEY" (PKCS#1, what `openssl genrsa` and opendkim-genkey write),
//   - PEM "PRIVATE KEY" (PKCS#8, RSA or Ed25519; `openssl genpkey`),
//   - bare base64 of a 32-byte Ed25519 seed (dkimpy, mailauth, exim) or of
//     the 64-byte seed-and-public-key form,
//   - raw DER of PKCS#8 or PKCS#1.
//
// Errors are *KeyError and never quote the input.
func ParsePrivateKey(data []byte) (crypto.Signer, error) {
	text := bytes.TrimSpace(data)
	switch {
	case len(text) == 0:
		return nil, keyErr("the file is empty", nil)
	case bytes.Contains(text, []byte("-----BEGIN")):
		return parsePEM(text)
	case isBase64Text(text):
		return parseBareBase64(text)
	case data[0] == 0x30: // DER SEQUENCE
		// The bytes as they are: a key's last byte may be 0x0a or 0x20,
		// which trimming "white space" would cut off.
		return parseDER(data, "DER")
	}
	return nil, keyErr("not PEM, DER or base64: no key format recognised", nil)
}

// isBase64Text reports whether b is only base64 alphabet and white space.
func isBase64Text(b []byte) bool {
	for _, c := range b {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9',
			c == '+', c == '/', c == '=', isFWS(c):
		default:
			return false
		}
	}
	return true
}

func parsePEM(text []byte) (crypto.Signer, error) {
	var seen []string
	for rest := text; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		seen = append(seen, block.Type)
		switch block.Type {
		case "RSA PRIVATE KEY":
			if strings.Contains(block.Headers["Proc-Type"], "ENCRYPTED") {
				return nil, keyErr("the RSA key is encrypted with a passphrase; MTAs need it unencrypted (openssl rsa -in KEY -out KEY.plain)", nil)
			}
			k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
			if err != nil {
				return nil, keyErr("the RSA PRIVATE KEY block (PKCS#1) is damaged or truncated", err)
			}
			return k, nil
		case "PRIVATE KEY":
			return parseDER(block.Bytes, "PRIVATE KEY block (PKCS#8)")
		case "ENCRYPTED PRIVATE KEY":
			return nil, keyErr("the PKCS#8 key is encrypted with a passphrase; MTAs need it unencrypted (openssl pkey -in KEY -out KEY.plain)", nil)
		case "EC PRIVATE KEY", "OPENSSH PRIVATE KEY", "DSA PRIVATE KEY":
			return nil, keyErr(block.Type+" is not a DKIM key type: DKIM signs with RSA (RFC 6376) or Ed25519 (RFC 8463)", nil)
		}
	}
	if len(seen) == 0 {
		return nil, keyErr("a BEGIN line is there but no PEM block decodes (damaged base64 or missing END line?)", nil)
	}
	return nil, keyErr(fmt.Sprintf("no private key in the file, only: %s (a public key cannot sign)", strings.Join(seen, ", ")), nil)
}

// parseDER tries PKCS#8, then PKCS#1.
func parseDER(der []byte, what string) (crypto.Signer, error) {
	k8, err8 := x509.ParsePKCS8PrivateKey(der)
	if err8 == nil {
		switch k := k8.(type) {
		case *rsa.PrivateKey:
			return k, nil
		case ed25519.PrivateKey:
			return k, nil
		}
		return nil, keyErr(fmt.Sprintf("%s holds a %T, not a DKIM key type: DKIM signs with RSA or Ed25519", what, k8), nil)
	}
	if k1, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k1, nil
	}
	return nil, keyErr(what+" is neither a PKCS#8 nor a PKCS#1 private key (damaged or truncated?)", err8)
}

// parseBareBase64 reads the seed files of dkimpy (ed25519test.key),
// mailauth and exim: base64 of the 32-byte RFC 8032 seed.
func parseBareBase64(text []byte) (crypto.Signer, error) {
	b64 := stripFWS(string(text))
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		raw, err = base64.RawStdEncoding.DecodeString(b64)
	}
	if err != nil {
		return nil, keyErr("base64 text that does not decode (damaged or truncated?)", err)
	}
	switch {
	case len(raw) == ed25519.SeedSize:
		return ed25519.NewKeyFromSeed(raw), nil
	case len(raw) == ed25519.PrivateKeySize:
		k := ed25519.NewKeyFromSeed(raw[:ed25519.SeedSize])
		if !bytes.Equal(k[ed25519.SeedSize:], raw[ed25519.SeedSize:]) {
			return nil, keyErr("64-byte Ed25519 key whose public half does not belong to its seed", nil)
		}
		return k, nil
	case len(raw) > 0 && raw[0] == 0x30:
		return parseDER(raw, "base64 DER without PEM lines")
	}
	return nil, keyErr(fmt.Sprintf("base64 of %d bytes: an Ed25519 seed is %d bytes, and it is not DER either", len(raw), ed25519.SeedSize), nil)
}

// KeyFilePermissionProblem returns a warning when the key file can be read
// (or changed) by users other than its owner, and "" when it cannot or the
// file cannot be examined (LoadPrivateKey reports that).
func KeyFilePermissionProblem(path string) string {
	if runtime.GOOS == "windows" {
		return "" // mode bits say nothing there
	}
	fi, err := os.Stat(path)
	if err != nil {
		return ""
	}
	perm := fi.Mode().Perm()
	switch {
	case perm&0o004 != 0:
		return fmt.Sprintf("%s is readable by every user on this host (mode %04o): anyone can sign mail as your domain. "+
			"Run: chmod 600 %s (or chmod 640 with the MTA's group, e.g. chown root:Debian-exim for exim4 or opendkim:opendkim for OpenDKIM)",
			path, perm, path)
	case perm&0o022 != 0:
		return fmt.Sprintf("%s can be changed by users other than its owner (mode %04o): someone could swap the signing key. Run: chmod go-w %s",
			path, perm, path)
	case perm&0o040 != 0:
		return fmt.Sprintf("%s is readable by its group (mode %04o). That is right only if the group is the MTA's own "+
			"(Debian-exim for exim4, opendkim for OpenDKIM) and nobody else is in it; otherwise run: chmod 600 %s",
			path, perm, path)
	}
	return ""
}
