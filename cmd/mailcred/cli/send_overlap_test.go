package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mailcred/mailcred/scoring/smtpx"
	"github.com/mailcred/mailcred/session/smtptest"
)

// asked reports whether the server has been asked name/qtype.
func asked(srv interface{ Log() []dns.Question }, name string, qtype uint16) bool {
	for _, q := range srv.Log() {
		if strings.EqualFold(q.Name, name) && q.Qtype == qtype {
			return true
		}
	}
	return false
}

// TestSendStartsDomainChecksBeforeTheSession holds the SMTP conversation
// at MAIL FROM until the DNS server has been asked for the domain's DMARC
// record: a send that started its checks only after delivering would
// never be let through (the wait is bounded, then the test fails).
func TestSendStartsDomainChecksBeforeTheSession(t *testing.T) {
	dnsSrv := worldServer(t, false)
	overlapped := make(chan bool, 1)
	srv, ca, _ := submission(t, func(c smtptest.Command) *smtptest.Reply {
		if c.Stage != smtpx.MAIL {
			return nil
		}
		deadline := time.Now().Add(5 * time.Second)
		for !asked(dnsSrv, "_dmarc.example.com.", dns.TypeTXT) && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		overlapped <- asked(dnsSrv, "_dmarc.example.com.", dns.TypeTXT)
		return nil
	})
	code, out, stderr := run(t, nil, sendArgs(dnsSrv.Addr, srv.Addr(), ca, "--yes", "--auth-password-file", passwordFile(t))...)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	if !<-overlapped {
		t.Error("the domain's checks had not started when the session reached MAIL FROM")
	}
	if !strings.Contains(out, "Score of this send") || !strings.Contains(out, "dmarc.record") {
		t.Errorf("the send was not scored:\n%s", out)
	}
}

// TestSendNoScore sends and stops: no checks, no score, no DNS question
// beyond what the send itself needs (the published DKIM key), and a JSON
// document that says it was not scored and matches the schema.
func TestSendNoScore(t *testing.T) {
	dnsSrv := worldServer(t, false)
	srv, ca, _ := submission(t, nil)
	code, out, stderr := run(t, nil, sendArgs(dnsSrv.Addr, srv.Addr(), ca, "--yes", "--no-score", "--auth-password-file", passwordFile(t))...)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	if len(srv.Messages()) != 1 {
		t.Fatalf("%d messages delivered, want 1", len(srv.Messages()))
	}
	if strings.Contains(out, "Score of this send") || strings.Contains(out, "dmarc.record") {
		t.Errorf("--no-score printed checks:\n%s", out)
	}
	for _, q := range dnsSrv.Log() {
		if !strings.EqualFold(q.Name, "s1._domainkey.example.com.") {
			t.Errorf("--no-score asked %s %s", q.Name, dns.TypeToString[q.Qtype])
		}
	}

	srv2, ca2, _ := submission(t, nil)
	code, out, stderr = run(t, nil, sendArgs(dnsSrv.Addr, srv2.Addr(), ca2, "--yes", "--no-score", "--format", "json", "--auth-password-file", passwordFile(t))...)
	if code != ExitOK {
		t.Fatalf("json: exit %d\n%s", code, stderr)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc["scored"] != false || doc["checks"] != nil || doc["score"] != nil {
		t.Errorf("--no-score JSON: scored=%v checks=%v score=%v", doc["scored"], doc["checks"], doc["score"])
	}
	if err := matchSchema(compileSchemas(t)["send"], out); err != nil {
		t.Errorf("--no-score JSON does not match schemas/send.json: %v", err)
	}
}
