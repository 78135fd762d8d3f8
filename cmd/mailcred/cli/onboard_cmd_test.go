package cli

import (
	"strings"
	"testing"

	"github.com/mailcred/mailcred/session/smtptest"
)

// onboard --once prints every step from a loopback world and changes
// nothing; without a terminal the interactive mode refuses.
func TestOnboardOnce(t *testing.T) {
	resolver := world(t, false)
	ln, err := smtptest.Greet("tcp4", "127.0.0.1:0", "220 mx.test ESMTP")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	code, out, errOut := run(t, nil, "onboard", "--once", "--resolver", resolver, "--domain", "example.com",
		"--mta-command", "/nonexistent/exim4", "--whoami", "127.0.0.1:1/myip.test/A", "--port25-target", ln.Addr().String(),
		"--probe-timeout", "1s")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"1. Public addresses", "2. Outgoing port 25 — done", "open — 220 mx.test ESMTP",
		"5. SPF authorises the sending addresses", "7. DMARC, staged none → quarantine → reject", "9. Test send through the MTA (closed loop)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if code, _, errOut := run(t, nil, "onboard", "--resolver", resolver, "--domain", "example.com", "--mta-command", "/nonexistent/exim4"); code != 2 || !strings.Contains(errOut, "--once") {
		t.Errorf("without a terminal: exit %d %q", code, errOut)
	}
	if code, _, errOut := run(t, nil, "onboard", "--once", "--resolver", resolver, "--domain", "example.com", "--whoami", "bad"); code != 2 || !strings.Contains(errOut, "SERVER:PORT/NAME/TYPE") {
		t.Errorf("bad --whoami: exit %d %q", code, errOut)
	}
}
