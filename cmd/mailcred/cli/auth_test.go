package cli

import (
	"net"
	"strings"
	"testing"

	"github.com/mailcred/mailcred/scoring/dnstest"
)

// smtpByName serves smtp.example.com → 127.0.0.1, so the submission
// server is reached by a name (not loopback by name) on loopback.
func smtpByName(t *testing.T) string {
	t.Helper()
	srv, err := dnstest.Start("smtp.example.com. 300 IN A 127.0.0.1\n")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv.Addr
}

func TestSendStopsBeforeAUTHOverUnverifiedTLS(t *testing.T) {
	dns := smtpByName(t)
	srv, _, _ := submission(t, nil)
	_, port, _ := net.SplitHostPort(srv.Addr())
	args := []string{"send", "--resolver", dns, "--via", "smtp.example.com:" + port, "--tls", "starttls",
		"--from", "alice@example.com", "--to", "bob@example.net", "--ip", "192.0.2.10", "--auth-user", smtpUser,
		"--auth-password-file", passwordFile(t), "--yes", "--timeout", "200ms"}

	code, out, stderr := run(t, nil, args...)
	all := out + stderr
	if code == ExitOK || !strings.Contains(all, "did not verify") || !strings.Contains(all, "--auth-unverified-tls") ||
		!strings.Contains(all, "name mismatch") {
		t.Fatalf("exit %d: want a stop naming the certificate problem and the override\n%s", code, all)
	}
	if code != ExitError || !strings.Contains(all, "NOT SENT (AUTH): the password was withheld") || strings.Contains(all, "No answer") {
		t.Errorf("exit %d: the stop must read as a withheld password, not a silent server\n%s", code, all)
	}
	if strings.Contains(out, "~>  AUTH") || len(srv.Messages()) != 0 {
		t.Fatalf("AUTH was sent or mail delivered:\n%s", out)
	}
	// The confirmation said so before anything was sent.
	if !strings.Contains(strings.Join(strings.Fields(out), " "), "the password is sent only if the server's certificate verifies") {
		t.Errorf("confirmation does not say which rule applies:\n%s", out)
	}
	assertNoPassword(t, out, stderr)

	code, out, stderr = run(t, nil, append(args, "--auth-unverified-tls")...)
	if !strings.Contains(out, "~>  AUTH PLAIN ****") ||
		!strings.Contains(strings.Join(strings.Fields(out), " "), "even if the certificate does not verify (--auth-unverified-tls)") {
		t.Fatalf("override: exit %d\n%s\n%s", code, out, stderr)
	}
	assertNoPassword(t, out, stderr)
}
