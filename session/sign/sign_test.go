package sign

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailcred/mailcred/scoring/dkim"
	"github.com/mailcred/mailcred/scoring/dnstest"
	"github.com/mailcred/mailcred/scoring/dnsx/dnsxtest"
	"github.com/mailcred/mailcred/session/keygen"
)

func TestSignWithEveryKey(t *testing.T) {
	msg := message(t)
	w := dnsxtest.New(t)
	for i, k := range keys {
		for _, canon := range []Canon{Relaxed, Simple} {
			t.Run(fmt.Sprintf("%s %s %s", k.file, k.format, canon), func(t *testing.T) {
				key := loadKey(t, k.file)
				selector := fmt.Sprintf("s%d%s", i, canon)
				signed, info, err := Sign(msg, Options{Domain: "example.com", Selector: selector, Key: key, Header: canon, Body: canon})
				if k.tooWeak {
					if !errors.Is(err, ErrWeakKey) || signed != nil || info != nil {
						t.Fatalf("weak key: %v", err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.HasSuffix(signed, msg) || !bytes.HasPrefix(signed, []byte("DKIM-Signature: ")) {
					t.Fatal("signature not prepended to the unchanged message")
				}
				wantAlg := k.typ + "-sha256"
				if info.Algorithm != wantAlg || info.KeyType != k.typ || info.Bits != k.bits ||
					info.Canonicalization != string(canon)+"/"+string(canon) || info.Domain != "example.com" ||
					info.Selector != selector || info.BodyHash == "" || info.Time.IsZero() {
					t.Fatalf("info %+v", info)
				}
				if err := dkim.VerifyOffline(signed, key.Public()); err != nil {
					t.Fatalf("offline: %v", err)
				}
				w.Publish(dkim.RecordName(selector, "example.com"), recordFor(t, key))
				res, err := dkim.VerifyPublished(context.Background(), signed, w.R)
				if err != nil || len(res) != 1 || res[0].Status != dkim.Pass {
					t.Fatalf("published: %v %+v", err, res)
				}
				if r := res[0]; r.Selector != selector || r.Algorithm != wantAlg || r.BodyHash != info.BodyHash {
					t.Errorf("result %+v", r)
				}
			})
		}
	}
}

func TestDefaultIsRelaxedRelaxed(t *testing.T) {
	_, info, err := Sign(message(t), Options{Domain: "example.com", Selector: "s", Key: loadKey(t, rsa2048Key)})
	if err != nil || info.Canonicalization != "relaxed/relaxed" {
		t.Fatalf("%v %+v", err, info)
	}
}

func TestSignedHeaderList(t *testing.T) {
	_, info, err := Sign(message(t), Options{Domain: "example.com", Selector: "s", Key: loadKey(t, ed25519Key)})
	if err != nil {
		t.Fatal(err)
	}
	want := "From:From:To:Cc:Subject:Date:Message-ID:MIME-Version:Content-Type"
	if got := strings.Join(info.Headers, ":"); got != want {
		t.Errorf("h=%s\nwant %s", got, want)
	}
}

func TestOnlyPresentHeadersAreSigned(t *testing.T) {
	msg := "From: a@example.com\r\nSubject: s\r\nList-Unsubscribe: <https://example.com/u>\r\n\r\nbody\r\n"
	_, info, err := Sign([]byte(msg), Options{Domain: "example.com", Selector: "s", Key: loadKey(t, ed25519Key)})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(info.Headers, ":"); got != "From:From:Subject:List-Unsubscribe" {
		t.Errorf("h=%s", got)
	}
}

func TestTamperingIsToldApart(t *testing.T) {
	key := loadKey(t, rsa2048Key)
	signed, _, err := Sign(message(t), Options{Domain: "example.com", Selector: "s", Key: key})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		edit func([]byte) []byte
		want dkim.Failure
	}{
		{"footer added to the body", func(b []byte) []byte { return append(b, "-- \r\nSent by a list\r\n"...) }, dkim.BodyHashMismatch},
		{"subject changed", func(b []byte) []byte {
			return bytes.Replace(b, []byte("Subject: "), []byte("Subject: [SPAM] "), 1)
		}, dkim.SignatureMismatch},
		{"a second From added on top (oversigned)", func(b []byte) []byte {
			return append([]byte("From: mallory@evil.example\r\n"), b...)
		}, dkim.SignatureMismatch},
		{"a second From added below the first", func(b []byte) []byte {
			return bytes.Replace(b, []byte("\r\n\r\n"), []byte("\r\nFrom: mallory@evil.example\r\n\r\n"), 1)
		}, dkim.SignatureMismatch},
	}
	w := dnsxtest.New(t)
	w.Publish("s._domainkey.example.com", recordFor(t, key))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tampered := c.edit(bytes.Clone(signed))
			err := dkim.VerifyOffline(tampered, key.Public())
			var ve *dkim.VerifyError
			if !errors.As(err, &ve) || ve.Results[0].Failure != c.want || ve.Results[0].Status != dkim.Fail {
				t.Fatalf("offline: %v", err)
			}
			res, err := dkim.VerifyPublished(context.Background(), tampered, w.R)
			if err != nil || res[0].Failure != c.want {
				t.Fatalf("published: %v %+v", err, res)
			}
			if c.want == dkim.BodyHashMismatch && !strings.Contains(res[0].Explain(), "body hash did not verify") {
				t.Errorf("explain: %s", res[0].Explain())
			}
		})
	}
}

