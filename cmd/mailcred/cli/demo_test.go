package cli

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/mailcred/mailcred/session/demo"
	"github.com/mailcred/mailcred/tui"
)

// TestDemoWorkbenchSendsAndFixes drives the real program (teatest) on the
// demo world: the first run shows the story's failures, a send to the
// Gmail-like server is refused after the confirmation, and applying the
// SPF fix turns spf.record green.
func TestDemoWorkbenchSendsAndFixes(t *testing.T) {
	ctx := context.Background()
	w, err := demo.Start(ctx, demo.Options{Propagation: -1, Ramp: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	m, err := tui.New(demoConfig(w, "mono", 0))
	if err != nil {
		t.Fatal(err)
	}
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(80, 24),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii), tea.WithEnvironment([]string{"TERM=xterm"})))
	waitScreen := func(what string) {
		t.Helper()
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(what)) },
			teatest.WithDuration(15*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
	}
	waitScreen("No SPF record at example.com")
	tm.Send(tea.KeyPressMsg{Code: 's', Text: "s"})
	waitScreen("y send")
	tm.Send(tea.KeyPressMsg{Code: 'y', Text: "y"})
	waitScreen("rejected at RCPT")
	tm.Send(tea.KeyPressMsg{Code: 'a', Text: "a"}) // spf.record is selected: publish SPF
	// The world publishes the record, says so, and the checks re-run:
	// the row is marked with what it changed from.
	waitScreen("(was fail,")
	tm.Send(tea.KeyPressMsg{Code: 'q', Text: "q"})
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*tui.Model).Screen()
	if !strings.Contains(final, "One valid SPF record") || !strings.Contains(final, "(was fail,") {
		t.Fatalf("after applying the SPF fix:\n%s", final)
	}
	out, _ := io.ReadAll(tm.FinalOutput(t))
	if strings.Contains(string(out), "\x1b]52") {
		t.Fatal("an OSC 52 sequence was written without a copy request")
	}
}
