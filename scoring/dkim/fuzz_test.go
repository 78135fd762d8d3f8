package dkim

import (
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
