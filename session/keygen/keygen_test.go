package keygen

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mailcred/mailcred/scoring/dkim"
	"github.com/mailcred/mailcred/scoring/dnstest"
	"github.com/mailcred/mailcred/scoring/dnsx"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func TestRoundTrip(t *testing.T) {
	cases := []struct {
		opts    Options
		pemType string
		typ     dkim.KeyType
		bits    int
	}{
		{Options{Bits: 1024}, "RSA PRIVATE KEY", dkim.KeyRSA, 1024},
		{Options{}, "RSA PRIVATE KEY", dkim.KeyRSA, 2048},
		{Options{Type: dkim.KeyEd25519}, "PRIVATE KEY", dkim.KeyEd25519, 256},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s-%d", c.typ, c.bits), func(t *testing.T) {
			key, err := Generate(c.opts)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "dkim.key")
			if err := WriteKey(path, key); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(path)
			if err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("mode %v, %v", fi.Mode().Perm(), err)
			}
			if p := dkim.KeyFilePermissionProblem(path); p != "" {
				t.Errorf("permission problem on a fresh key: %s", p)
			}
			written, _ := os.ReadFile(path)
			if block, _ := pem.Decode(written); block == nil || block.Type != c.pemType {
				t.Fatalf("PEM type: want %s in\n%s", c.pemType, firstLine(written))
			}

			// O_EXCL: a second write is refused and the first key stays.
			other, _ := Generate(c.opts)
			err = WriteKey(path, other)
			if !errors.Is(err, fs.ErrExist) || !strings.Contains(err.Error(), "never overwrites") {
				t.Fatalf("overwrite: %v", err)
			}
			if again, _ := os.ReadFile(path); !bytes.Equal(again, written) {
				t.Fatal("the existing key was changed")
			}

			loaded, err := dkim.LoadPrivateKey(path)
			if err != nil {
				t.Fatal(err)
			}
			if !samePublic(loaded.Public(), key.Public()) {
				t.Fatal("loaded key differs")
			}
			s, err := Instructions("Example.COM.", "mail", path, loaded.Public())
			if err != nil {
				t.Fatal(err)
			}
			rec, findings, err := dkim.ParseKeyRecord(s.Record.Value)
			if err != nil {
				t.Fatalf("record %q: %v", s.Record.Value, err)
			}
			for _, f := range findings {
				if f.Severity == dkim.Problem {
					t.Errorf("finding: %s", f)
				}
			}
			if rec.KeyType != c.typ || rec.Bits != c.bits || !samePublic(rec.PublicKey, key.Public()) {
				t.Fatalf("record %+v does not match the key", rec)
			}
			if s.Record.Name != "mail._domainkey.example.com" || strings.Join(s.Record.Strings, "") != s.Record.Value {
				t.Errorf("record %+v", s.Record)
			}
			for _, str := range s.Record.Strings {
				if len(str) > 255 {
					t.Errorf("string of %d bytes", len(str))
				}
			}
		})
	}
}

