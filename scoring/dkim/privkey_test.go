package dkim

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadPrivateKeyFiles(t *testing.T) {
	tests := []struct {
		file   string
		format string
		bits   int // 0 for Ed25519
		pub    string
	}{
		{"keys/rfc6376-appC-rsa1024-private.pem", "PKCS#1", 1024, "keys/rfc6376-appC-rsa1024-public.txt"},
		{"keys/rfc8463-rsa1024-private.pem", "PKCS#1", 1024, "keys/rfc8463-rsa1024-public.txt"},
		{"keys/rsa2048-private.pem", "PKCS#8", 2048, "keys/rsa2048-public.txt"},
		{"keys/weak-rsa512-private.pem", "PKCS#8", 512, "keys/weak-rsa512-public.txt"},
		{"keys/rfc8463-ed25519-seed.b64", "seed", 0, "keys/rfc8463-ed25519-public.txt"},
		{"dkimpy/test.private", "PKCS#1", 1024, "dkimpy/test.txt"},
		{"dkimpy/1024_testkey.key", "PKCS#1", 1024, "dkimpy/1024_testkey_wo_markers.pub.txt"},
		{"dkimpy/2048_testkey.key", "PKCS#1", 2048, "dkimpy/2048_testkey_wo_markers.pub.rsa.txt"},
		{"dkimpy/2048_testkey_PKCS8.key", "PKCS#8", 2048, "dkimpy/2048_testkey_PKCS8.key.pub.txt"},
		{"dkimpy/ed25519test.key", "seed", 0, "dkimpy/ed25519test.dns"},
		{"dkimpy/rfc8032_7_1.key", "seed", 0, "keys/rfc8463-ed25519-public.txt"},
		{"mailauth/rfc8463-private-ed25519.key", "seed without newline", 0, "keys/rfc8463-ed25519-public.txt"},
	}
	ok := 0
	for _, tc := range tests {
		passed := t.Run(tc.file, func(t *testing.T) {
			key, err := LoadPrivateKey(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			switch k := key.(type) {
			case *rsa.PrivateKey:
				if k.N.BitLen() != tc.bits {
					t.Errorf("bits = %d, want %d", k.N.BitLen(), tc.bits)
				}
			case ed25519.PrivateKey:
				if tc.bits != 0 {
					t.Errorf("got Ed25519, want RSA")
				}
			default:
				t.Fatalf("key type %T", key)
			}
			rec, _, err := ParseKeyRecord(mustRead(t, filepath.Join("testdata", tc.pub)))
			if err != nil {
				t.Fatal(err)
			}
			if !samePublicKey(rec.PublicKey, key.Public()) {
				t.Errorf("%s is not the public half of %s", tc.pub, tc.file)
			}
		})
		if passed {
			ok++
		}
	}
	t.Logf("private key files loaded and matched with their records: %d/%d", ok, len(tests))
}

// Keys made here in the formats no fixture has: PKCS#8 Ed25519 (openssl
// genpkey -algorithm ed25519), the 64-byte Ed25519 form, raw DER, base64
// DER without PEM lines.
func TestParsePrivateKeyGenerated(t *testing.T) {
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8Ed, _ := x509.MarshalPKCS8PrivateKey(edKey)
	pkcs8RSA, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	pkcs1 := x509.MarshalPKCS1PrivateKey(rsaKey)
	tests := []struct {
		name string
		data []byte
		want crypto.PublicKey
	}{
		{"PKCS#8 Ed25519 PEM", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8Ed}), edKey.Public()},
		{"PKCS#8 RSA PEM", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8RSA}), rsaKey.Public()},
		{"PKCS#1 PEM with CRLF", []byte(strings.ReplaceAll(string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: pkcs1})), "\n", "\r\n")), rsaKey.Public()},
		{"PEM after a comment and a public key", append([]byte("# dkim key\n"+string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: mustSPKI(t, rsaKey.Public())}))),
			pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: pkcs1})...), rsaKey.Public()},
		{"raw DER PKCS#8", pkcs8RSA, rsaKey.Public()},
		{"raw DER PKCS#1", pkcs1, rsaKey.Public()},
		{"base64 DER without PEM lines", []byte(base64.StdEncoding.EncodeToString(pkcs8Ed)), edKey.Public()},
		{"64-byte Ed25519 key", []byte(base64.StdEncoding.EncodeToString(edKey)), edKey.Public()},
		{"seed without padding", []byte(base64.RawStdEncoding.EncodeToString(edKey.Seed())), edKey.Public()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key, err := ParsePrivateKey(tc.data)
			if err != nil {
				t.Fatal(err)
			}
			if !samePublicKey(key.Public(), tc.want) {
				t.Error("wrong key")
			}
		})
	}
}

