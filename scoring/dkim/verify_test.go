package dkim

import (
	"bytes"
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	msgdkim "github.com/emersion/go-msgauth/dkim"

	"github.com/mailcred/mailcred/scoring/dnstest"
	"github.com/mailcred/mailcred/scoring/dnsx/dnsxtest"
)

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

// Messages signed by other implementations verify here, offline against
// the key and against the record served by the in-process DNS server.
func TestMessagesSignedByDkimpyAndMailauth(t *testing.T) {
	football := map[string]string{
		"brisbane._domainkey.football.example.com": readText(t, "keys/rfc8463-ed25519-public.txt"),
		"test._domainkey.football.example.com":     readText(t, "dkimpy/test.txt"),
	}
	cases := []struct {
		file   string
		dns    map[string]string
		want   int    // signatures, all of which must pass
		key    string // a private key whose public half verifies one of them offline
		detail string
	}{
		{"dkimpy/rfc6376.signed.msg", football, 2, "keys/rfc8463-ed25519-seed.b64", "dkimpy: ed25519 + rsa, simple/simple, oversigned From"},
		{"dkimpy/rfc6376.signed.rsa.msg", football, 1, "dkimpy/test.private", "dkimpy: rsa only"},
		{"dkimpy/ed25519test2.msg", map[string]string{"sed._domainkey.test.ex": readText(t, "dkimpy/eximtest.dns")}, 1, "", "Exim's ed25519 prototype signature, as dkimpy tests it"},
		{"mailauth/rfc8463-signed.eml", football, 2, "dkimpy/test.private", "RFC 8463 A.3 via mailauth: relaxed/relaxed"},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			msg := readCRLF(t, c.file)
			w := dnsxtest.New(t)
			for name, rec := range c.dns {
				w.Publish(name, rec)
			}
			res, err := VerifyPublished(context.Background(), msg, w.R)
			if err != nil || len(res) != c.want {
				t.Fatalf("%v: %d results, want %d", err, len(res), c.want)
			}
			for _, r := range res {
				if r.Status != Pass {
					t.Errorf("%s: %s", c.detail, r.Explain())
				}
			}
			if c.key != "" {
				if err := VerifyOffline(msg, loadKey(t, c.key).Public()); err != nil {
					t.Errorf("offline: %v", err)
				}
			}
		})
	}
}

// oursDiffer are the vectors where our verdict is deliberately not
// go-msgauth's: it refuses every l= signature; we verify it as dkimpy,
// OpenDKIM and mailauth do, and report content after l= as policy
// (RFC 8601 §2.7.1).
var oursDiffer = map[string]string{"g06-l-tag-appended-content": "policy"}

