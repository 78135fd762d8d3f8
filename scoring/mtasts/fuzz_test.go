package mtasts

import (
	"strings"
	"testing"
)

// FuzzParsePolicy: a policy file is served by whoever controls the web
// server; the parser must stay bounded and what it accepts must render
// back to a file that parses to the same policy.
func FuzzParsePolicy(f *testing.F) {
	f.Add(enforce)
	f.Add("version: STSv1\nmode: none\nmax_age: 0\n")
	f.Add("version: STSv1\r\nmode: testing\r\nmx: *.example.com\r\nmx: a.b\r\nmax_age: 31557600\r\nfoo: bar\r\n")
	f.Fuzz(func(t *testing.T, text string) {
		p, err := ParsePolicy(text)
		if err != nil {
			return
		}
		again, err := ParsePolicy(p.Text())
		if err != nil || again.Mode != p.Mode || again.MaxAge != p.MaxAge || strings.Join(again.MX, ",") != strings.Join(p.MX, ",") {
			t.Fatalf("round trip of %q: %+v %v", p.Text(), again, err)
		}
	})
}

func FuzzParseRecord(f *testing.F) {
	f.Add("v=STSv1; id=20160831085700Z;")
	f.Add("v=STSv1;id=1;ext=x")
	f.Fuzz(func(t *testing.T, txt string) {
		rec, err := ParseRecord(txt)
		if err == nil && (rec.ID == "" || len(rec.ID) > 32) {
			t.Fatalf("accepted id %q", rec.ID)
		}
	})
}