func TestZoneLineServesTheRecord(t *testing.T) {
	for _, file := range []string{"rsa2048-private.pem", "rfc8463-ed25519-seed.b64"} {
		key := fixedKey(t, file)
		s, err := Instructions("example.com", "mail", "/etc/dkim/mail.key", key.Public())
		if err != nil {
			t.Fatal(err)
		}
		srv, err := dnstest.Start(s.Zone)
		if err != nil {
			t.Fatalf("zone line does not parse: %v\n%s", err, s.Zone)
		}
		defer srv.Close()
		r, err := dnsx.New(dnsx.Config{Servers: []string{srv.Addr}, Timeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		got, err := r.LookupTXTFunc(context.Background())(s.Record.Name)
		if err != nil || len(got) != 1 || got[0] != s.Record.Value {
			t.Fatalf("%s: served %q, %v", file, got, err)
		}
	}
}

func TestGenerateRefusals(t *testing.T) {
	for _, o := range []Options{
		{Bits: 512}, {Bits: 1023}, {Bits: 8192},
		{Type: dkim.KeyEd25519, Bits: 2048},
		{Type: "dsa"},
	} {
		if k, err := Generate(o); err == nil || k != nil {
			t.Errorf("%+v: generated", o)
		}
	}
}

func TestWriteKeyErrors(t *testing.T) {
	key, _ := Generate(Options{Type: dkim.KeyEd25519})
	if err := WriteKey(filepath.Join(t.TempDir(), "missing", "k.pem"), key); err == nil {
		t.Error("wrote into a missing directory")
	}
	if err := WriteKey(filepath.Join(t.TempDir(), "k.pem"), nil); err == nil {
		t.Error("wrote a nil key")
	}
}

func TestInstructionsRefusals(t *testing.T) {
	pub := fixedKey(t, "rfc8463-ed25519-seed.b64").Public()
	cases := []struct{ domain, selector, path string }{
		{"", "mail", "/k"},
		{"exa mple.com", "mail", "/k"},
		{"bücher.example", "mail", "/k"},
		{"example.com", "", "/k"},
		{"example.com", "ma/il", "/k"},
		{"example.com", "-mail", "/k"},
		{"example.com", "mail", ""},
		{"example.com", "mail", "/etc/dkim/$key"},
		{"example.com", "mail", "/etc/my keys/k.pem"},
		{"example.com", "mail", "/etc/k\n.pem"},
	}
	for _, c := range cases {
		if _, err := Instructions(c.domain, c.selector, c.path, pub); err == nil {
			t.Errorf("%q %q %q accepted", c.domain, c.selector, c.path)
		}
	}
	if _, err := Instructions("example.com", "mail", "/k", "not a key"); err == nil {
		t.Error("a string accepted as a key")
	}
}

func TestInstructionsContent(t *testing.T) {
	s, err := Instructions("example.com", "mail", "/etc/exim4/dkim/mail.key", fixedKey(t, "rsa2048-private.pem"))
	if err != nil {
		t.Fatal(err)
	}
	text := s.Text()
	for _, want := range []string{
		// The story's four exim lines and its check.
		"dkim_domain = example.com", "dkim_selector = mail", "dkim_private_key = /etc/exim4/dkim/mail.key", "dkim_canon = relaxed",
		"/etc/exim4/conf.d/transport/30_exim4-config_remote_smtp", "update-exim4.conf", "exim -bP transports | grep dkim",
		"DKIM_DOMAIN = example.com", "DKIM_SELECTOR = mail", "DKIM_PRIVATE_KEY = /etc/exim4/dkim/mail.key", "DKIM_CANON = relaxed",
		"/etc/exim4/exim4.conf.localmacros",
		"KeyFile                 /etc/exim4/dkim/mail.key", "smtpd_milters = inet:localhost:8891", "non_smtpd_milters = $smtpd_milters",
		"KeyTable", "SigningTable", "opendkim-testkey -d example.com -s mail",
		"mail._domainkey.example.com. IN TXT \"v=DKIM1; k=rsa; p=",
		"Name:  mail._domainkey",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("instructions lack %q", want)
		}
	}
	if len(s.Record.Strings) != 2 {
		t.Errorf("2048-bit record in %d strings", len(s.Record.Strings))
	}
}

func TestNoKeyMaterialInInstructions(t *testing.T) {
	for _, file := range []string{"rsa2048-private.pem", "rfc8463-rsa1024-private.pem", "rfc8463-ed25519-seed.b64"} {
		key := fixedKey(t, file)
		s, err := Instructions("example.com", "mail", "/etc/dkim/mail.key", key) // the private key, on purpose
		if err != nil {
			t.Fatal(err)
		}
		all := s.Text() + fmt.Sprintf("%+v %#v", *s, *s)
		// The private numbers, in the encodings a careless dump would use.
		// (The key file as a whole also holds the public modulus, which the
		// record rightly shows.)
		var secrets [][]byte
		switch k := key.(type) {
		case *rsa.PrivateKey:
			secrets = append(secrets, k.D.Bytes(), k.Precomputed.Dp.Bytes(), k.Precomputed.Qinv.Bytes())
			for _, p := range k.Primes {
				secrets = append(secrets, p.Bytes())
			}
		case ed25519.PrivateKey:
			secrets = append(secrets, k.Seed())
		}
		for _, sec := range secrets {
			for _, enc := range []string{hex.EncodeToString(sec), base64.StdEncoding.EncodeToString(sec), new(big.Int).SetBytes(sec).String()} {
				if strings.Contains(all, enc[:20]) {
					t.Fatalf("%s: private key material %q in the instructions", file, enc[:20])
				}
			}
		}
		der, _ := x509.MarshalPKCS8PrivateKey(key)
		tail := base64.StdEncoding.EncodeToString(der[len(der)-40:])
		if strings.Contains(all, tail[:20]) {
			t.Fatalf("%s: private key DER in the instructions", file)
		}
	}
}

// TestGolden pins the whole text for fixed keys; review a diff like code.
func TestGolden(t *testing.T) {
	for _, c := range []struct{ key, golden string }{
		{"rsa2048-private.pem", "rsa2048.golden"},
		{"rfc8463-rsa1024-private.pem", "rsa1024.golden"},
		{"rfc8463-ed25519-seed.b64", "ed25519.golden"},
	} {
		t.Run(c.golden, func(t *testing.T) {
			s, err := Instructions("example.com", "mail", "/etc/exim4/dkim/mail.example.com.key", fixedKey(t, c.key).Public())
			if err != nil {
				t.Fatal(err)
			}
			got := s.Text()
			path := filepath.Join("testdata", c.golden)
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run Golden -update)", err)
			}
			if got != string(want) {
				t.Errorf("text differs from %s (go test -run Golden -update, then review):\n%s", path, got)
			}
		})
	}
}

