package session

import (
	"strings"
	"testing"

	"github.com/mailcred/mailcred/session/smtpc"
)

// The confirmation (CLI and workbench both read Destination.Auth) says
// which rule lets the AUTH password go.
func TestConfirmationSaysWhenThePasswordIsSent(t *testing.T) {
	creds := &smtpc.Credentials{User: "alice", Password: "secret"}
	for _, tc := range []struct {
		via, tls string
		override bool
		want     string
	}{
		{"smtp.example.com:587", "starttls", false, "sent only if the server's certificate verifies; otherwise the send stops before AUTH (--auth-unverified-tls overrides)"},
		{"smtp.example.com:587", "starttls", true, "even if the certificate does not verify (--auth-unverified-tls)"},
		{"127.0.0.1:587", "starttls", false, "this machine (loopback)"},
		{"localhost:587", "implicit", false, "this machine (loopback)"},
	} {
		route, err := ParseRoute(tc.via, tc.tls)
		if err != nil {
			t.Fatal(err)
		}
		p := Plan{Route: route, Auth: creds, AllowUnverifiedAuth: tc.override}
		if got := p.authNote(); !strings.Contains(got, tc.want) || strings.Contains(got, "secret") {
			t.Errorf("%s %s override=%v: %q, want %q", tc.via, tc.tls, tc.override, got, tc.want)
		}
	}
	if (Plan{}).authNote() != "" {
		t.Error("a plan without AUTH has an AUTH note")
	}
}