func TestOfflineWithTheWrongKeyIsASignatureMismatch(t *testing.T) {
	signed, _, err := Sign(message(t), Options{Domain: "example.com", Selector: "s", Key: loadKey(t, rsa1024Key)})
	if err != nil {
		t.Fatal(err)
	}
	err = dkim.VerifyOffline(signed, loadKey(t, otherRSA1024Key).Public())
	var ve *dkim.VerifyError
	if !errors.As(err, &ve) || ve.Results[0].Failure != dkim.SignatureMismatch {
		t.Fatalf("%v", err)
	}
	// An Ed25519 key against an RSA signature: the key type does not fit.
	err = dkim.VerifyOffline(signed, loadKey(t, ed25519Key))
	if !errors.As(err, &ve) || ve.Results[0].Failure != dkim.KeyUnusable {
		t.Fatalf("%v", err)
	}
}

func TestRefusals(t *testing.T) {
	good := Options{Domain: "example.com", Selector: "s", Key: loadKey(t, rsa2048Key)}
	cases := []struct {
		name string
		msg  []byte
		opts func(Options) Options
		want error
		text string
	}{
		{"no From (dkimpy test_nofrom.message)", readCRLF(t, "dkimpy/test_nofrom.message"), nil, ErrNoFrom, "From"},
		{"weak 512-bit key", message(t), func(o Options) Options { o.Key = loadKey(t, "keys/weak-rsa512-private.pem"); return o }, ErrWeakKey, "RFC 8301"},
		{"RSA key over 4096 bits", message(t), func(o Options) Options { o.Key = loadKey(t, "keys/generated-rsa4104-pkcs8.pem"); return o }, nil, "4096"},
		{"bare LF", bytes.ReplaceAll(message(t), []byte("\r\n"), []byte("\n")), nil, ErrBareLF, "CRLF"},
		{"no key", message(t), func(o Options) Options { o.Key = nil; return o }, nil, "no private key"},
		{"no selector", message(t), func(o Options) Options { o.Selector = ""; return o }, nil, "selector"},
		{"bad canonicalization", message(t), func(o Options) Options { o.Body = "nowsp"; return o }, nil, "relaxed or simple"},
		{"selector with a space", message(t), func(o Options) Options { o.Selector = "a b"; return o }, nil, "DNS name"},
		{"header only", []byte("From: a@example.com\r\n"), nil, nil, "blank line"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := good
			if c.opts != nil {
				o = c.opts(o)
			}
			signed, info, err := Sign(c.msg, o)
			if err == nil || signed != nil || info != nil {
				t.Fatalf("signed: %v", err)
			}
			if c.want != nil && !errors.Is(err, c.want) {
				t.Errorf("error %v, want %v", err, c.want)
			}
			if !strings.Contains(err.Error(), c.text) {
				t.Errorf("error %q does not mention %q", err, c.text)
			}
		})
	}
}

// Keys from keygen, as written to disk and loaded back, sign and verify.
func TestKeygenKeysSign(t *testing.T) {
	for _, o := range []keygen.Options{{Type: dkim.KeyRSA, Bits: 2048}, {Type: dkim.KeyEd25519}} {
		k, err := keygen.Generate(o)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "k.pem")
		if err := keygen.WriteKey(path, k); err != nil {
			t.Fatal(err)
		}
		loaded, err := dkim.LoadPrivateKey(path)
		if err != nil {
			t.Fatal(err)
		}
		signed, _, err := Sign(message(t), Options{Domain: "example.com", Selector: "s", Key: loaded})
		if err != nil {
			t.Fatal(err)
		}
		if err := dkim.VerifyOffline(signed, k.Public()); err != nil {
			t.Errorf("%s: %v", o.Type, err)
		}
	}
}

func TestVerifyOfflineWithoutSignature(t *testing.T) {
	if err := dkim.VerifyOffline(message(t), loadKey(t, rsa1024Key)); !errors.Is(err, dkim.ErrNoSignature) {
		t.Fatalf("%v", err)
	}
	res, err := dkim.VerifyPublished(context.Background(), message(t), dnsxtest.New(t).R)
	if err != nil || len(res) != 0 {
		t.Fatalf("%v %+v", err, res)
	}
}

func TestMissingAndTemporaryRecords(t *testing.T) {
	key := loadKey(t, rsa1024Key)
	signed, _, err := Sign(message(t), Options{Domain: "example.com", Selector: "gone", Key: key})
	if err != nil {
		t.Fatal(err)
	}
	w := dnsxtest.New(t)
	res, err := dkim.VerifyPublished(context.Background(), signed, w.R)
	if err != nil || res[0].Status != dkim.PermError || res[0].Failure != dkim.KeyUnusable {
		t.Fatalf("NXDOMAIN: %v %+v", err, res)
	}
	w.Srv.SetFault("gone._domainkey.example.com", dnstest.ServFail)
	w.R.Flush()
	res, err = dkim.VerifyPublished(context.Background(), signed, w.R)
	if err != nil || res[0].Status != dkim.TempError || res[0].Failure != dkim.DNSFailure {
		t.Fatalf("SERVFAIL: %v %+v", err, res)
	}
}