// Keys made by opendkim-genkey load, and our record for them carries the
// same p= as the one opendkim-genkey wrote.
func TestOpendkimGenkeyAgrees(t *testing.T) {
	bin, err := exec.LookPath("opendkim-genkey")
	if err != nil {
		t.Skip("opendkim-genkey not found; install with: apt-get install -y opendkim-tools")
	}
	dir := t.TempDir()
	if out, err := peer(t, bin, "-b", "2048", "-d", "example.com", "-s", "mail", "-D", dir).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	txt, err := os.ReadFile(filepath.Join(dir, "mail.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var joined strings.Builder
	for _, m := range regexp.MustCompile(`"([^"]*)"`).FindAllStringSubmatch(string(txt), -1) {
		joined.WriteString(m[1])
	}
	theirs := regexp.MustCompile(`p=([A-Za-z0-9+/=]+)`).FindStringSubmatch(joined.String())
	key, err := dkim.LoadPrivateKey(filepath.Join(dir, "mail.private"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Instructions("example.com", "mail", filepath.Join(dir, "mail.private"), key.Public())
	if err != nil {
		t.Fatal(err)
	}
	ours := regexp.MustCompile(`p=([A-Za-z0-9+/=]+)`).FindStringSubmatch(s.Record.Value)
	if theirs == nil || ours == nil || theirs[1] != ours[1] {
		t.Fatalf("p= differs:\nopendkim-genkey %v\nmailcred        %v", theirs, ours)
	}
}

// opendkim-testkey checks our key file against our record, served by the
// in-process DNS server through libunbound's forwarder configuration.
func TestOpendkimTestkeyAcceptsOurKeyAndRecord(t *testing.T) {
	bin, err := exec.LookPath("opendkim-testkey")
	if err != nil {
		t.Skip("opendkim-testkey not found; install with: apt-get install -y opendkim-tools")
	}
	for _, opts := range []Options{{Bits: 2048}} {
		key, err := Generate(opts)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		path := filepath.Join(dir, "mail.key")
		if err := WriteKey(path, key); err != nil {
			t.Fatal(err)
		}
		s, err := Instructions("example.com", "mail", path, key.Public())
		if err != nil {
			t.Fatal(err)
		}
		srv, err := dnstest.Start("example.com. 300 IN SOA ns.example.com. h.example.com. 1 7200 3600 1209600 300\n" + s.Zone)
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		host, port, _ := strings.Cut(srv.Addr, ":")
		unbound := filepath.Join(dir, "unbound.conf")
		os.WriteFile(unbound, []byte(fmt.Sprintf("server:\n  do-not-query-localhost: no\n  domain-insecure: \"example.com\"\n"+
			"forward-zone:\n  name: \".\"\n  forward-addr: %s@%s\n", host, port)), 0o600)
		conf := filepath.Join(dir, "opendkim.conf")
		os.WriteFile(conf, []byte("ResolverConfiguration "+unbound+"\n"), 0o600)
		out, err := peer(t, bin, "-x", conf, "-d", "example.com", "-s", "mail", "-k", path, "-vvv").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "key OK") {
			t.Fatalf("opendkim-testkey: %v\n%s", err, out)
		}
		t.Logf("opendkim-testkey: %s", strings.TrimSpace(lastLine(out)))
	}
}

func fixedKey(t *testing.T, file string) crypto.Signer {
	t.Helper()
	k, err := dkim.LoadPrivateKey(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func samePublic(a, b crypto.PublicKey) bool {
	da, err1 := x509.MarshalPKIXPublicKey(a)
	db, err2 := x509.MarshalPKIXPublicKey(b)
	return err1 == nil && err2 == nil && bytes.Equal(da, db)
}

func firstLine(b []byte) string {
	line, _, _ := strings.Cut(string(b), "\n")
	return line
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}

// peer runs an external tool, bounded in time so a stuck one fails the
// test instead of hanging it.
func peer(t *testing.T, name string, args ...string) *exec.Cmd {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return exec.CommandContext(ctx, name, args...)
}