// The shared verification vectors run whole through VerifyPublished, the
// in-process DNS server standing in for each case's zone. Our verdicts
// are go-msgauth's, so they must equal what go-msgauth was observed to
// return; agreement with the RFC's expectation is counted and printed.
func TestVerificationCases(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var suite struct {
		Cases []struct {
			ID       string                     `json:"id"`
			File     string                     `json:"file"`
			DNS      map[string]json.RawMessage `json:"dns"`
			Expected []string                   `json:"expected"`
			Observed map[string][]string        `json:"observed"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(raw, &suite); err != nil {
		t.Fatal(err)
	}
	agreeObserved, agreeRFC, n := 0, 0, 0
	w := dnsxtest.New(t)
	for _, c := range suite.Cases {
		t.Run(c.ID, func(t *testing.T) {
			var names []string
			defer func() { w.Reset(names...) }()
			for name, v := range c.DNS {
				names = append(names, name)
				var parts [][]string
				if json.Unmarshal(v, &parts) != nil {
					w.Srv.SetFault(name, dnstest.ServFail)
					continue
				}
				for _, rr := range parts {
					w.PublishStrings(name, rr...)
				}
			}
			msg, err := os.ReadFile(filepath.Join("testdata", c.File))
			if err != nil {
				t.Fatal(err)
			}
			res, err := VerifyPublished(context.Background(), msg, w.R)
			if err != nil {
				t.Fatal(err)
			}
			got := []string{"none"}
			if len(res) > 0 {
				got = got[:0]
				for _, r := range res {
					got = append(got, string(r.Status))
				}
			}
			var observed []string
			for _, o := range c.Observed["go-msgauth v0.7.0"] {
				observed = append(observed, strings.SplitN(o, ":", 2)[0])
			}
			n++
			if want, ok := oursDiffer[c.ID]; ok {
				// Deliberately not go-msgauth's verdict (see bodylength.go).
				observed = []string{want}
			}
			if strings.Join(got, ",") == strings.Join(observed, ",") {
				agreeObserved++
			} else {
				t.Errorf("got %v, go-msgauth was observed to give %v", got, observed)
			}
			if strings.Join(got, ",") == strings.Join(c.Expected, ",") {
				agreeRFC++
			} else {
				t.Logf("differs from the RFC expectation %v (a known go-msgauth gap)", c.Expected)
			}
			// Pin the failure kinds the issue asks to tell apart.
			switch c.ID {
			case "g02-body-tampered", "g16d-simple-body-trailing-ws":
				if res[0].Failure != BodyHashMismatch {
					t.Errorf("failure %q, want body-hash", res[0].Failure)
				}
			case "g03-header-tampered", "g15c-extra-from-oversigned", "g16a-simple-header-ws-changed":
				if res[0].Failure != SignatureMismatch {
					t.Errorf("failure %q, want signature", res[0].Failure)
				}
			case "g08-weak-512-bit-key", "g09-key-revoked", "g10-no-key-record", "g13-key-h-sha1-only", "g14-key-type-mismatch", "g21-key-bad-version", "g27-key-service-type-not-email":
				if res[0].Failure != KeyUnusable {
					t.Errorf("failure %q, want key", res[0].Failure)
				}
			case "g04-from-not-signed", "g05-expired-x", "g07-rsa-sha1", "g18-i-not-subdomain-of-d", "g19-unknown-algorithm", "g20-version-2":
				if res[0].Failure != SignatureUnusable {
					t.Errorf("failure %q, want signature-syntax", res[0].Failure)
				}
			case "g26-temperror-dns":
				if res[0].Failure != DNSFailure {
					t.Errorf("failure %q, want dns", res[0].Failure)
				}
			}
		})
	}
	t.Logf("dkim cases: %d/%d as go-msgauth observed, %d/%d as the RFCs expect", agreeObserved, n, agreeRFC, n)
}

// signed signs a small message with go-msgauth directly (signing is
// session/sign's job; these tests need only a signature to verify).
func signed(t testing.TB, key crypto.Signer, body string) []byte {
	t.Helper()
	msg := "From: Alice <alice@example.com>\r\nTo: bob@example.org\r\nSubject: hi\r\n\r\n" + body
	var out bytes.Buffer
	err := msgdkim.Sign(&out, strings.NewReader(msg), &msgdkim.SignOptions{
		Domain: "example.com", Selector: "s", Signer: key,
		HeaderCanonicalization: msgdkim.CanonicalizationRelaxed,
		BodyCanonicalization:   msgdkim.CanonicalizationRelaxed,
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// Offline and published verification agree, per signature, on a changed
// body, a changed header and a foreign key, and say which it was.
func TestVerifyWithKeyTellsFailuresApart(t *testing.T) {
	key := loadKey(t, "keys/rfc6376-appC-rsa1024-private.pem")
	other := loadKey(t, "keys/rfc8463-rsa1024-private.pem")
	msg := signed(t, key, "Hello.\r\n")
	w := dnsxtest.New(t)
	w.Publish("s._domainkey.example.com", recordValue(t, "keys/rfc6376-appC-rsa1024-public.txt"))
	cases := []struct {
		name string
		msg  []byte
		pub  crypto.PublicKey
		want Failure
	}{
		{"intact", msg, key.Public(), NoFailure},
		{"body changed", append(bytes.Clone(msg), "footer\r\n"...), key.Public(), BodyHashMismatch},
		{"header changed", bytes.Replace(msg, []byte("Subject: hi"), []byte("Subject: ho"), 1), key.Public(), SignatureMismatch},
		{"other key", msg, other.Public(), SignatureMismatch},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := VerifyWithKey(c.msg, c.pub)
			if err != nil || len(res) != 1 || res[0].Failure != c.want || res[0].Domain != "example.com" || res[0].Selector != "s" {
				t.Fatalf("%v %+v, want one result with failure %q", err, res, c.want)
			}
			err = VerifyOffline(c.msg, c.pub)
			var ve *VerifyError
			if (c.want == NoFailure) != (err == nil) || (err != nil && !errors.As(err, &ve)) {
				t.Errorf("VerifyOffline: %v", err)
			}
			if c.pub != other.Public() {
				pub, err := VerifyPublished(context.Background(), c.msg, w.R)
				if err != nil || len(pub) != 1 || pub[0].Failure != c.want {
					t.Errorf("published: %v %+v", err, pub)
				}
			}
		})
	}
	if err := VerifyOffline([]byte("From: a@b\r\n\r\nhi\r\n"), key); !errors.Is(err, ErrNoSignature) {
		t.Errorf("unsigned: %v", err)
	}
}

// Verification reads hostile messages (mailcred score, receive): it must
// never panic, whatever the bytes.
func FuzzVerifyOffline(f *testing.F) {
	key := loadKey(f, "keys/rfc6376-appC-rsa1024-private.pem")
	f.Add(signed(f, key, "Hello.\r\n"))
	f.Add(readCRLF(f, "dkimpy/rfc6376.signed.msg"))
	f.Add([]byte("DKIM-Signature: v=1; a=rsa-sha256; d=; s=; h=from; bh=; b=\r\nFrom: a@b\r\n\r\n"))
	f.Add([]byte("DKIM-Signature: ;;;==;\r\n\r\n"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		err := VerifyOffline(msg, key.Public())
		if err == nil {
			return
		}
		_ = err.Error()
	})
}

// RFC 6376 §3.5 and §8.2: l= signs only the first l octets of the
// canonicalized body. With nothing after them the signature passes, as
// dkimpy and OpenDKIM say; with content appended it verifies but the
// receiver's policy may refuse it: dkim=policy (RFC 8601 §2.7.1); a change
// inside the signed octets is a body hash failure.
func TestBodyLengthSignatures(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "vectors", "g06-l-tag-appended-content.eml"))
	if err != nil {
		t.Fatal(err)
	}
	w := dnsxtest.New(t)
	w.Publish("brisbane._domainkey.example.com", "v=DKIM1; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDwIRP/UC3SBsEmGqZ9ZJW3/DkMoGeLnQg1fWn7/zYtIxN2SnFCjxOCKG9v3b4jYfcTNh5ijSsq631uBItLa7od+v/RtdC2UzJ1lWT947qR+Rcac2gbto/NMqJ0fzfVjH4OuKhitdY9tf6mcwGjaNBcWToIMmPSPDdQPNUYckcQ2QIDAQAB")
	appended := "\r\nClick http://evil.example/ now\r\n"
	if !bytes.HasSuffix(raw, []byte(appended)) {
		t.Fatal("vector changed")
	}
	exact := bytes.TrimSuffix(raw, []byte(appended))
	tampered := bytes.Replace(exact, []byte("hungry"), []byte("thirsty"), 1)
	for _, tc := range []struct {
		name    string
		msg     []byte
		status  Status
		failure Failure
	}{
		{"content appended after l=", raw, Policy, BodyAppended},
		{"l= covers the whole body", exact, Pass, NoFailure},
		{"signed octets changed", tampered, Fail, BodyHashMismatch},
	} {
		res, err := VerifyPublished(context.Background(), tc.msg, w.R)
		if err != nil || len(res) != 1 {
			t.Fatalf("%s: %v %v", tc.name, res, err)
		}
		if res[0].Status != tc.status || res[0].Failure != tc.failure {
			t.Errorf("%s: %s/%s %s, want %s/%s", tc.name, res[0].Status, res[0].Failure, res[0].Reason, tc.status, tc.failure)
		}
	}
}

// A message stored with bare LF line endings verifies as its CRLF form
// does (what an MTA converts on receipt), under simple canonicalization
// too, where a line ending changes the hashes; the conversion is read,
// not copied.
func TestVerifyReadsBareLFAsCRLF(t *testing.T) {
	key := loadKey(t, "keys/rfc6376-appC-rsa1024-private.pem")
	for _, c := range []msgdkim.Canonicalization{msgdkim.CanonicalizationSimple, msgdkim.CanonicalizationRelaxed} {
		msg := "From: Alice <alice@example.com>\r\nTo: bob@example.org\r\nSubject: hi\r\n\tfolded\r\n\r\nLine one.\r\n\r\nLine  three.\r\n"
		var out bytes.Buffer
		err := msgdkim.Sign(&out, strings.NewReader(msg), &msgdkim.SignOptions{
			Domain: "example.com", Selector: "s", Signer: key,
			HeaderCanonicalization: c, BodyCanonicalization: c,
		})
		if err != nil {
			t.Fatal(err)
		}
		lf := bytes.ReplaceAll(out.Bytes(), []byte("\r\n"), []byte("\n"))
		res, err := VerifyWithKey(lf, key.Public())
		if err != nil || len(res) != 1 || res[0].Status != Pass {
			t.Errorf("%s/%s, stored with LF: %v %+v, want pass", c, c, err, res)
		}
		changed := bytes.Replace(lf, []byte("Line one."), []byte("Line 1."), 1)
		if res, _ := VerifyWithKey(changed, key.Public()); len(res) != 1 || res[0].Failure != BodyHashMismatch {
			t.Errorf("%s/%s, LF, body changed: %+v, want a body hash mismatch", c, c, res)
		}
	}
}
