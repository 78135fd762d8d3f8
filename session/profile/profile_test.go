package profile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPathFollowsXDG(t *testing.T) {
	env := map[string]string{"XDG_CONFIG_HOME": "/x", "HOME": "/home/u"}
	if p, _ := Path(func(k string) string { return env[k] }); p != "/x/mailcred/profile.yaml" {
		t.Fatalf("with XDG_CONFIG_HOME: %s", p)
	}
	delete(env, "XDG_CONFIG_HOME")
	if p, _ := Path(func(k string) string { return env[k] }); p != "/home/u/.config/mailcred/profile.yaml" {
		t.Fatalf("without: %s", p)
	}
}

func TestSaveLoadRoundTripWithoutThePassword(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mailcred", "profile.yaml")
	if _, err := Load(path); !errors.Is(err, ErrNoProfile) {
		t.Fatalf("missing file: %v", err)
	}
	p := Profile{From: "you@example.com", IPs: []string{"192.0.2.25"}, Selector: "s1", Password: "hunter2", PasswordFile: "/etc/mailcred/pw"}
	if err := Save(path, p, false); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", st.Mode().Perm())
	}
	raw, _ := os.ReadFile(path)
	if strings.Contains(string(raw), "hunter2") {
		t.Fatal("the password was stored without being asked to")
	}
	got, err := Load(path)
	if err != nil || got.From != p.From || got.PasswordFile != p.PasswordFile || got.SendingDomain() != "example.com" {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	if err := Save(path, p, true); err != nil {
		t.Fatal(err)
	}
	if got, _ := Load(path); got.Password != "hunter2" {
		t.Fatal("keepPassword did not keep it")
	}
}

func TestBadFileNamesTheProblem(t *testing.T) {
	path := filepath.Join(t.TempDir(), "profile.yaml")
	os.WriteFile(path, []byte("from: you@example.com\nfrmo: typo\n"), 0o600)
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "frmo") {
		t.Fatalf("unknown key: %v", err)
	}
}

func TestEnvOverridesAndValidation(t *testing.T) {
	p := Profile{From: "you@example.com"}
	env := map[string]string{"MAILCRED_IPS": "192.0.2.25, 2001:db8::25", "MAILCRED_SELECTOR": "s2"}
	p.ApplyEnv(func(k string) string { return env[k] })
	if len(p.Addrs()) != 2 || p.Selector != "s2" {
		t.Fatalf("env not applied: %+v", p)
	}
	bad := Profile{From: "nope", IPs: []string{"300.1.1.1"}, Selector: "a b"}
	if errs := bad.Validate(); len(errs) != 3 {
		t.Fatalf("want 3 problems, got %v", errs)
	}
}
