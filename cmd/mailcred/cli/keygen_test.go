package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailcred/mailcred/scoring/dkim"
)

// pemBody returns the base64 lines of a PEM file: none of them may ever
// appear in output.
func pemBody(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(data), "\n") {
		if l != "" && !strings.HasPrefix(l, "-----") {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		t.Fatalf("%s holds no PEM body", path)
	}
	return lines
}

// assertNoKeyMaterial fails when a line of the key file's PEM body is in
// the outputs. An RSA private key holds the public modulus too, so a PEM
// line that is also part of the published p= (the base64 of both can
// line up) is public and skipped.
func assertNoKeyMaterial(t *testing.T, keyPath string, outputs ...string) {
	t.Helper()
	key, err := dkim.LoadPrivateKey(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	public, err := dkim.RecordForKey(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(outputs, "\n")
	checked := 0
	for _, l := range pemBody(t, keyPath) {
		if strings.Contains(public, l) {
			continue
		}
		checked++
		if strings.Contains(all, l) {
			t.Fatalf("private key material in the output: %q", l)
		}
	}
	if checked == 0 {
		t.Fatal("no private line of the PEM body to look for")
	}
	if strings.Contains(all, "PRIVATE KEY-----") {
		t.Fatal("a PEM private key header in the output")
	}
}

func TestKeygenWritesA0600KeyAndPrintsTheSetup(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"ed25519", []string{"--type", "ed25519"}, `s1._domainkey.example.com. IN TXT "v=DKIM1; k=ed25519; p=`},
		{"rsa 1024", []string{"--bits", "1024"}, `s1._domainkey.example.com. IN TXT "v=DKIM1; k=rsa; p=`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "s1.key")
			code, stdout, stderr := run(t, nil, append([]string{"keygen", "--domain", "example.com", "--selector", "s1", "--out", out}, tc.args...)...)
			if code != ExitOK {
				t.Fatalf("exit %d, stderr %s", code, stderr)
			}
			fi, err := os.Stat(out)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("mode %04o, want 0600", fi.Mode().Perm())
			}
			for _, w := range []string{tc.want, "Wrote a new private key to " + out + " (mode 0600)", "Name:  s1._domainkey",
				"dkim_private_key = " + out, "DKIM_PRIVATE_KEY = " + out, "KeyTable", "milter", "KeyFile                 " + out} {
				if !strings.Contains(stdout, w) {
					t.Errorf("%q missing from\n%s", w, stdout)
				}
			}
			assertNoKeyMaterial(t, out, stdout, stderr)
		})
	}
}

func TestKeygenRefusesToOverwrite(t *testing.T) {
	out := filepath.Join(t.TempDir(), "s1.key")
	args := []string{"keygen", "--domain", "example.com", "--selector", "s1", "--type", "ed25519", "--out", out}
	if code, _, stderr := run(t, nil, args...); code != ExitOK {
		t.Fatalf("first run: exit %d, %s", code, stderr)
	}
	before, _ := os.ReadFile(out)
	code, stdout, stderr := run(t, nil, args...)
	if code != ExitError || !strings.Contains(stderr, "already exists") || !strings.Contains(stderr, "--from-key") {
		t.Fatalf("second run: exit %d, stderr %q", code, stderr)
	}
	after, _ := os.ReadFile(out)
	if !bytes.Equal(before, after) {
		t.Fatal("the existing key was changed")
	}
	assertNoKeyMaterial(t, out, stdout, stderr)
}

func TestKeygenDefaultFileName(t *testing.T) {
	t.Chdir(t.TempDir())
	code, stdout, stderr := run(t, nil, "keygen", "--domain", "Example.COM.", "--selector", "mail", "--type", "ed25519")
	if code != ExitOK {
		t.Fatalf("exit %d, %s", code, stderr)
	}
	if _, err := os.Stat("mail.example.com.key.pem"); err != nil {
		t.Fatalf("default key file: %v\n%s", err, stdout)
	}
}

func TestKeygenJSON(t *testing.T) {
	out := filepath.Join(t.TempDir(), "ed.key")
	code, stdout, stderr := run(t, nil, "keygen", "--domain", "example.com", "--selector", "ed1", "--type", "ed25519", "--out", out, "--format", "json")
	if code != ExitOK {
		t.Fatalf("exit %d, %s", code, stderr)
	}
	var rep struct {
		KeyFile string `json:"key_file"`
		Created bool   `json:"created"`
		Key     string `json:"key"`
		Record  struct {
			Name, Type, Value string
			Strings           []string
		} `json:"record"`
		Zone string `json:"zone"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout)
	}
	if rep.KeyFile != out || !rep.Created || rep.Key != "Ed25519" || rep.Record.Name != "ed1._domainkey.example.com" ||
		rep.Record.Type != "TXT" || !strings.HasPrefix(rep.Record.Value, "v=DKIM1; k=ed25519; p=") || len(rep.Record.Strings) != 1 ||
		!strings.HasPrefix(rep.Zone, "ed1._domainkey.example.com. IN TXT") {
		t.Fatalf("JSON: %+v", rep)
	}
	assertNoKeyMaterial(t, out, stdout, stderr)
}

func TestKeygenFromExistingKey(t *testing.T) {
	code, stdout, stderr := run(t, nil, "keygen", "--domain", "example.com", "--selector", "s1", "--from-key", keyFile)
	if code != ExitOK {
		t.Fatalf("exit %d, %s", code, stderr)
	}
	// The record split in two strings: a 2048-bit key's value is over 255 bytes.
	for _, w := range []string{`s1._domainkey.example.com. IN TXT "v=DKIM1; k=rsa; p=`, "enter these 2 strings in order", "2048-bit RSA"} {
		if !strings.Contains(stdout, w) {
			t.Errorf("%q missing from\n%s", w, stdout)
		}
	}
	if strings.Contains(stdout, "Wrote a new private key") {
		t.Error("--from-key claims to have written a key")
	}
	assertNoKeyMaterial(t, keyFile, stdout, stderr)
}

func TestKeygenUsageErrors(t *testing.T) {
	dir := t.TempDir()
	for name, args := range map[string][]string{
		"no domain":            {"keygen", "--selector", "s1"},
		"no selector":          {"keygen", "--domain", "example.com"},
		"bad type":             {"keygen", "--domain", "example.com", "--selector", "s1", "--type", "dsa"},
		"weak bits":            {"keygen", "--domain", "example.com", "--selector", "s1", "--bits", "512"},
		"ed25519 with bits":    {"keygen", "--domain", "example.com", "--selector", "s1", "--type", "ed25519", "--bits", "2048"},
		"bad domain":           {"keygen", "--domain", "exa mple.com", "--selector", "s1", "--type", "ed25519", "--out", filepath.Join(dir, "k")},
		"from-key with --out":  {"keygen", "--domain", "example.com", "--selector", "s1", "--from-key", keyFile, "--out", filepath.Join(dir, "k")},
		"from-key nonexistent": {"keygen", "--domain", "example.com", "--selector", "s1", "--from-key", filepath.Join(dir, "none")},
		"out dir missing":      {"keygen", "--domain", "example.com", "--selector", "s1", "--type", "ed25519", "--out", filepath.Join(dir, "no", "k")},
	} {
		t.Run(name, func(t *testing.T) {
			code, _, stderr := run(t, nil, args...)
			if code != ExitError || !strings.HasPrefix(stderr, "mailcred: ") {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
		})
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a failed keygen left files: %v", entries)
	}
}
