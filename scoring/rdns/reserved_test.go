package rdns

import (
	"context"
	"strings"
	"testing"

	"github.com/mailcred/mailcred/scoring"
)

func runHELOFor(t *testing.T, ev scoring.Evidence, zone ...string) scoring.Result {
	t.Helper()
	env, srv := newEnv(t, ev)
	for _, line := range zone {
		if err := srv.AddRecord(line); err != nil {
			t.Fatal(err)
		}
	}
	res := scoring.RunAll(context.Background(), env, []scoring.Check{{ID: "rdns.helo", Run: runHELO}})[0]
	t.Logf("%s: %s\n%s", res.Status, res.Title, res.Detail)
	if res.Fix != nil {
		t.Logf("fix: %s\n%s", res.Fix.Summary, res.Fix.Snippet)
	}
	return res
}

// RFC 6761 §6.2: .test is reserved for testing. A HELO under the sending
// domain's own reserved suffix is judged by DNS like any other, and a
// refused HELO is never answered with the same name as its fix.
func TestReservedTLDHELONeverSuggestsItself(t *testing.T) {
	res := runHELOFor(t, scoring.Evidence{Domain: "example.test", HELO: "mail.example.test", IPs: ips("203.0.113.5")},
		"mail.example.test. A 203.0.113.5", "5.113.0.203.in-addr.arpa. PTR mail.example.test.")
	if res.Status != scoring.Pass {
		t.Errorf("HELO in the sending domain's own .test zone: %s, want pass", res.Status)
	}

	res = runHELOFor(t, scoring.Evidence{Domain: "example.test", HELO: "vps.localdomain", IPs: ips("203.0.113.5")})
	if res.Status != scoring.Fail {
		t.Fatalf("status %s", res.Status)
	}
	for _, name := range []string{"vps.localdomain", "mail.example.test"} {
		if res.Fix == nil || strings.Contains(res.Fix.Summary+res.Fix.Snippet, "EHLO "+name) {
			t.Errorf("fix suggests a reserved name %s: %+v", name, res.Fix)
		}
	}
}
