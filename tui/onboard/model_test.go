package onboard

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/mailcred/mailcred/session/onboard"
	"github.com/mailcred/mailcred/themes"
	"github.com/mailcred/mailcred/tui/panes"
)

var update = flag.Bool("update", false, "rewrite the golden screens")

// fixture is a report with one step to do that has an action; applied
// counts the writes.
func fixture(applied *int) Checker {
	return func(ctx context.Context, cfg onboard.Config) onboard.Report {
		act := onboard.NewAction("Generate the DKIM key and make exim sign with it",
			"create /etc/exim4/dkim/example.com-mail.pem: a new 2048-bit RSA key, mode 0600, owner Debian-exim\n--- /etc/exim4/exim4.conf.localmacros\n+++ /etc/exim4/exim4.conf.localmacros (after)\n+DKIM_DOMAIN = example.com",
			[]string{"update-exim4.conf", "systemctl reload exim4"},
			func() (onboard.Applied, error) {
				*applied++
				return onboard.Applied{Changes: []onboard.Change{{Path: "/etc/exim4/exim4.conf.localmacros", What: "created, mode 0644", Undo: "rm /etc/exim4/exim4.conf.localmacros"}}}, nil
			})
		return onboard.Report{Checked: time.Date(2026, 12, 6, 7, 0, 0, 0, time.UTC), Steps: []onboard.Step{
			{ID: onboard.StepAddresses, Title: "Public addresses", Status: onboard.Done, State: []string{"seen from outside 203.0.113.5"}},
			{ID: onboard.StepPort25, Title: "Outgoing port 25", Status: onboard.Done},
			{ID: onboard.StepPTR, Title: "Reverse DNS (PTR) of each address", Status: onboard.Todo, Do: []string{"Set the PTR of 2001:db8::5 to mail.example.com."}},
			{ID: onboard.StepDKIM, Title: "DKIM: a key, its record, and the MTA signing", Status: onboard.Todo, State: []string{"no key at /etc/exim4/dkim/example.com-mail.pem"}, Action: act},
		}}
	}
}

// run feeds msg to m and every message its commands produce, in order,
// as the program would (ticks are dropped: no waiting).
func run(m *Model, msg tea.Msg) {
	queue := []tea.Msg{msg}
	for len(queue) > 0 {
		next := queue[0]
		queue = queue[1:]
		if _, ok := next.(tickMsg); ok {
			continue
		}
		_, cmd := m.Update(next)
		if cmd != nil {
			if out := cmd(); out != nil {
				if _, isTick := out.(tickMsg); !isTick {
					queue = append(queue, out)
				}
			}
		}
	}
}

