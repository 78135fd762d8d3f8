package cli

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mailcred/mailcred/scoring/dkim"
	"github.com/mailcred/mailcred/scoring/smtpx"
	"github.com/mailcred/mailcred/session/smtptest"
)

const (
	smtpUser     = "alice@example.com"
	smtpPassword = "correct-horse-battery-staple-42"
)

// submission starts a submission server with STARTTLS and AUTH that
// counts connections, and writes its CA to a file for --tls-ca.
func submission(t *testing.T, policy smtptest.Policy) (*smtptest.Server, string, *atomic.Int64) {
	t.Helper()
	var conns atomic.Int64
	srv, err := smtptest.Start(smtptest.Options{
		Users: map[string]string{smtpUser: smtpPassword}, RequireAuth: true,
		Policy: func(c smtptest.Command) *smtptest.Reply {
			if c.Stage == smtpx.Connect {
				conns.Add(1)
			}
			if policy != nil {
				return policy(c)
			}
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().CA.Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	return srv, ca, &conns
}

func passwordFile(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "smtp-pass")
	if err := os.WriteFile(p, []byte(smtpPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func sendArgs(resolver, addr, ca string, extra ...string) []string {
	return append([]string{"send", "--resolver", resolver, "--via", addr, "--tls", "starttls", "--tls-ca", ca, "--tls-verify",
		"--from", "Alice <alice@example.com>", "--to", "bob@example.net", "--subject", "Hello", "--body", "Hi Bob.",
		"--helo", "mail.example.com", "--ip", "192.0.2.10", "--auth-user", smtpUser,
		"--dkim-key", keyFile, "--selector", "s1"}, extra...)
}

// assertNoPassword fails if the password or a base64 form carrying it
// appears in the output.
func assertNoPassword(t *testing.T, texts ...string) {
	t.Helper()
	all := strings.Join(texts, "\n")
	for _, secret := range []string{
		smtpPassword,
		base64.StdEncoding.EncodeToString([]byte(smtpPassword)),
		base64.StdEncoding.EncodeToString([]byte("\x00" + smtpUser + "\x00" + smtpPassword)),
	} {
		if strings.Contains(all, secret) {
			t.Fatalf("secret %q in the output", secret)
		}
	}
}

func TestSendEndToEnd(t *testing.T) {
	dns := world(t, false)
	srv, ca, _ := submission(t, nil)
	code, out, stderr := run(t, nil, sendArgs(dns, srv.Addr(), ca, "--yes", "--auth-password-file", passwordFile(t))...)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	for _, want := range []string{
		"mailcred send", "route       " + srv.Addr() + "; TLS starttls; addresses IPv6 first, then IPv4",
		"»   signing with s1._domainkey.example.com rsa-sha256 2048 bits",
		"<-  220 ", "~>  AUTH PLAIN ****", "<~  235 2.0.0 Authentication succeeded",
		"certificate verified for 127.0.0.1",
		"published key s1._domainkey.example.com: pass",
		"verifies with the published key s1._domainkey.example.com",
		"outcome     ✓ ACCEPTED at end of data by " + srv.Addr(),
		"sending IP  192.0.2.10 for the checks (--ip)",
		"tls.starttls", "smtp.response", "headers.to", "spf.result", "Score 10.0/10",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("escape sequences in output to a non-terminal")
	}
	msgs, err := srv.WaitMessages(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := dkim.LoadPrivateKey(keyFile)
	if err := dkim.VerifyOffline(msgs[0].Data, key); err != nil || msgs[0].User != smtpUser || !msgs[0].TLS {
		t.Errorf("received %+v: %v", msgs[0], err)
	}
	assertNoPassword(t, out, stderr)
	if t.Failed() {
		t.Log(out, stderr)
	}
}

func TestSendJSONShapeWithPasswordFromTheEnvironment(t *testing.T) {
	dns := world(t, false)
	srv, ca, _ := submission(t, nil)
	code, out, stderr := run(t, []string{envPassword + "=" + smtpPassword}, sendArgs(dns, srv.Addr(), ca, "--yes", "--format", "json")...)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	var rep struct {
		Outcome *struct {
			Verdict, Stage, Route, Server string
			Code                          int
			Reply                         []string
			TLS                           *struct {
				Version  string
				Verified bool
			}
			DKIM *struct {
				Selector, Offline string
				Bits              int
				Published         []struct{ Status string }
			}
			Attempts []struct{ Host, Verdict string }
		} `json:"outcome"`
		Transcript []struct {
			At     float64
			Kind   string
			Secure bool
			Lines  []string
		} `json:"transcript"`
		SendingIPs []string                               `json:"sending_ips"`
		Score      *float64                               `json:"score"`
		Max        float64                                `json:"max"`
		Checks     []struct{ ID, Status, Title string }   `json:"checks"`
		Queries    []struct{ Name, Type, Outcome string } `json:"queries"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	o := rep.Outcome
	if o == nil || o.Verdict != "accepted" || o.Stage != "end of data" || o.Code != 250 || o.Route != srv.Addr() ||
		o.TLS == nil || !o.TLS.Verified || o.DKIM == nil || o.DKIM.Bits != 2048 || o.DKIM.Offline != "pass" ||
		len(o.DKIM.Published) != 1 || o.DKIM.Published[0].Status != "pass" || len(o.Attempts) != 1 {
		t.Fatalf("outcome %+v", o)
	}
	if len(rep.Transcript) < 10 || rep.Score == nil || rep.Max != 10 || len(rep.Queries) == 0 ||
		strings.Join(rep.SendingIPs, ",") != "192.0.2.10" {
		t.Fatalf("shape: %d events, score %v, max %v, %d queries, IPs %v", len(rep.Transcript), rep.Score, rep.Max, len(rep.Queries), rep.SendingIPs)
	}
	ids := map[string]string{}
	for _, c := range rep.Checks {
		ids[c.ID] = c.Status
	}
	for _, id := range []string{"tls.starttls", "smtp.response", "headers.to", "spf.result", "dkim.record", "dkim.key-match", "dkim.signature", "dmarc.alignment"} {
		if ids[id] != "pass" {
			t.Errorf("%s: %q", id, ids[id])
		}
	}
	sawAuth := false
	for _, e := range rep.Transcript {
		if len(e.Lines) > 0 && e.Lines[0] == "AUTH PLAIN ****" && e.Kind == "sent" && e.Secure {
			sawAuth = true
		}
	}
	if !sawAuth {
		t.Error("no masked AUTH line in the transcript")
	}
	if !strings.Contains(stderr, "mailcred send") {
		t.Errorf("the destination should go to stderr with JSON: %q", stderr)
	}
	assertNoPassword(t, out, stderr)
}

func TestSendRefusesWithoutYesWhenNotOnATerminal(t *testing.T) {
	dns := world(t, false)
	srv, ca, conns := submission(t, nil)
	pem, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	loose := filepath.Join(t.TempDir(), "dkim.pem")
	if err := os.WriteFile(loose, pem, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := run(t, nil, sendArgs(dns, srv.Addr(), ca, "--auth-password-file", passwordFile(t), "--dkim-key", loose)...)
	if code != ExitError || !strings.Contains(stderr, "refusing to send without --yes when not on a terminal") {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	if !strings.Contains(stderr, "warning: "+loose+" is readable by every user") {
		t.Errorf("no warning about the key file's mode:\n%s", stderr)
	}
	if !strings.Contains(out, "route       "+srv.Addr()) {
		t.Errorf("the destination is not shown:\n%s", out)
	}
	if conns.Load() != 0 || len(srv.Messages()) != 0 {
		t.Fatal("the server was contacted")
	}
}

func TestSendValidationListsEveryProblem(t *testing.T) {
	srv, _, conns := submission(t, nil)
	code, out, stderr := run(t, nil, "send", "--resolver", "127.0.0.1:1", "--yes", "--via", srv.Addr(),
		"--from", "not an address", "--to", "bob@example.net", "--subject", "two\nlines",
		"--header", "NoColon", "--header", "Bcc: everyone@example.com", "--body", "x", "--body-file", "y",
		"--canon", "loose", "--dkim-key", keyFile, "-4", "-6", "--ip", "300.1.1.1")
	if code != ExitError {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	for _, want := range []string{
		"the message cannot be sent:",
		"--from (From):", "--subject (Subject): contains a line break", `--header "NoColon": want "Name: value"`,
		"--header (Extra[0].Name): a Bcc: field", "give --body or --body-file, not both",
		"--dkim-key needs --selector", `--canon "loose"`, "give -4 or -6, not both", `--ip "300.1.1.1"`,
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if conns.Load() != 0 {
		t.Fatal("the server was contacted")
	}
}

func TestSendAuthWithoutAPasswordOffATerminal(t *testing.T) {
	srv, ca, conns := submission(t, nil)
	code, _, stderr := run(t, nil, sendArgs("127.0.0.1:1", srv.Addr(), ca, "--yes")...)
	if code != ExitError || !strings.Contains(stderr, "--auth-user needs a password") || conns.Load() != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}

func TestSendRejectedExitsOneWithTheExplanation(t *testing.T) {
	dns := world(t, false)
	srv, ca, _ := submission(t, smtptest.RejectAt(smtpx.MAIL, smtptest.Reply{Code: 550, Enhanced: "5.7.1", Lines: []string{
		"Unfortunately, messages from [192.0.2.10] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3140).",
	}}))
	code, out, stderr := run(t, []string{"NO_COLOR=1"}, sendArgs(dns, srv.Addr(), ca, "--yes", "--auth-password-file", passwordFile(t))...)
	if code != ExitFailed {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	for _, want := range []string{
		"REJECTED at MAIL by " + srv.Addr(), "(S3140)", "Provider: outlook", "Refused at MAIL FROM, before any content was sent",
		"Fix: ", "See https://", "✗ fail  smtp.response",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(out)
	}
}

func TestSendNoAnswerExitsTwo(t *testing.T) {
	dns := world(t, false)
	h, err := smtptest.StartHostile(smtptest.Behaviour{Mode: smtptest.DropTLS})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	code, out, stderr := run(t, nil, "send", "--resolver", dns, "--yes", "--via", h.Addr(), "--tls", "starttls",
		"--from", "alice@example.com", "--to", "bob@example.net", "--ip", "192.0.2.10", "--format", "json")
	if code != ExitError || !strings.Contains(stderr, "mailcred: no answer: smtp STARTTLS") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var rep struct {
		Outcome struct{ Verdict, Stage, Error string } `json:"outcome"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Outcome.Verdict != "error" || rep.Outcome.Stage != "STARTTLS" {
		t.Fatalf("%v %+v", err, rep)
	}
}

func TestSendHelp(t *testing.T) {
	code, out, _ := run(t, nil, "send", "--help")
	if code != ExitOK || !strings.Contains(out, "--via") || !strings.Contains(out, "-4, --ipv4") {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

func TestConfirmNeedsAYes(t *testing.T) {
	for answer, want := range map[string]bool{"y\n": true, "YES\n": true, " yes \r\n": true, "\n": false, "n\n": false, "": false, "sure\n": false} {
		var prompt strings.Builder
		if got := confirm(strings.NewReader(answer), &prompt); got != want || prompt.String() != "Send? [y/N] " {
			t.Errorf("answer %q: %v (prompt %q)", answer, got, prompt.String())
		}
	}
}
