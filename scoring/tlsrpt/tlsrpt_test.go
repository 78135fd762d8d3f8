package tlsrpt

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnstest"
	"github.com/mailcred/mailcred/scoring/dnsx"
	"github.com/mailcred/mailcred/scoring/fixproof"
)

func TestParseRecord(t *testing.T) {
	for txt, want := range map[string]string{
		"v=TLSRPTv1; rua=mailto:reports@example.com":                          "",
		"v=TLSRPTv1;rua=mailto:a@example.com,https://reports.example.net/tls": "",
		"v=TLSRPTv1; rua=mailto:a@example.com; ext=1":                         "",
		"rua=mailto:a@example.com; v=TLSRPTv1":                                "must start with v=TLSRPTv1",
		"v=TLSRPTv1":                                                          "no rua=",
		"v=TLSRPTv1; rua=a@example.com":                                       "only mailto: and https:",
		"v=TLSRPTv1; rua=http://example.com/":                                 "only mailto: and https:",
		"v=TLSRPTv1; rua=https:///x":                                          "with a host",
		"v=TLSRPTv1; rua=mailto:nobody":                                       "one address",
		"v=TLSRPTv1; rua=mailto:a@example.com; rua=mailto:b@example.com":      "twice",
	} {
		_, err := ParseRecord(txt)
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("%q: %v, want %q", txt, err, want)
		}
	}
}

// RFC 8460 §3 and the fix round trip: each broken record's fix, published
// as printed, makes the check pass.
func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name, zone string
		want       scoring.Status
	}{
		{"none", "", scoring.Info},
		{"valid", `_smtp._tls.example.com. TXT "v=TLSRPTv1; rua=mailto:tls@example.com"`, scoring.Pass},
		{"two records", `_smtp._tls.example.com. TXT "v=TLSRPTv1; rua=mailto:tls@example.com"
_smtp._tls.example.com. TXT "v=TLSRPTv1; rua=mailto:other@example.com"`, scoring.Fail},
		{"bad uri kept out", `_smtp._tls.example.com. TXT "v=TLSRPTv1; rua=tls@example.com,https://r.example.net/x"`, scoring.Fail},
		{"no rua", `_smtp._tls.example.com. TXT "v=TLSRPTv1"`, scoring.Fail},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := dnstest.Start(tc.zone)
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			r, _ := dnsx.New(dnsx.Config{Servers: []string{srv.Addr}, Timeout: time.Second})
			env := &scoring.Env{Evidence: scoring.Evidence{Domain: "example.com"}, DNS: r}
			res := scoring.RunAll(context.Background(), env, Checks())[0]
			if res.Status != tc.want {
				t.Fatalf("%s %s\n%s", res.Status, res.Title, res.Detail)
			}
			if res.Status == scoring.Fail && !strings.Contains(res.Detail, "v=TLSRPTv1") {
				t.Errorf("detail does not show the record as published: %s", res.Detail)
			}
			if res.Status == scoring.Fail || res.Status == scoring.Info {
				if err := fixproof.Publish(srv, res.Fix.Records); err != nil {
					t.Fatal(err)
				}
				r.Flush()
				if again := scoring.RunAll(context.Background(), env, Checks())[0]; again.Status != scoring.Pass {
					t.Fatalf("after the fix: %s %s", again.Status, again.Title)
				}
			}
		})
	}
}

func FuzzParseRecord(f *testing.F) {
	f.Add("v=TLSRPTv1; rua=mailto:reports@example.com,https://r.example.net/x")
	f.Add("v=TLSRPTv1;rua=mailto:%40@x;;")
	f.Fuzz(func(t *testing.T, txt string) {
		rec, err := ParseRecord(txt)
		if err == nil && len(rec.RUA) == 0 {
			t.Fatal("accepted without a destination")
		}
	})
}
