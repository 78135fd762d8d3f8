package dkim

import (
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// want is what a key record must parse to. The zero value of err means
// success; worst is the highest finding severity expected (Note when none).
type want struct {
	keyType  KeyType
	bits     int
	enc      KeyEncoding
	err      error
	revoked  bool
	testing  bool
	strict   bool
	noSHA256 bool
	notEmail bool
	worst    Severity
	unknown  string // a tag reported as unknown
}

var (
	rsa1024 = want{keyType: KeyRSA, bits: 1024, enc: EncodingSPKI, worst: Warning}
	rsa2048 = want{keyType: KeyRSA, bits: 2048, enc: EncodingSPKI, worst: Note}
	ed      = want{keyType: KeyEd25519, bits: 256, enc: EncodingRaw, worst: Note}
)

func with(w want, f func(*want)) want { f(&w); return w }

// checkRecord parses txt and compares it with w.
func checkRecord(t *testing.T, txt string, w want) *KeyRecord {
	t.Helper()
	rec, findings, err := ParseKeyRecord(txt)
	if rec == nil {
		t.Fatalf("nil record (err %v)", err)
	}
	switch {
	case w.err == nil && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case w.err != nil && !errors.Is(err, w.err):
		t.Fatalf("error = %v, want %v", err, w.err)
	}
	if w.err == nil {
		if rec.KeyType != w.keyType || rec.Bits != w.bits || rec.Encoding != w.enc {
			t.Errorf("key = %s/%d/%s, want %s/%d/%s", rec.KeyType, rec.Bits, rec.Encoding, w.keyType, w.bits, w.enc)
		}
		if !w.revoked && rec.PublicKey == nil {
			t.Errorf("no public key decoded")
		}
	}
	if rec.Revoked != w.revoked || rec.Testing() != w.testing || rec.Strict() != w.strict ||
		rec.AllowsSHA256() == w.noSHA256 || rec.ForEmail() == w.notEmail {
		t.Errorf("flags revoked=%v testing=%v strict=%v sha256=%v email=%v, want %+v",
			rec.Revoked, rec.Testing(), rec.Strict(), rec.AllowsSHA256(), rec.ForEmail(), w)
	}
	if w.err == nil {
		worst := Note
		for _, f := range findings {
			worst = max(worst, f.Severity)
		}
		if worst != w.worst {
			t.Errorf("worst finding = %s, want %s: %v", worst, w.worst, findings)
		}
	}
	if w.unknown != "" && !slices.ContainsFunc(findings, func(f Finding) bool { return f.Tag == w.unknown }) {
		t.Errorf("no finding about unknown tag %s=: %v", w.unknown, findings)
	}
	return rec
}

// casesWant says what each key record of testdata/cases.json (copied from
// shared/testdata/dkim) parses to, by "case-id/selector".
var casesWant = map[string]want{
	"v02-raw-pkcs1-rsapublickey/newengland":             with(rsa1024, func(w *want) { w.enc = EncodingPKCS1 }),
	"v03-rfc8463-dual-ed25519-rsa/brisbane":             ed,
	"v05-gomsgauth-sign-ed25519-deterministic/brisbane": ed,
	"g08-weak-512-bit-key/weak":                         with(rsa1024, func(w *want) { w.bits, w.worst = 512, Problem }),
	"g09-key-revoked/brisbane":                          {keyType: KeyRSA, revoked: true, worst: Problem},
	"g11-key-testing-flag/brisbane":                     with(rsa1024, func(w *want) { w.testing = true }),
	"g12-key-t-s-subdomain-i/brisbane":                  with(rsa1024, func(w *want) { w.strict = true }),
	"g13-key-h-sha1-only/brisbane":                      with(rsa1024, func(w *want) { w.noSHA256, w.worst = true, Problem }),
	"g14-key-type-mismatch/brisbane":                    {err: ErrKeyMismatch},
	"g21-key-bad-version/brisbane":                      {err: ErrVersion},
	"g22-key-unknown-tags-ignored/brisbane":             with(rsa1024, func(w *want) { w.unknown = "yy" }),
	"g23-2048-key-split-txt/big":                        rsa2048,
	"g24-ed25519-relaxed/brisbane":                      ed,
	"g27-key-service-type-not-email/brisbane":           with(rsa1024, func(w *want) { w.notEmail, w.worst = true, Problem }),
}

func TestCasesJSONKeyRecords(t *testing.T) {
	b, err := os.ReadFile("testdata/cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Cases []struct {
			ID  string                     `json:"id"`
			DNS map[string]json.RawMessage `json:"dns"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(b, &file); err != nil {
		t.Fatal(err)
	}
	parsed, ok, split, servfail := 0, 0, 0, 0
	for _, c := range file.Cases {
		for name, raw := range c.DNS {
			var rrs [][]string
			if err := json.Unmarshal(raw, &rrs); err != nil {
				servfail++ // "SERVFAIL": the checks test covers it
				continue
			}
			selector, _, _ := strings.Cut(name, ".")
			key := c.ID + "/" + selector
			w, listed := casesWant[key]
			if !listed {
				w = rsa1024
			}
			for _, rr := range rrs {
				if len(rr) > 1 {
					split++
				}
				if t.Run(key, func(t *testing.T) { checkRecord(t, strings.Join(rr, ""), w) }) {
					ok++
				}
				parsed++
			}
		}
	}
	t.Logf("cases.json key records: %d/%d as expected (%d split in several strings; %d SERVFAIL entries left to the checks test; %d cases)",
		ok, parsed, split, servfail, len(file.Cases))
	if parsed < 38 {
		t.Errorf("only %d records found in cases.json", parsed)
	}
}

// fileWant covers every key record file kept from dkimpy, the shared keys/
// directory and mailauth.
var fileWant = map[string]want{
	"dkimpy/test.txt":                            rsa1024,
	"dkimpy/test2.txt":                           rsa1024, // no k=: rsa by default
	"dkimpy/badversion.txt":                      {err: ErrVersion},
	"dkimpy/badk.txt":                            {err: ErrKeyType},
	"dkimpy/test_bad.txt":                        {err: ErrKeyData},
	"dkimpy/test_tlsrpt.txt":                     with(rsa1024, func(w *want) { w.notEmail, w.worst = true, Problem }),
	"dkimpy/1024_testkey_wo_markers.pub.txt":     rsa1024,
	"dkimpy/1024_testkey_wo_markers.pub.rsa.txt": with(rsa1024, func(w *want) { w.enc = EncodingPKCS1 }),
	"dkimpy/2048_testkey_wo_markers.pub.txt":     rsa2048,
	"dkimpy/2048_testkey_wo_markers.pub.rsa.txt": with(rsa2048, func(w *want) { w.enc = EncodingPKCS1 }),
	"dkimpy/2048_testkey_PKCS8.key.pub.txt":      rsa2048,
	"dkimpy/ed25519test.dns":                     ed, // no v=: optional
	"dkimpy/eximtest.dns":                        ed,
	"keys/rfc6376-appC-rsa1024-public.txt":       rsa1024,
	"keys/rfc8463-ed25519-public.txt":            ed,
	"keys/rfc8463-rsa1024-public.txt":            rsa1024,
	"keys/rsa2048-public.txt":                    rsa2048,
	"keys/weak-rsa512-public.txt":                with(rsa1024, func(w *want) { w.bits, w.worst = 512, Problem }),
}

func TestKeyRecordFiles(t *testing.T) {
	counts, oks := map[string]int{}, map[string]int{}
	for file, w := range fileWant {
		passed := t.Run(file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", file))
			if err != nil {
				t.Fatal(err)
			}
			checkRecord(t, string(b), w)
		})
		counts[filepath.Dir(file)]++
		if passed {
			oks[filepath.Dir(file)]++
		}
	}
	// The g= tag of dkimpy's records is RFC 4871's; it must be a note only.
	rec, findings, _ := ParseKeyRecord(mustRead(t, "testdata/dkimpy/test.txt"))
	if !slices.ContainsFunc(findings, func(f Finding) bool { return f.Tag == "g" && f.Severity == Note }) || rec.Version != "DKIM1" {
		t.Errorf("g= not noted: %v", findings)
	}

	// mailauth's dns.json: TXT records split in several strings.
	var dnsJSON map[string]map[string][][]string
	if err := json.Unmarshal([]byte(mustRead(t, "testdata/mailauth/rfc8463-dns.json")), &dnsJSON); err != nil {
		t.Fatal(err)
	}
	for name, types := range dnsJSON {
		if !strings.Contains(name, "._domainkey.") {
			continue
		}
		for _, rr := range types["TXT"] {
			w := rsa1024
			if strings.HasPrefix(name, "brisbane.") {
				w = ed
			}
			if t.Run("mailauth/"+name, func(t *testing.T) { checkRecord(t, strings.Join(rr, ""), w) }) {
				oks["mailauth"]++
			}
			counts["mailauth"]++
		}
	}
	for _, src := range []string{"dkimpy", "keys", "mailauth"} {
		t.Logf("%s key records: %d/%d as expected", src, oks[src], counts[src])
	}
}

// The two encodings of one key (dkimpy test_dkim_rsavariants) must give
// the same key.
func TestRSAPublicKeyEncodingsAgree(t *testing.T) {
	for _, size := range []string{"1024", "2048"} {
		spki, _, err1 := ParseKeyRecord(mustRead(t, "testdata/dkimpy/"+size+"_testkey_wo_markers.pub.txt"))
		pkcs1, _, err2 := ParseKeyRecord(mustRead(t, "testdata/dkimpy/"+size+"_testkey_wo_markers.pub.rsa.txt"))
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if !samePublicKey(spki.PublicKey, pkcs1.PublicKey) {
			t.Errorf("%s: SPKI and RSAPublicKey records hold different keys", size)
		}
	}
}

func TestParseKeyRecordEdges(t *testing.T) {
	p1024 := strings.TrimPrefix(mustRead(t, "testdata/keys/rfc6376-appC-rsa1024-public.txt"), "v=DKIM1; p=")
	p1024 = strings.TrimSpace(p1024)
	edP := "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
	edSPKI := "MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
	tests := []struct {
		name string
		txt  string
		want want
	}{
		{"v= absent is fine", "p=" + p1024, rsa1024},
		{"trailing semicolon", "v=DKIM1; p=" + p1024 + ";", rsa1024},
		{"no spaces", "v=DKIM1;k=rsa;p=" + p1024, rsa1024},
		{"p= before k= still decodes by k=", "v=DKIM1; p=" + edP + "; k=ed25519", ed},
		{"white space inside p= ignored", "v=DKIM1; p=" + p1024[:40] + " \t " + p1024[40:], rsa1024},
		{"empty tag-spec noted", "v=DKIM1;; p=" + p1024, rsa1024},
		{"s=email", "v=DKIM1; s=email; p=" + p1024, rsa1024},
		{"s=* and tlsrpt", "v=DKIM1; s=*:tlsrpt; p=" + p1024, rsa1024},
		{"h=sha256 only", "v=DKIM1; h=sha256; p=" + p1024, rsa1024},
		{"h=sha1:sha256 notes sha1", "v=DKIM1; h=sha1:sha256; p=" + p1024, rsa1024},
		{"unknown t= flag ignored", "v=DKIM1; t=x:y; p=" + p1024, with(rsa1024, func(w *want) { w.testing = true })},
		{"n= notes", "v=DKIM1; n=hello world; p=" + p1024, rsa1024},
		{"unknown tag", "v=DKIM1; foo_1=bar; p=" + p1024, with(rsa1024, func(w *want) { w.unknown = "foo_1" })},
		{"revoked with spaces", "v=DKIM1; p= ", want{keyType: KeyRSA, revoked: true, worst: Problem}},
		{"empty h= forbids everything", "v=DKIM1; h=; p=" + p1024, with(rsa1024, func(w *want) { w.noSHA256, w.worst = true, Problem })},

		{"duplicate tag", "v=DKIM1; p=" + p1024 + "; p=" + p1024, want{err: ErrDuplicateTag}},
		{"duplicate k", "v=DKIM1; k=rsa; k=rsa; p=" + p1024, want{err: ErrDuplicateTag}},
		{"v= not first", "k=rsa; v=DKIM1; p=" + p1024, want{err: ErrVersion}},
		{"v=DKIM1 lower case", "v=dkim1; p=" + p1024, want{err: ErrVersion}},
		{"no p=", "v=DKIM1; k=rsa", want{err: ErrNoKeyData}},
		{"empty record", "", want{err: ErrNoKeyData}},
		{"spf record at the name", "v=spf1 -all", want{err: ErrVersion}},
		{"no equals sign", "v=DKIM1; rsa; p=" + p1024, want{err: ErrSyntax}},
		{"bad tag name", "v=DKIM1; 1k=rsa; p=" + p1024, want{err: ErrSyntax}},
		{"k=RSA upper case", "v=DKIM1; k=RSA; p=" + p1024, want{err: ErrKeyType}},
		{"k=ecdsa", "v=DKIM1; k=ecdsa; p=" + p1024, want{err: ErrKeyType}},
		{"p= not base64", "v=DKIM1; p=!!!!", want{err: ErrKeyData}},
		{"p= without padding", "v=DKIM1; k=ed25519; p=" + strings.TrimRight(edP, "="), want{err: ErrKeyData}},
		{"p= garbage base64", "v=DKIM1; p=AAAA", want{err: ErrKeyData}},
		{"ed25519 key without k=", "v=DKIM1; p=" + edP, want{err: ErrKeyMismatch}},
		{"ed25519 in SPKI", "v=DKIM1; k=ed25519; p=" + edSPKI, want{err: ErrKeyData}},
		{"ed25519 SPKI under k=rsa", "v=DKIM1; p=" + edSPKI, want{err: ErrKeyMismatch}},
		{"ed25519 wrong length", "v=DKIM1; k=ed25519; p=AAAA", want{err: ErrKeyData}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { checkRecord(t, tc.txt, tc.want) })
	}
}

// The linter keeps going after an error, so a record with a wrong v= still
// says what key it holds.
func TestParseKeyRecordPartial(t *testing.T) {
	rec, _, err := ParseKeyRecord(mustRead(t, "testdata/dkimpy/badk.txt"))
	if !errors.Is(err, ErrKeyType) {
		t.Fatalf("err = %v", err)
	}
	if _, ok := rec.PublicKey.(*rsa.PublicKey); !ok || rec.Bits != 1024 {
		t.Errorf("badk.txt: key %T %d bits not kept for display", rec.PublicKey, rec.Bits)
	}
	rec, _, err = ParseKeyRecord("v=DKIM1; k=ed25519; p=MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=")
	if err == nil || !strings.Contains(err.Error(), "p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=") {
		t.Errorf("SPKI-wrapped Ed25519: error should give the bare key: %v", err)
	}
	if _, ok := rec.PublicKey.(ed25519.PublicKey); !ok {
		t.Errorf("SPKI-wrapped Ed25519 key not kept: %T", rec.PublicKey)
	}
}

func TestRecordForKeyRoundTrip(t *testing.T) {
	for _, file := range []string{
		"testdata/keys/rsa2048-private.pem",
		"testdata/keys/rfc6376-appC-rsa1024-private.pem",
		"testdata/keys/rfc8463-ed25519-seed.b64",
	} {
		t.Run(filepath.Base(file), func(t *testing.T) {
			key, err := LoadPrivateKey(file)
			if err != nil {
				t.Fatal(err)
			}
			for _, in := range []any{key.Public(), key} {
				value, err := RecordForKey(in)
				if err != nil {
					t.Fatal(err)
				}
				rec, _, err := ParseKeyRecord(value)
				if err != nil {
					t.Fatalf("%s: %v", value, err)
				}
				if !samePublicKey(rec.PublicKey, key.Public()) {
					t.Errorf("round trip changed the key")
				}
				if !strings.HasPrefix(value, "v=DKIM1; k="+string(rec.KeyType)+"; p=") {
					t.Errorf("value = %s", value)
				}
			}
		})
	}
	if _, err := RecordForKey("not a key"); err == nil {
		t.Error("RecordForKey accepted a string")
	}
}

func mustRead(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
