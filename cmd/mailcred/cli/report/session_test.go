package report

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/smtpx"
	"github.com/mailcred/mailcred/session"
	"github.com/mailcred/mailcred/session/smtpc"
)

// The workbench's path: live values, no JSON file, the same sections.
func TestFromSessionReportsTheLastSendAndChecks(t *testing.T) {
	results := []scoring.Result{
		{ID: "rdns.ptr", Status: scoring.Fail, Title: "192.0.2.10 has no PTR record",
			Fix: &scoring.Fix{Summary: "Ask your provider for a PTR", Records: []scoring.DNSRecord{{Name: "10.2.0.192.in-addr.arpa", Type: "PTR", Value: "mail.example.com."}}}},
		{ID: "spf.record", Status: scoring.Pass, Title: "One valid SPF record at example.com"},
		{ID: "dmarc.record", Status: scoring.Error, Title: "Unable to check DMARC (timeout)"},
	}
	sent := &session.Sent{
		Outcome: &session.Outcome{Verdict: smtpx.Rejected, Stage: smtpx.RCPT, Server: "mx.example.net",
			Reply: smtpc.Reply{Code: 550, Enhanced: "5.7.1", Lines: []string{"550 5.7.1 blocked (S3140) hunter2-secret"}},
			Transcript: []smtpc.Event{
				{Kind: smtpc.KindInfo, Source: smtpc.FromClient, Lines: []string{"signing with s1._domainkey.example.com"}},
				{Kind: smtpc.KindReceived, Source: smtpc.FromExim, Lines: []string{"550 5.7.1 blocked"}},
				{Kind: smtpc.KindInfo, Source: smtpc.FromExim, Lines: []string{"exim: ** b@example.net R=dnslookup: 550 5.7.1 blocked"}},
			}},
		Evidence: scoring.Evidence{IPs: []netip.Addr{netip.MustParseAddr("192.0.2.10")}},
	}
	f, err := FromSession("example.com", results, scoring.Score{Value: 4.5, Max: 10, Incomplete: true, Unchecked: []string{"dmarc.record"}}, nil, sent)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := Markdown(&b, f, Options{Command: "workbench", Generated: time.Unix(0, 0), Version: "test", Secrets: []string{"hunter2-secret"}}); err != nil {
		t.Fatal(err)
	}
	m := b.String()
	for _, want := range []string{"# mailcred workbench report: example.com", "| Sending IP | 192.0.2.10 |", "| Outcome | REJECTED",
		"550 5.7.1 blocked (S3140) ****", "| PTR (reverse DNS) | ✗ fail | 192.0.2.10 has no PTR record |",
		"| DMARC record | ? error |", "incomplete: 1 check(s) could not be evaluated: dmarc.record", "10.2.0.192.in-addr.arpa. IN PTR",
		// The transcript is marked by each line's source, through the JSON
		// and back: mailcred's note, the MTA's reply and its own "**" line.
		"»   signing with s1._domainkey.example.com", "<-  550 5.7.1 blocked", "mta exim: ** b@example.net"} {
		if !strings.Contains(m, want) {
			t.Errorf("report lacks %q\n%s", want, m)
		}
	}
	if strings.Contains(m, "hunter2-secret") {
		t.Error("a secret given in Options.Secrets is in the report")
	}
}