func TestParsePrivateKeyErrors(t *testing.T) {
	der := pemBody(t, "testdata/keys/rsa2048-private.pem")
	ecDER, _ := hex.DecodeString("30770201010420") // not a whole key: only its type matters here
	bad64 := make([]byte, 40)
	tests := []struct {
		name string
		data []byte
		says string
	}{
		{"empty", []byte("  \n"), "empty"},
		{"text", []byte("hello, this is not a key\n"), "no key format"},
		{"public key only", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der[:40]}), "only: PUBLIC KEY"},
		{"encrypted PKCS#1", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-128-CBC,00"}, Bytes: der}), "passphrase"},
		{"encrypted PKCS#8", pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: der}), "passphrase"},
		{"EC key", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: ecDER}), "not a DKIM key type"},
		{"truncated PKCS#8", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der[:len(der)/2]}), "damaged or truncated"},
		{"truncated PKCS#1", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: der[:len(der)/2]}), "damaged or truncated"},
		{"BEGIN without END", []byte("-----BEGIN RSA PRIVATE KEY-----\n" + base64.StdEncoding.EncodeToString(der)), "no PEM block decodes"},
		{"seed of the wrong length", []byte(base64.StdEncoding.EncodeToString(bad64)), "40 bytes"},
		{"64-byte form with wrong public half", []byte(base64.StdEncoding.EncodeToString(make([]byte, 64))), "does not belong"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key, err := ParsePrivateKey(tc.data)
			if err == nil {
				t.Fatalf("parsed a %T", key)
			}
			if !errors.Is(err, ErrPrivateKey) || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("error = %v, want it to say %q", err, tc.says)
			}
			assertNoKeyMaterial(t, err, tc.data)
		})
	}
}

// A malformed key file's error must not leak the key: not a run of its
// base64, not its bytes in hex, not the file's lines.
func TestLoadPrivateKeyErrorHasNoKeyMaterial(t *testing.T) {
	dir := t.TempDir()
	good := mustRead(t, "testdata/keys/rsa2048-private.pem")
	der := pemBody(t, "testdata/keys/rsa2048-private.pem")
	lines := strings.Split(good, "\n")
	files := map[string]string{
		// One character changed in the middle of the base64: PEM no longer decodes.
		"corrupt-char.pem": strings.Replace(good, lines[5], lines[5][:10]+"*"+lines[5][11:], 1),
		// Valid base64, DER cut short.
		"truncated-der.pem": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der[:700]})),
		// A line dropped: DER lengths no longer add up.
		"missing-line.pem": strings.Replace(good, lines[7]+"\n", "", 1),
		// DER with one byte flipped inside the modulus.
		"flipped-der.pem": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: flip(der, 300)})),
		// The base64 body alone, damaged.
		"bare-body.txt": strings.Join(lines[1:len(lines)-2], "\n")[:500] + "%%",
	}
	for name, content := range files {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadPrivateKey(path)
			if err == nil {
				t.Fatal("malformed key accepted")
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error does not name the file: %v", err)
			}
			assertNoKeyMaterial(t, err, []byte(content))
			assertNoKeyMaterial(t, err, der)
			t.Logf("%s: %v", name, err)
		})
	}
	if _, err := LoadPrivateKey(filepath.Join(dir, "absent.pem")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestKeyFilePermissionProblem(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "dkim.pem")
	if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		mode os.FileMode
		says string // "" = no warning
	}{
		{0o600, ""},
		{0o400, ""},
		{0o640, "readable by its group"},
		{0o644, "every user"},
		{0o604, "every user"},
		{0o620, "changed by users other"},
	}
	for _, tc := range tests {
		if err := os.Chmod(path, tc.mode); err != nil {
			t.Fatal(err)
		}
		got := KeyFilePermissionProblem(path)
		if tc.says == "" && got != "" || !strings.Contains(got, tc.says) {
			t.Errorf("mode %04o: %q, want it to say %q", tc.mode, got, tc.says)
		}
		if got != "" && !strings.Contains(got, "chmod") {
			t.Errorf("mode %04o: no chmod command in %q", tc.mode, got)
		}
	}
	if got := KeyFilePermissionProblem(filepath.Join(dir, "absent")); got != "" {
		t.Errorf("absent file: %q", got)
	}
}

// assertNoKeyMaterial fails if the error text holds any 12-character run
// of the input as text, as base64 or as hex.
func assertNoKeyMaterial(t *testing.T, err error, input []byte) {
	t.Helper()
	msg := err.Error()
	const run = 12
	for _, s := range []string{string(input), base64.StdEncoding.EncodeToString(input), hex.EncodeToString(input)} {
		for i := 0; i+run <= len(s); i++ {
			frag := s[i : i+run]
			if strings.TrimSpace(frag) != frag || strings.Contains(frag, "-----") || strings.Contains(frag, "PRIVATE") {
				continue // PEM armour is not key material
			}
			if strings.Contains(msg, frag) {
				t.Fatalf("error leaks input %q: %s", frag, msg)
			}
		}
	}
}

func pemBody(t *testing.T, path string) []byte {
	t.Helper()
	block, _ := pem.Decode([]byte(mustRead(t, path)))
	if block == nil {
		t.Fatalf("%s: no PEM", path)
	}
	return block.Bytes
}

func flip(b []byte, i int) []byte {
	out := append([]byte(nil), b...)
	out[i] ^= 0xff
	return out
}

func mustSPKI(t *testing.T, pub crypto.PublicKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// A DER key whose last byte happens to be white space (0x0a, 0x20, …) must
// not be trimmed: about 2% of random RSA keys end so.
func TestRawDEREndingInWhiteSpaceByte(t *testing.T) {
	for i := 0; i < 200; i++ {
		k, err := rsa.GenerateKey(rand.Reader, 1024)
		if err != nil {
			t.Fatal(err)
		}
		der := x509.MarshalPKCS1PrivateKey(k)
		if last := der[len(der)-1]; last != '\n' && last != ' ' && last != '\t' && last != '\r' && last != '\v' && last != '\f' {
			continue
		}
		if _, err := ParsePrivateKey(der); err != nil {
			t.Fatalf("DER ending in %#x: %v", der[len(der)-1], err)
		}
		return
	}
	t.Skip("no key ending in a white-space byte among 200 (p ≈ 0.99 of finding one)")
}