func press(s string) tea.KeyPressMsg {
	if s == "down" {
		return tea.KeyPressMsg{Code: tea.KeyDown}
	}
	return tea.KeyPressMsg{Code: rune(s[0]), Text: s}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	got = ansi.Strip(got)
	if *update {
		os.WriteFile(path, []byte(got), 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if got != string(want) {
		t.Errorf("screen %s differs:\n%s\nwant:\n%s", name, got, want)
	}
}

func checkSize(t *testing.T, screen string) {
	t.Helper()
	lines := strings.Split(screen, "\n")
	if len(lines) != 24 {
		t.Errorf("%d lines, want 24", len(lines))
	}
	for i, l := range lines {
		if w := ansi.StringWidth(l); w > 80 {
			t.Errorf("line %d is %d columns: %q", i, w, l)
		}
	}
}

// The path at 80×24: the steps with their status, the selected step's
// detail; the action's preview in full before anything happens; "n"
// changes nothing; "y" applies once and re-checks.
func TestPreviewThenExplicitYes(t *testing.T) {
	applied := 0
	m := New(Options{Config: onboard.Config{Domain: "example.com"}, Check: fixture(&applied), Interval: -1, Theme: themes.Mono()})
	run(m, m.Init()())
	checkSize(t, m.Screen())
	for range 3 {
		run(m, press("down"))
	}
	golden(t, "browse-dkim", m.Screen())
	run(m, press("a"))
	screen := m.Screen()
	checkSize(t, screen)
	golden(t, "confirm-dkim", screen)
	screen = strings.Join(strings.Fields(ansi.Strip(screen)), " ")
	for _, want := range []string{"mode 0600, owner Debian-exim", "+DKIM_DOMAIN = example.com", "systemctl reload exim4", "Apply? [y/N]"} {
		if !strings.Contains(screen, want) {
			t.Errorf("preview lacks %q", want)
		}
	}
	run(m, press("n"))
	if applied != 0 || !strings.Contains(m.Screen(), "nothing changed") {
		t.Fatalf("after n: applied %d times\n%s", applied, m.Screen())
	}
	run(m, press("a"))
	run(m, press("y"))
	if applied != 1 || len(m.Changes()) != 1 {
		t.Fatalf("after y: applied %d times, %d changes", applied, len(m.Changes()))
	}
	run(m, press("s"))
	if !strings.Contains(strings.Join(strings.Fields(m.Screen()), " "), "undo: rm /etc/exim4/exim4.conf.localmacros") {
		t.Errorf("summary:\n%s", m.Screen())
	}
}

// A tick under an open preview does not re-check: what was shown stays
// what "y" applies.
func TestNoRecheckUnderAPreview(t *testing.T) {
	applied, checks := 0, 0
	inner := fixture(&applied)
	m := New(Options{Check: func(ctx context.Context, c onboard.Config) onboard.Report { checks++; return inner(ctx, c) }, Interval: -1, Theme: themes.Mono()})
	run(m, m.Init()())
	for range 3 {
		run(m, press("down"))
	}
	run(m, press("a"))
	m.opts.Interval = time.Minute // ticks are sent by hand below
	m.Update(tickMsg{})           // its command, the next tick, is not run: it would wait a minute
	if m.running || m.gen != 1 {
		t.Error("a tick started a re-check under the preview")
	}
	if checks != 1 {
		t.Errorf("%d checks", checks)
	}
}

// As a workbench pane: exactly the size given, the workbench's own keys
// never apply anything, enter previews and y applies once.
func TestPaneInTheWorkbench(t *testing.T) {
	applied := 0
	ctx := panes.NewContext()
	ctx.Theme = themes.Mono()
	p := NewPane(ctx, Options{Config: onboard.Config{Domain: "example.com"}, Check: fixture(&applied), Interval: -1})
	p.SetSize(60, 14)
	runPane(p, p.Init()())
	if lines := strings.Split(p.View(), "\n"); len(lines) != 14 {
		t.Fatalf("%d lines, want 14", len(lines))
	}
	if p.Title() != "Onboarding (2 to do)" {
		t.Errorf("title %q", p.Title())
	}
	for range 3 {
		runPane(p, press("down"))
	}
	for _, k := range []string{"a", "s", "r"} {
		runPane(p, press(k))
	}
	runPane(p, tea.KeyPressMsg{Code: tea.KeyEnter})
	if !strings.Contains(p.View(), "Apply? [y/N]") {
		t.Fatalf("enter did not preview:\n%s", p.View())
	}
	runPane(p, press("y"))
	if applied != 1 || len(p.Changes()) != 1 {
		t.Errorf("applied %d times", applied)
	}
}

func runPane(p *Pane, msg tea.Msg) {
	queue := []tea.Msg{msg}
	for len(queue) > 0 {
		next := queue[0]
		queue = queue[1:]
		if cmd := p.Update(next); cmd != nil {
			if out := cmd(); out != nil {
				queue = append(queue, out)
			}
		}
	}
}

// A long line of a step's state or to-do keeps its indentation when it
// wraps, and a URL in it is never cut in two: it stays on one line, a
// link (OSC 8) to the whole address even where the screen cuts it short.
func TestDetailWrapsUnderItsIndentation(t *testing.T) {
	const url = "https://docs.example-hosting.test/networking/reverse-dns-for-your-server"
	got := hanging("→ ", "Set the PTR of 2001:db8::5 to mail.example.com in the provider's panel, "+url, 40)
	if len(got) < 3 || !strings.HasPrefix(got[0], "→ Set the PTR") {
		t.Fatalf("%q", got)
	}
	seen := false
	for _, l := range got[1:] {
		plain := ansi.Strip(l)
		if !strings.HasPrefix(plain, "  ") || strings.HasPrefix(plain, "   ") {
			t.Errorf("continuation %q is not indented under the text", plain)
		}
		seen = seen || strings.Contains(l, "\x1b]8;;"+url+"\a")
	}
	if !seen {
		t.Errorf("the URL was broken: %q", got)
	}
}
