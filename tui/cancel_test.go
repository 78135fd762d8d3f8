package tui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/mailcred/mailcred/session/smtpc"
)

// A send can be cancelled at any stage; while it waits, the footer says
// what for and for how long ("waiting for the greeting (12 s)"), by a
// clock the test moves.
func TestSendShowsWhatItWaitsForAndCancels(t *testing.T) {
	now := fixedNow
	b := newTestBench()
	b.release = make(chan struct{}) // the server never greets
	b.events = []smtpc.Event{{Kind: smtpc.KindConnect, Lines: []string{"Connected to 127.0.0.2:2525 from 127.0.0.1:40000"}}}
	m, err := New(Config{Theme: "mono", Bench: b, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	m.tick = noTick
	next, _ := m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	m = next.(*Model)
	m, cmd := press(t, m, "s")
	m = drain(t, m, cmd)
	m, cmd = press(t, m, "y")
	stream := cmd().(sendStartedMsg).stream
	next, _ = m.Update(<-stream) // connected
	m = next.(*Model)
	now = now.Add(12 * time.Second)
	next, _ = m.Update(sendTickMsg{})
	m = next.(*Model)
	lines := strings.Split(m.render(), "\n")
	if foot := ansi.Strip(lines[len(lines)-1]); !strings.Contains(foot, "waiting for the greeting (12 s)") {
		t.Fatalf("footer while waiting: %q", foot)
	}
	m, _ = press(t, m, "esc")
	select {
	case msg := <-stream: // the session gives up at once
		next, _ = m.Update(msg)
		m = next.(*Model)
	case <-time.After(10 * time.Second):
		t.Fatal("esc did not cancel the send")
	}
	if m.sending || !strings.Contains(m.status, "cancelled") {
		t.Fatalf("after esc: sending %v, status %q", m.sending, m.status)
	}
}
