package interop

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailcred/mailcred/scoring/smtpx"
	"github.com/mailcred/mailcred/session/smtptest"
)

const swaksInstall = "apt-get install -y --no-install-recommends swaks libnet-ssleay-perl"

// swaks's exit codes (swaks(1), EXIT CODES) the cases expect.
const (
	swaksOK          = 0
	swaksNoRcpt      = 24 // no RCPTs accepted
	swaksAfterData   = 26 // server did not accept mail following data
	swaksTLSFailed   = 29 // error in TLS transaction
	swaksAuthRefused = 28 // error in AUTH transaction
)

// swaks, the reference SMTP client, talks to mailcred's test server
// (go-smtp via smtptest) with STARTTLS, verifying the chain against the
// test CA (swaks 20201014 checks the chain; the name is ours to check in
// smtpc). This proves smtptest a sane peer: what its servers accept and
// refuse in mailcred's own tests, a real client sees the same way.
func TestSwaksTalksToOurTestServer(t *testing.T) {
	bin := lookPeer(t, swaksInstall, "swaks")
	const user, password = "alice", "correct horse battery staple"
	cases := []struct {
		name     string
		opts     smtptest.Options
		args     []string
		otherCA  bool // verify against a CA that did not issue the server's certificate
		wantExit int
		wantOut  []string // in swaks's output, in order
		wantUser string   // the authenticated user of the accepted message
	}{
		{
			name:     "STARTTLS verified, our DKIM-signed message accepted intact",
			wantExit: swaksOK,
			wantOut:  []string{"-> STARTTLS", "<-  220 ", "~> EHLO " + heloName, "~> MAIL FROM:<" + fromAddr + ">", "<~  250 "},
		},
		{
			name:     "AUTH PLAIN under TLS",
			opts:     smtptest.Options{Users: map[string]string{user: password}, RequireAuth: true},
			args:     []string{"--auth", "PLAIN", "--auth-user", user, "--auth-password", password},
			wantExit: swaksOK,
			wantOut:  []string{"~> AUTH PLAIN", "<~  235 "},
			wantUser: user,
		},
		{
			name:     "AUTH LOGIN under TLS (smtptest's own LOGIN server)",
			opts:     smtptest.Options{Users: map[string]string{user: password}, RequireAuth: true},
			args:     []string{"--auth", "LOGIN", "--auth-user", user, "--auth-password", password},
			wantExit: swaksOK,
			wantOut:  []string{"~> AUTH LOGIN", "<~  334 ", "<~  235 "},
			wantUser: user,
		},
		{
			name:     "wrong password refused with 535 5.7.8",
			opts:     smtptest.Options{Users: map[string]string{user: password}, RequireAuth: true},
			args:     []string{"--auth", "PLAIN", "--auth-user", user, "--auth-password", "wrong"},
			wantExit: swaksAuthRefused,
			wantOut:  []string{"<~* 535 5.7.8"},
		},
		{
			name: "scripted refusal at RCPT",
			opts: smtptest.Options{Policy: smtptest.RejectAt(smtpx.RCPT,
				smtptest.Reply{Code: 550, Enhanced: "5.1.1", Lines: []string{"no such user here"}})},
			wantExit: swaksNoRcpt,
			wantOut:  []string{"~> RCPT TO:<" + toAddr + ">", "<~* 550 5.1.1 no such user here"},
		},
		{
			// go-smtp sends the enhanced code on the last line only.
			name: "scripted refusal at the end of data, multi-line",
			opts: smtptest.Options{Policy: smtptest.RejectAt(smtpx.EndOfData,
				smtptest.Reply{Code: 554, Enhanced: "5.7.1", Lines: []string{"message refused", "see the policy page"}})},
			wantExit: swaksAfterData,
			wantOut:  []string{"<~* 554-message refused", "<~* 554 5.7.1 see the policy page"},
		},
		{
			name:     "a chain from another CA fails verification",
			otherCA:  true,
			wantExit: swaksTLSFailed,
			wantOut:  []string{"-> STARTTLS", "<-  220 "},
		},
	}
	msg, pubs := signedMessage(t)
	dir := t.TempDir()
	msgFile := filepath.Join(dir, "message.eml")
	// swaks sends CRLF "." CRLF after whatever --data holds, so a message
	// that ends in CRLF would gain an empty line (harmless to DKIM, whose
	// body canonicalizations ignore trailing empty lines, but no longer the
	// same bytes). Given the closing dot itself, swaks sends the message
	// exactly.
	if err := os.WriteFile(msgFile, append(append([]byte(nil), msg...), ".\r\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cert, err := smtptest.NewCertificate(mxName, "127.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			o := c.opts
			o.Domain, o.Certificate = mxName, cert
			srv, err := smtptest.Start(o)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { srv.Close() })

			caDir := t.TempDir()
			ca := cert
			if c.otherCA {
				if ca, err = smtptest.NewCertificate(mxName); err != nil {
					t.Fatal(err)
				}
			}
			writePEM(t, ca, caDir, "ca.pem", "")
			args := append([]string{
				"--server", srv.Addr(), "--tls", "--tls-verify", "--tls-ca-path", filepath.Join(caDir, "ca.pem"),
				"--ehlo", heloName, "--from", fromAddr, "--to", toAddr,
				"--data", "@" + msgFile, "--timeout", "30",
			}, c.args...)
			cmd := exec.CommandContext(testContext(t), bin, args...)
			// No ~/.swaksrc, no SWAKS_OPT_* from the caller's environment.
			cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + caDir}
			out, err := cmd.CombinedOutput()
			exit := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				exit = ee.ExitCode()
			} else if err != nil {
				t.Fatalf("swaks: %v", err)
			}
			t.Logf("swaks %s:\n%s", strings.Join(args, " "), out)
			if exit != c.wantExit {
				t.Errorf("swaks exited %d, want %d", exit, c.wantExit)
			}
			rest := out
			for _, w := range c.wantOut {
				i := bytes.Index(rest, []byte(w))
				if i < 0 {
					t.Errorf("swaks output lacks %q (in order)", w)
					break
				}
				rest = rest[i+len(w):]
			}

			msgs := srv.Messages()
			if c.wantExit != swaksOK {
				if len(msgs) != 0 {
					t.Errorf("%d messages accepted, want none", len(msgs))
				}
				return
			}
			if len(msgs) != 1 {
				t.Fatalf("%d messages accepted, want 1", len(msgs))
			}
			m := msgs[0]
			if !m.TLS || m.Helo != heloName || m.From != fromAddr || strings.Join(m.To, ",") != toAddr || m.User != c.wantUser {
				t.Errorf("accepted TLS=%v helo=%q from=%q to=%v user=%q", m.TLS, m.Helo, m.From, m.To, m.User)
			}
			if !bytes.Equal(m.Data, msg) {
				t.Errorf("the message changed between swaks and the server:\nsent:\n%s\nreceived:\n%s", msg, m.Data)
			}
			checkSignatures(t, "the copy the test server received from swaks", m.Data, pubs)
		})
	}
}
