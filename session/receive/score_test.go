package receive

import (
	"strings"
	"testing"

	"github.com/mailcred/mailcred/scoring"
)

func TestReplyText(t *testing.T) {
	for _, tc := range []struct {
		name    string
		results []scoring.Result
		want    string
	}{
		{"all pass", []scoring.Result{{ID: "a", Status: scoring.Pass}}, "scored 10.0/10, thank you"},
		{"failures, warnings and errors are named", []scoring.Result{
			{ID: "dkim.signature", Status: scoring.Fail}, {ID: "headers.to", Status: scoring.Fail},
			{ID: "dmarc.alignment", Status: scoring.Warn}, {ID: "blocklist.ip", Status: scoring.Error}},
			"scored at most 7.8/10, thank you (fail: dkim.signature headers.to; warn: dmarc.alignment; not checked: blocklist.ip)"},
		{"with nothing unchecked the score is no bound", []scoring.Result{
			{ID: "dkim.signature", Status: scoring.Fail}, {ID: "headers.to", Status: scoring.Pass}},
			"scored 7.8/10, thank you (fail: dkim.signature)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Report{Score: scoring.DefaultWeights.Compute(tc.results), Results: tc.results}
			if len(tc.results) > 1 {
				r.Value = 7.8
			}
			if got := r.ReplyText(); got != tc.want {
				t.Errorf("got %q\nwant %q", got, tc.want)
			}
		})
	}
	t.Run("bounded for a 512-octet reply line (RFC 5321 §4.5.3.1.5)", func(t *testing.T) {
		r := Report{Score: scoring.Score{Max: 10}}
		for i := 0; i < 100; i++ {
			r.Results = append(r.Results, scoring.Result{ID: strings.Repeat("x", 20), Status: scoring.Fail})
		}
		if n := len(r.ReplyText()); n > maxReplyText {
			t.Errorf("%d octets", n)
		}
	})
}

func TestAccepts(t *testing.T) {
	s := &Server{opts: Options{Domains: []string{"example.org"}}}
	for addr, want := range map[string]bool{
		"bob@example.org": true, "bob@EXAMPLE.org.": true, "postmaster@example.org": true,
		"bob@example.net": false, "bob@sub.example.org": false, "bob@[127.0.0.1]": false, "bob": false,
		"a@example.org@example.net": false,
	} {
		if got := s.accepts(addr); got != want {
			t.Errorf("accepts(%q) = %v", addr, got)
		}
	}
	if any := (&Server{}); !any.accepts("x@anything.example") {
		t.Error("no domains configured: any recipient is taken")
	}
}
