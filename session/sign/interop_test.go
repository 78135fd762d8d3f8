package sign

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dkim"
)

// Interop: signatures made here must verify in the verifiers receivers
// run. Each peer gets a manifest of (message file, key record split in
// 255-byte strings) and answers one verdict per line; DNS is replaced by
// each library's own hook (dkimpy's dnsfunc, mailauth's resolver), so no
// query leaves the machine.

const dkimpyInstall = "apt-get install -y python3-dkim python3-nacl"

// dkimpyScript verifies each manifest entry with dkim.verify, serving the
// record through dnsfunc, the library's supported hook.
const dkimpyScript = `
import json, sys, dkim
for e in json.load(open(sys.argv[1])):
    rec = "".join(e["record"]).encode()
    msg = open(e["file"], "rb").read()
    ok = dkim.verify(msg, dnsfunc=lambda name, timeout=5: rec)
    print("pass" if ok else "fail")
`

// dkimpySignScript signs a message with dkimpy, for the reverse direction.
const dkimpySignScript = `
import sys, dkim
msg = open(sys.argv[1], "rb").read()
key = open(sys.argv[2], "rb").read()
alg = sys.argv[3].encode()
sig = dkim.sign(msg, b"py", b"example.com", key, canonicalize=(b"relaxed", b"relaxed"), signature_algorithm=alg,
    include_headers=[b"from", b"to", b"subject", b"date", b"message-id"])
sys.stdout.buffer.write(sig + msg)
`

// With node -e, process.argv is [node, args...].
const mailauthScript = `
const path = require("path");
const fs = require("fs");
const { dkimVerify } = require(path.join(process.argv[1], "node_modules/mailauth/lib/dkim/verify"));
(async () => {
  for (const e of JSON.parse(fs.readFileSync(process.argv[2], "utf8"))) {
    const res = await dkimVerify(fs.readFileSync(e.file), { resolver: async (name, type) => [e.record] });
    console.log(res.results.map(r => r.status.result + (r.status.comment ? " (" + r.status.comment + ")" : "")).join(" | "));
  }
})().catch(err => { console.error(err); process.exit(2); });
`

// peer runs an external verifier, bounded in time so a stuck peer fails
// the test instead of hanging it.
func peer(t *testing.T, name string, args ...string) *exec.Cmd {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return exec.CommandContext(ctx, name, args...)
}

type manifestEntry struct {
	File   string   `json:"file"`
	Record []string `json:"record"`
	name   string
}

// signedForPeers signs a composed message with every usable key, relaxed
// and simple, and writes the files and the manifest for a peer.
func signedForPeers(t *testing.T) (string, []manifestEntry) {
	t.Helper()
	dir := t.TempDir()
	msg := message(t)
	var entries []manifestEntry
	for i, k := range keys {
		if k.tooWeak {
			continue
		}
		key := loadKey(t, k.file)
		for _, canon := range []Canon{Relaxed, Simple} {
			signed, _, err := Sign(msg, Options{Domain: "example.com", Selector: "peer", Key: key, Header: canon, Body: canon})
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(dir, fmt.Sprintf("%02d-%s.eml", i, canon))
			if err := os.WriteFile(file, signed, 0o600); err != nil {
				t.Fatal(err)
			}
			entries = append(entries, manifestEntry{File: file, Record: scoring.SplitTXT(recordFor(t, key)),
				name: fmt.Sprintf("%s (%s %d, %s)", k.file, k.typ, k.bits, canon)})
		}
	}
	manifest, _ := json.Marshal(entries)
	path := filepath.Join(dir, "manifest.json")
	if err := os.WriteFile(path, manifest, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, entries
}

// checkVerdicts reads one verdict line per entry; each must start with "pass".
func checkVerdicts(t *testing.T, peer string, out []byte, entries []manifestEntry) {
	t.Helper()
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) != len(entries) {
		t.Fatalf("%s answered %d lines for %d messages:\n%s", peer, len(lines), len(entries), out)
	}
	ok := 0
	for i, e := range entries {
		if strings.HasPrefix(lines[i], "pass") {
			ok++
		} else {
			t.Errorf("%s: %s: %s", peer, e.name, lines[i])
		}
	}
	t.Logf("%s: %d/%d signatures made by mailcred verify", peer, ok, len(entries))
}

// dkimpyPython returns the interpreter that has the dkim module: the one
// dkimverify runs under, or python3.
func dkimpyPython(t *testing.T) string {
	t.Helper()
	var candidates []string
	if p, err := exec.LookPath("dkimverify"); err == nil {
		if b, err := os.ReadFile(p); err == nil {
			first, _, _ := strings.Cut(string(b), "\n")
			if strings.HasPrefix(first, "#!") {
				candidates = append(candidates, strings.Fields(strings.TrimPrefix(first, "#!"))...)
			}
		}
	}
	candidates = append(candidates, "/usr/bin/python3", "python3")
	for _, c := range candidates {
		if !strings.Contains(c, "python") {
			continue
		}
		if peer(t, c, "-c", "import dkim, nacl").Run() == nil {
			return c
		}
	}
	t.Skipf("python3-dkim (dkimpy) with PyNaCl not found; install with: %s", dkimpyInstall)
	return ""
}

func TestInteropDkimpyVerifiesOurSignatures(t *testing.T) {
	py := dkimpyPython(t)
	manifest, entries := signedForPeers(t)
	out, err := peer(t, py, "-c", dkimpyScript, manifest).CombinedOutput()
	if err != nil {
		t.Fatalf("dkimpy: %v\n%s", err, out)
	}
	checkVerdicts(t, "dkimpy", out, entries)
}

func TestInteropWeVerifyDkimpySignatures(t *testing.T) {
	py := dkimpyPython(t)
	msg := message(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "in.eml")
	if err := os.WriteFile(in, msg, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ key, alg string }{
		{"dkimpy/test.private", "rsa-sha256"},
		{"dkimpy/2048_testkey.key", "rsa-sha256"},
		{"dkimpy/ed25519test.key", "ed25519-sha256"},
	} {
		out, err := peer(t, py, "-c", dkimpySignScript, in, filepath.Join("testdata", c.key), c.alg).Output()
		if err != nil {
			t.Fatalf("dkimpy sign %s: %v", c.key, err)
		}
		if err := dkim.VerifyOffline(out, loadKey(t, c.key).Public()); err != nil {
			t.Errorf("dkimpy %s signature with %s: %v", c.alg, c.key, err)
		}
	}
}

func TestInteropMailauthVerifiesOurSignatures(t *testing.T) {
	dir := os.Getenv("MAILCRED_NPM_DIR")
	if dir == "" {
		dir = "/tmp/mailcred-npm"
	}
	install := fmt.Sprintf("mkdir -p %s && npm install --prefix %s mailauth", dir, dir)
	if _, err := exec.LookPath("node"); err != nil {
		t.Skipf("node not found; install with: apt-get install -y nodejs npm && %s", install)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "mailauth", "lib", "dkim", "verify.js")); err != nil {
		t.Skipf("mailauth not found in %s (set MAILCRED_NPM_DIR); install with: %s", dir, install)
	}
	manifest, entries := signedForPeers(t)
	out, err := peer(t, "node", "-e", mailauthScript, dir, manifest).CombinedOutput()
	if err != nil {
		t.Fatalf("mailauth: %v\n%s", err, out)
	}
	checkVerdicts(t, "mailauth", out, entries)
}
