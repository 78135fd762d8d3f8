package dkim

import (
	"strings"
	"testing"
)

// FuzzParseKeyRecord feeds the parser arbitrary TXT text, as a hostile or
// broken DNS zone would. Seeds: testdata/fuzz/FuzzParseKeyRecord (every key
// record of the fixtures and the edge cases), run with
// go test -fuzz=FuzzParseKeyRecord -fuzztime=20s ./scoring/dkim
func FuzzParseKeyRecord(f *testing.F) {
	f.Add("v=DKIM1; k=rsa; p=")
	f.Add("v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=")
	f.Fuzz(func(t *testing.T, txt string) {
		rec, findings, err := ParseKeyRecord(txt)
		if rec == nil {
			t.Fatal("nil record")
		}
		for _, fd := range findings {
			if fd.Message == "" {
				t.Fatal("empty finding")
			}
		}
		if err != nil || rec.Revoked {
			return
		}
		if rec.PublicKey == nil || rec.Bits == 0 {
			t.Fatalf("accepted without a key: %+v", rec)
		}
		// What parses must round-trip through the record we would publish.
		value, err := RecordForKey(rec.PublicKey)
		if err != nil {
			t.Fatalf("RecordForKey: %v", err)
		}
		again, _, err := ParseKeyRecord(value)
		if err != nil || !samePublicKey(again.PublicKey, rec.PublicKey) || again.KeyType != rec.KeyType {
			t.Fatalf("round trip of %q: %v", value, err)
		}
	})
}

// FuzzVerifyBodyLength feeds the l= verifier arbitrary messages and
// signature fields: it must give a verdict, never panic, and never pass a
// signature it could not check. go test -fuzz=FuzzVerifyBodyLength ./scoring/dkim
func FuzzVerifyBodyLength(f *testing.F) {
	f.Add([]byte("From: a@example.com\r\n\r\nHi.\r\n"), "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=s; l=3; h=From; bh=AAAA; b=AAAA")
	f.Add([]byte("From: a\n\n \t x \t\n\n\n"), "DKIM-Signature: a=ed25519-sha256; c=simple; l=99999999999; b=; bh=")
	lookup := func(string) ([]string, error) {
		return []string{"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="}, nil
	}
	f.Fuzz(func(t *testing.T, msg []byte, field string) {
		st, failure, _ := verifyBodyLength(msg, field, lookup)
		if st == Pass || st == Policy {
			t.Fatalf("a random signature verified: %s %s", st, failure)
		}
		for _, alg := range []string{"simple", "relaxed"} {
			b := canonBody(msg, alg)
			if len(b) > 0 && !strings.HasSuffix(string(b), "\r\n") {
				t.Fatalf("%s body does not end in CRLF: %q", alg, b)
			}
		}
	})
}
