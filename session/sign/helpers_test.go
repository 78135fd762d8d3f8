package sign

import (
	"bytes"
	"crypto"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailcred/mailcred/scoring/dkim"
	"github.com/mailcred/mailcred/session/compose"
)

// testKey is one private key of the test data.
type testKey struct {
	file    string // under testdata/
	typ     string // "rsa" or "ed25519"
	bits    int
	format  string // what the file holds, for the test name
	tooWeak bool
}

// keys is every private key in testdata: the shared DKIM keys, dkimpy's
// and mailauth's, in PKCS#1, PKCS#8 and bare-seed form.
var keys = []testKey{
	{"keys/rfc6376-appC-rsa1024-private.pem", "rsa", 1024, "PKCS#1", false},
	{"keys/rfc8463-rsa1024-private.pem", "rsa", 1024, "PKCS#1", false},
	{"keys/rsa2048-private.pem", "rsa", 2048, "PKCS#8", false},
	{"keys/generated-rsa4096-pkcs1.pem", "rsa", 4096, "PKCS#1", false},
	{"keys/weak-rsa512-private.pem", "rsa", 512, "PKCS#8", true},
	{"keys/rfc8463-ed25519-seed.b64", "ed25519", 256, "seed", false},
	{"dkimpy/1024_testkey.key", "rsa", 1024, "PKCS#1", false},
	{"dkimpy/2048_testkey.key", "rsa", 2048, "PKCS#1", false},
	{"dkimpy/2048_testkey_PKCS8.key", "rsa", 2048, "PKCS#8", false},
	{"dkimpy/test.private", "rsa", 1024, "PKCS#1", false},
	{"dkimpy/ed25519test.key", "ed25519", 256, "seed", false},
	{"dkimpy/rfc8032_7_1.key", "ed25519", 256, "seed", false},
	{"mailauth/rfc8463-private-ed25519.key", "ed25519", 256, "seed", false},
}

// Keys the single-key tests use.
const (
	rsa1024Key      = "keys/rfc6376-appC-rsa1024-private.pem"
	otherRSA1024Key = "keys/rfc8463-rsa1024-private.pem"
	rsa2048Key      = "keys/rsa2048-private.pem"
	ed25519Key      = "keys/rfc8463-ed25519-seed.b64"
)

func loadKey(t testing.TB, file string) crypto.Signer {
	t.Helper()
	k, err := dkim.LoadPrivateKey(filepath.Join("testdata", file))
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return k
}

// message renders a typical draft through compose, as the session does.
func message(t testing.TB) []byte {
	t.Helper()
	m := compose.Message{
		From:    mail.Address{Name: "Alice Example", Address: "alice@example.com"},
		To:      []mail.Address{{Name: "Bob", Address: "bob@example.org"}},
		Cc:      []mail.Address{{Address: "carol@example.org"}},
		Subject: "Grüße: DKIM test",
		Body:    "Hello Bob,\n\nthis line is long enough to be folded by quoted-printable: " + strings.Repeat("abc ", 30) + "\nBye.\n",
	}
	out, err := m.Render(time.Now(), "")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// readCRLF reads a test file and turns LF endings into CRLF (dkimpy and
// mailauth keep theirs with LF).
func readCRLF(t testing.TB, file string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
	return bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n"))
}

func readText(t testing.TB, file string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func recordFor(t testing.TB, key crypto.Signer) string {
	t.Helper()
	rec, err := dkim.RecordForKey(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	return rec
}
