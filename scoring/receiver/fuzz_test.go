package receiver

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/emersion/go-msgauth/authres"

	"github.com/mailcred/mailcred/scoring/dkim"
	"github.com/mailcred/mailcred/scoring/dmarc"
	"github.com/mailcred/mailcred/scoring/spf"
)

// FuzzAuthorAddress: the From header of any message either gives one
// address with a domain or a reason, and never panics.
func FuzzAuthorAddress(f *testing.F) {
	for _, s := range []string{
		plain,
		"From: a@b\r\n\r\n",
		"From: \"x;y\" <a@[192.0.2.1]>\r\n\r\n",
		"From: =?utf-8?q?J=C3=BCrgen?= <j@example.com>\r\n\r\n",
		"From: a@example.com\r\nFrom: b@example.com\r\n\r\n",
		"From: undisclosed:;\r\n\r\n",
		"From:\r\n \r\n\r\n",
		"From: a@example.com\n\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		addr, domain, problem := AuthorAddress(msg)
		if (domain == "") == (problem == "") {
			t.Fatalf("domain %q and problem %q: exactly one must be set", domain, problem)
		}
		if domain != "" && !strings.Contains(addr, "@") {
			t.Fatalf("domain %q from address %q", domain, addr)
		}
	})
}

// FuzzAuthenticationResults: whatever a hostile message puts in d=, s=,
// i=, a=, From or a reason, the field parses back with every result.
func FuzzAuthenticationResults(f *testing.F) {
	f.Add("mx.example.org", "example.com", "s1", "@example.com", "rsa-sha256", "body hash did not verify", "example.com", "bounce@example.com")
	f.Add("a b;c", "ex;ample\r\n.com", "s(1)", "\"q\"", "a=b", "x\x1b[31m;y", "ex ample", "a;b@c")
	f.Add("", "", "", "", "", "", "", "")
	f.Fuzz(func(t *testing.T, host, d, s, i, a, reason, from, mailFrom string) {
		v := &Verdict{
			MailFrom: mailFrom, FromDomain: from,
			SPF:   &spf.Evaluation{Result: spf.Fail, Sender: mailFrom},
			DKIM:  []Signature{{SignatureResult: dkim.SignatureResult{Domain: d, Selector: s, Identifier: i, Algorithm: a, Status: dkim.Fail, Reason: reason}}},
			DMARC: &dmarc.Evaluation{Result: dmarc.ResultTempError, Err: errors.New(reason)},
		}
		field := AuthenticationResults(host, v)
		if !utf8.ValidString(field) || strings.ContainsAny(field, "\r\n\x00\x1b") {
			t.Fatalf("unsafe field %q", field)
		}
		id, results, err := authres.Parse(field)
		if err != nil || id == "" || len(results) != 3 {
			t.Fatalf("Parse(%q): id %q, %d results, %v", field, id, len(results), err)
		}
	})
}
