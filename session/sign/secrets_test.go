package sign

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/mailcred/mailcred/scoring/dkim"
	"github.com/mailcred/mailcred/scoring/dnsx/dnsxtest"
)

// secretsOf returns strings that would betray key in output: the PEM or
// seed lines of its file and the private numbers in the encodings a
// careless %v, hex dump or base64 would use.
func secretsOf(t *testing.T, file string, key crypto.Signer) []string {
	t.Helper()
	var out []string
	for _, line := range strings.Split(readText(t, file), "\n") {
		line = strings.TrimSpace(line)
		if len(line) >= 16 && !strings.HasPrefix(line, "-----") {
			out = append(out, line[:16])
		}
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		for _, n := range append([]*big.Int{k.D}, k.Primes...) {
			out = append(out, n.String()[:20], hex.EncodeToString(n.Bytes())[:20],
				base64.StdEncoding.EncodeToString(n.Bytes())[:20])
		}
	case ed25519.PrivateKey:
		seed := k.Seed()
		out = append(out, hex.EncodeToString(seed)[:20], base64.StdEncoding.EncodeToString(seed)[:20], string(seed[:12]))
	}
	return out
}

func TestNoKeyMaterialInOutput(t *testing.T) {
	msg := message(t)
	w := dnsxtest.New(t)
	for _, k := range keys {
		t.Run(k.file, func(t *testing.T) {
			key := loadKey(t, k.file)
			opts := Options{Domain: "example.com", Selector: "s", Key: key}
			var texts []string
			add := func(v ...any) {
				for _, x := range v {
					texts = append(texts, fmt.Sprintf("%v", x), fmt.Sprintf("%+v", x), fmt.Sprintf("%#v", x))
				}
			}
			add(opts)
			signed, info, err := Sign(msg, opts)
			add(err)
			if err == nil {
				add(info, *info, info.Signature)
				tampered := append(bytes.Clone(signed), "x\r\n"...)
				add(dkim.VerifyOffline(tampered, key), dkim.VerifyOffline(msg, key))
				res, err := dkim.VerifyPublished(context.Background(), tampered, w.R)
				add(res, err)
				for _, r := range res {
					add(r.Explain())
				}
				// The signed message itself holds a signature, never the key.
				texts = append(texts, string(signed))
			}
			// Every refusal, with this key in the options.
			for _, bad := range []Options{
				{Domain: "example.com", Key: key},
				{Domain: "example.com", Selector: "s", Key: key, Body: "odd"},
			} {
				_, _, err := Sign(msg, bad)
				add(err, bad)
			}
			_, _, err = Sign(readCRLF(t, "dkimpy/test_nofrom.message"), opts)
			add(err)
			_, _, err = Sign(bytes.ReplaceAll(msg, []byte("\r\n"), []byte("\n")), opts)
			add(err)

			// The detector must catch a careless print of the key itself.
			caught := false
			for _, s := range secretsOf(t, k.file, key) {
				caught = caught || strings.Contains(fmt.Sprintf("%+v %x", key, key), s)
			}
			if !caught {
				t.Fatal("the detector does not recognise the key's own dump")
			}
			all := strings.Join(texts, "\n")
			for _, s := range secretsOf(t, k.file, key) {
				if strings.Contains(all, s) {
					t.Fatalf("key material %q found in output", s)
				}
			}
		})
	}
}
