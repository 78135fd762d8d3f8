package scoring_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The engine stands alone: nothing under scoring depends on the send
// session, the terminal UI or its styling (themes, lipgloss, bubbletea),
// so the CLI, the TUI and the demo world can all build on it, and a check
// can be reused without them.
func TestEngineImportsNoSessionNorStyling(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH")
	}
	// Run from this directory: ./... is every package under scoring.
	out, err := exec.Command(gobin, "list", "-deps", "-f", `{{.ImportPath}}`, "./...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	forbidden := []string{
		"github.com/mailcred/mailcred/session",
		"github.com/mailcred/mailcred/tui",
		"github.com/mailcred/mailcred/cmd",
		"github.com/mailcred/mailcred/themes",
		"charm.land/lipgloss/v2",
		"charm.land/bubbletea/v2",
		"charm.land/bubbles/v2",
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list gave %d packages; the check would prove nothing", len(deps))
	}
	for _, d := range deps {
		for _, f := range forbidden {
			if d == f || strings.HasPrefix(d, f+"/") {
				t.Errorf("a package under scoring depends on %s", d)
			}
		}
	}
}
