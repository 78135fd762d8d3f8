package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailcred/mailcred/session/profile"
)

// The first-run form saves by default: a first run that forgets its
// answers makes the user type them again.
func TestOnboardingSavesByDefault(t *testing.T) {
	if o := newOnboarding(profile.Profile{}); !o.save {
		t.Fatal("the first-run form does not save unless asked")
	}
}

// A relay keeps its host, the AUTH user and where the password comes
// from; the password itself is never written.
func TestOnboardingKeepsTheRelayAndAuth(t *testing.T) {
	o := newOnboarding(profile.Profile{From: "you@example.com"})
	o.route, o.relay, o.pwSource = routeRelay, "smtp.example.com:587", pwFromFile
	o.p.AuthUser, o.p.PasswordFile, o.p.Password = "alice", "/home/alice/.smtp-pw", "hunter2"
	p := o.profile()
	if p.Via != "smtp.example.com:587" || p.AuthUser != "alice" || p.PasswordFile != "/home/alice/.smtp-pw" {
		t.Fatalf("relay answers became via %q, user %q, password file %q", p.Via, p.AuthUser, p.PasswordFile)
	}
	if p.Password != "" {
		t.Fatal("the form put a password into the profile")
	}
	path := filepath.Join(t.TempDir(), "profile.yaml")
	if err := profile.Save(path, p, false); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "hunter2") || !strings.Contains(string(data), "smtp.example.com:587") {
		t.Fatalf("saved profile:\n%s", data)
	}
	// Reopening the form on that profile shows the relay again.
	if again := newOnboarding(p); again.route != routeRelay || again.relay != "smtp.example.com:587" {
		t.Fatalf("reopened: route %q, relay %q", again.route, again.relay)
	}
}

// The workbench sends with the profile's AUTH (it sent without AUTH and
// without a word), the password read from the profile's password file.
func TestWorkbenchUsesTheProfilesAuth(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	g := &globals{}
	g.io.Env = []string{}
	p := profile.Profile{From: "you@example.com", Via: "127.0.0.1:2587", AuthUser: "alice", PasswordFile: pw}
	b, err := profileBench(g, p)
	if err != nil {
		t.Fatal(err)
	}
	if b.Plan.Auth == nil || b.Plan.Auth.User != "alice" || b.Plan.Auth.Password != "s3cret" {
		t.Fatalf("the workbench's plan has AUTH %+v", b.Plan.Auth)
	}
	// Without a password source and no terminal: a clear refusal, not a
	// send without AUTH.
	p.PasswordFile = ""
	if _, err := profileBench(g, p); err == nil || !strings.Contains(err.Error(), "needs a password") {
		t.Fatalf("no password source: %v", err)
	}
}

// The password questions follow the answers before them: none for a
// relay without an AUTH user, the source for one with a user, the file
// only when the password comes from one.
func TestOnboardingAsksForAPasswordOnlyWithAUTH(t *testing.T) {
	for _, tc := range []struct {
		route, user, source string
		password, file      bool
	}{
		{routeRelay, "", pwFromFile, false, false},
		{routeRelay, "  ", pwFromFile, false, false},
		{routeRelay, "alice", pwFromEnv, true, false},
		{routeRelay, "alice", pwAsk, true, false},
		{routeRelay, "alice", pwFromFile, true, true},
		{routeMX, "alice", pwFromFile, false, false},
	} {
		o := newOnboarding(profile.Profile{})
		o.route, o.p.AuthUser, o.pwSource = tc.route, tc.user, tc.source
		if o.asksPassword() != tc.password || o.asksPasswordFile() != tc.file {
			t.Errorf("%s, user %q, %s: asks password %v, file %v; want %v, %v", tc.route, tc.user, tc.source,
				o.asksPassword(), o.asksPasswordFile(), tc.password, tc.file)
		}
	}
}
