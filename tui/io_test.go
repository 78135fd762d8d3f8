package tui

import (
	"context"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/mailcred/mailcred/tui/panes"
)

// drain runs cmd and everything it leads to, feeding each message to
// Update, as the program's loop would (commands run outside Update).
// Commands that only wait on a clock are not run.
func drain(t *testing.T, m *Model, cmd tea.Cmd) *Model {
	t.Helper()
	queue := []tea.Cmd{cmd}
	for steps := 0; len(queue) > 0; steps++ {
		if steps > 10_000 {
			t.Fatal("commands did not settle")
		}
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		msg := c()
		switch msg := msg.(type) {
		case nil:
		case tea.BatchMsg:
			queue = append(queue, msg...)
		default:
			next, more := m.Update(msg)
			m = next.(*Model)
			queue = append(queue, more)
		}
	}
	return m
}

// Update must never reach the bench: every call (evidence, resolver,
// describe, send) happens in a command. The test bench records calls made
// with (*Model).Update on the stack.
func TestUpdateNeverTouchesTheBench(t *testing.T) {
	b := newTestBench()
	m, err := New(Config{Theme: "mono", Bench: b, Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	m.tick = noTick
	next, _ := m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	m = drain(t, next.(*Model), m.Init())
	for _, k := range []string{"r", "s", "y", "r", "tab", "k", "s", "n", "e"} {
		var cmd tea.Cmd
		m, cmd = press(t, m, k)
		m = drain(t, m, cmd)
	}
	if b.calls != 1 {
		t.Fatalf("%d sends, want 1", b.calls)
	}
	if err := b.touchedFromUpdate(); err != nil {
		t.Fatal(err)
	}
}

// The guard itself: a call made from Update is caught.
func TestTheBenchGuardCatchesUpdate(t *testing.T) {
	b := newTestBench()
	b.touched("probe") // not from Update
	if err := b.touchedFromUpdate(); err != nil {
		t.Fatalf("a call outside Update was counted: %v", err)
	}
	// A pane that asks the bench when a message reaches it, as a careless
	// Update would.
	m, err := New(Config{Theme: "mono", Bench: b, Now: func() time.Time { return fixedNow },
		Extra: []func(*panes.Context) panes.Component{func(*panes.Context) panes.Component { return &careless{b: b} }}})
	if err != nil {
		t.Fatal(err)
	}
	m.Update(probeMsg{})
	if b.touchedFromUpdate() == nil {
		t.Fatal("a call made inside Update was not caught")
	}
}

type probeMsg struct{}

type careless struct {
	extraPane
	b *testBench
}

func (c *careless) Update(msg tea.Msg) tea.Cmd {
	if _, ok := msg.(probeMsg); ok {
		_, _ = c.b.Evidence(context.Background())
	}
	return nil
}

// noTick keeps tests from waiting on the live line's one-second refresh:
// they send sendTickMsg themselves.
func noTick() tea.Cmd { return nil }
