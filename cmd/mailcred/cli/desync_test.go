package cli

import (
	"strings"
	"testing"

	"github.com/mailcred/mailcred/session/smtptest"
)

// A server that sends one reply too many is reported as out of sync at
// the stage where it was caught, never as accepting the message.
func TestSendDesyncIsNeverAcceptance(t *testing.T) {
	for _, after := range []string{"MAIL", "."} {
		t.Run(after, func(t *testing.T) {
			dns := world(t, false)
			h, err := smtptest.StartHostile(smtptest.Behaviour{Mode: smtptest.Desync, DesyncAfter: after})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { h.Close() })
			code, out, stderr := run(t, nil, "send", "--resolver", dns, "--yes", "--via", h.Addr(), "--tls", "none",
				"--from", "alice@example.com", "--to", "bob@example.net", "--ip", "192.0.2.10")
			all := out + stderr
			if code != ExitFailed || !strings.Contains(all, "SERVER OUT OF SYNC") || !strings.Contains(all, "Server out of sync at") {
				t.Fatalf("exit %d, want a failure saying the server is out of sync\n%s", code, all)
			}
			for _, never := range []string{"took responsibility", "ACCEPTED"} {
				if strings.Contains(all, never) {
					t.Errorf("output says %q after a desync:\n%s", never, all)
				}
			}
		})
	}
}
