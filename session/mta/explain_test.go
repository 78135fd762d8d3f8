package mta

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/mailcred/mailcred/session/smtpc"
)

func TestFailuresExplainTheMTAsOwnWords(t *testing.T) {
	kb, err := LoadFailures()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		r    Result
		want string
	}{
		{Result{Kind: Exim, Status: StatusFrozen, Reason: "delivery error message"}, "exim.frozen"},
		{Result{Kind: Exim, Status: StatusDeferred, Reason: "retry time not reached for any host for 'x.test'"}, "exim.retry-not-reached"},
		{Result{Kind: Exim, Status: StatusBounced, Reason: "retry timeout exceeded: all hosts for 'x.test' have been failing for a long time"}, "exim.all-hosts-failing"},
		{Result{Kind: Exim, Status: StatusDeferred, Reason: "Network is unreachable"}, "mta.ipv6-unreachable"},
		{Result{Kind: Postfix, Status: StatusDeferred, Reason: "connect to mx.x.test[2001:db8::25]:25: Network is unreachable"}, "mta.ipv6-unreachable"},
		{Result{Kind: Postfix, Status: StatusDeferred, Reason: "connect to mx.x.test[192.0.2.1]:25: Connection timed out"}, "mta.port25-timeout"},
		{Result{Kind: Exim, Status: StatusBounced, Reason: "Mailing to remote domains not supported"}, "exim.remote-domains-not-supported"},
		{Result{Kind: Postfix, Status: StatusDeferred, Reason: "lost connection"}, "postfix.deferred"},
		{Result{Kind: Exim, Status: StatusDeferred, Reason: "Connection refused"}, "mta.connection-refused"},
	} {
		got := kb.Explain(c.r)
		if got == nil || got.ID != c.want {
			t.Errorf("%v %q: got %+v, want %s", c.r.Status, c.r.Reason, got, c.want)
		}
	}
	if got := kb.Explain(Result{Kind: Exim, Status: StatusDelivered}); got != nil {
		t.Errorf("a delivery explained as %s", got.ID)
	}
	// A remote refusal is the remote reply's to explain, not a generic MTA entry.
	r := Result{Kind: Postfix, Status: StatusBounced, Reason: "host x said: 550 no", Reply: smtpc.Reply{Code: 550}}
	if got := kb.Explain(r); got != nil {
		t.Errorf("a remote refusal got the generic %s", got.ID)
	}
}

func TestFailuresDataIsChecked(t *testing.T) {
	for _, bad := range []string{
		"entries:\n  - id: x\n    meaning: m\n    fix: f\n",                                  // no source
		"entries:\n  - id: x\n    meaning: m\n    fix: f\n    source: s\n    match: \"(\"\n", // bad regexp
		"entries:\n  - id: x\n    meaning: m\n    fix: f\n    source: s\n    status: gone\n",
	} {
		if _, err := parseFailures([]byte(bad)); err == nil {
			t.Errorf("accepted:\n%s", bad)
		}
	}
}

func TestParseCommand(t *testing.T) {
	c, err := ParseCommand(`exim4 -C "/etc/exim4/my candidate.conf"`, "")
	if err != nil || c.Kind != Exim || len(c.Argv) != 3 || c.ConfigFile() != "/etc/exim4/my candidate.conf" {
		t.Fatalf("%+v %v", c, err)
	}
	if c.String() != `exim4 -C '/etc/exim4/my candidate.conf'` {
		t.Errorf("String %q", c.String())
	}
	if c, err := ParseCommand("/usr/sbin/sendmail", ""); err != nil || c.Kind != Postfix || c.ConfigFile() != "" {
		t.Errorf("sendmail: %+v %v", c, err)
	}
	for _, bad := range []string{"", "msmtp -a x", "exim4 'unclosed", "exim4 \x1b[2J"} {
		if _, err := ParseCommand(bad, ""); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestDetect(t *testing.T) {
	root := t.TempDir()
	for _, p := range []string{"usr/sbin/exim4", "usr/sbin/postfix", "usr/bin/msmtp"} {
		os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755)
		os.WriteFile(filepath.Join(root, p), []byte("#!/bin/sh\n"), 0o755)
	}
	os.MkdirAll(filepath.Join(root, "etc/exim4"), 0o755)
	os.WriteFile(filepath.Join(root, "etc/exim4/update-exim4.conf.conf"), nil, 0o644)
	found := Detect(root)
	if len(found) != 3 || found[0].Kind != Exim || found[0].Config != "/etc/exim4/update-exim4.conf.conf" || found[1].Kind != Postfix || found[2].Kind != Msmtp {
		t.Fatalf("%v", found)
	}
	if p, ok := Primary(found); !ok || p.Kind != Exim || p.Binary != "/usr/sbin/exim4" {
		t.Errorf("primary %v %v", p, ok)
	}
	if _, ok := Primary(Detect(t.TempDir())); ok {
		t.Error("an empty root has a primary MTA")
	}
}
