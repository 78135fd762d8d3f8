package themes

import (
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
)

func TestEveryNamedThemeBuilds(t *testing.T) {
	for _, name := range Names() {
		for _, dark := range []bool{true, false} {
			th, err := New(name, dark)
			if err != nil || th.Name != name {
				t.Fatalf("New(%q, %v) = %v, %v", name, dark, th.Name, err)
			}
		}
	}
	if _, err := New("solarized", true); err == nil || !strings.Contains(err.Error(), "high-contrast") {
		t.Fatalf("unknown theme error should list the themes: %v", err)
	}
}

func TestStatusesDifferWithoutColour(t *testing.T) {
	th := Mono()
	seen := map[string]string{}
	for _, s := range []string{"pass", "warn", "fail", "info", "skip", "error", "pending"} {
		_, sym := th.Status(s)
		if other, dup := seen[sym]; dup {
			t.Fatalf("%s and %s share the symbol %q", s, other, sym)
		}
		seen[sym] = s
	}
}

func TestMonoEmitsNoColour(t *testing.T) {
	out := Mono().Fail.Render("x")
	if strings.Contains(out, "\x1b[3") || strings.Contains(out, "38;") {
		t.Fatalf("mono fail style emits a colour: %q", out)
	}
	if lipgloss.Width(out) != 1 {
		t.Fatalf("width %d", lipgloss.Width(out))
	}
}

func TestNoColorAcceptsAnyNonEmptyValue(t *testing.T) {
	for env, want := range map[string]bool{"NO_COLOR=1": true, "NO_COLOR=yes": true, "NO_COLOR=": false, "TERM=xterm": false} {
		if got := NoColor([]string{env}); got != want {
			t.Errorf("NoColor(%q) = %v, want %v", env, got, want)
		}
	}
}
