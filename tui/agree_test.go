package tui

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"net/netip"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/session/smtpc"
)

func started(t *testing.T, b *testBench, w, h int) *Model {
	t.Helper()
	m, err := New(Config{Theme: "mono", Bench: b, Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	m.tick = noTick
	next, _ := m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	return drain(t, next.(*Model), m.Init())
}

func passing(id, title string) scoring.Check {
	return scoring.Check{ID: id, Title: id, Run: func(context.Context, *scoring.Env) scoring.Result {
		return scoring.Result{ID: id, Status: scoring.Pass, Title: title}
	}}
}

// ipCheck applies only with a sending IP, as rdns.ptr and blocklist.ip do.
func ipCheck(id string) scoring.Check {
	c := passing(id, id+" passes")
	c.Applies = func(ev scoring.Evidence) bool { return len(ev.IPs) > 0 }
	return c
}

// Before any send the DKIM pane said "Not signing: no DKIM key loaded"
// while dkim.key-match passed.
func TestDKIMPaneShowsTheLoadedKeyBeforeAnySend(t *testing.T) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b := newTestBench()
	b.ev = &scoring.Evidence{Domain: "example.com", Selector: "s1", DKIMKey: key, IPs: []netip.Addr{netip.MustParseAddr("192.0.2.25")}}
	b.checks = []scoring.Check{passing("dkim.record", "Ed25519 key at s1._domainkey.example.com"),
		passing("dkim.key-match", "The published key matches the loaded key")}
	m := started(t, b, 160, 48)
	view := ansi.Strip(m.dkim.View())
	for _, want := range []string{"Ed25519 (loaded)", "s1._domainkey.example.com", "matches the loaded key"} {
		if !strings.Contains(view, want) {
			t.Errorf("DKIM pane before any send lacks %q:\n%s", want, view)
		}
	}
	if strings.Contains(view, "no DKIM key") {
		t.Errorf("DKIM pane says no key is loaded:\n%s", view)
	}
}

// During a connection the TLS pane said "No connection yet".
func TestTLSPaneFollowsTheConnection(t *testing.T) {
	b := newTestBench()
	b.release = make(chan struct{})
	b.events = []smtpc.Event{
		{Kind: smtpc.KindConnect, Lines: []string{"Connected to 127.0.0.2:2525 from 127.0.0.1:40000"}},
		{Kind: smtpc.KindReceived, Code: 250, Lines: []string{"250-mx.gmail.example", "250 STARTTLS"}},
		{Kind: smtpc.KindTLS, TLS: &smtpc.TLSInfo{Version: "TLS 1.3", CipherSuite: "TLS_AES_128_GCM_SHA256"}},
	}
	m := started(t, b, 160, 48)
	m, cmd := press(t, m, "s")
	m = drain(t, m, cmd)
	m, cmd = press(t, m, "y")
	stream := cmd().(sendStartedMsg).stream
	for i := 0; i < len(b.events); i++ {
		next, _ := m.Update(<-stream)
		m = next.(*Model)
	}
	view := ansi.Strip(m.tls.View())
	for _, want := range []string{"Encrypted (TLS)", "STARTTLS offered", "TLS 1.3"} {
		if !strings.Contains(view, want) {
			t.Errorf("TLS pane during the send lacks %q:\n%s", want, view)
		}
	}
	if strings.Contains(view, "No connection yet") {
		t.Errorf("TLS pane says there is no connection during one:\n%s", view)
	}
	close(b.release)
	next, _ := m.Update(<-stream)
	m = next.(*Model)
	if m.sending {
		t.Fatal("the send did not end")
	}
}

// The header showed a green 9.8/10 when no sending IP was known (the IP
// checks were "not applicable").
func TestNoSendingIPMeansUnknownNotApplicable(t *testing.T) {
	b := newTestBench()
	b.ev = &scoring.Evidence{Domain: "example.com"}
	b.checks = []scoring.Check{passing("spf.record", "One SPF record"), ipCheck("rdns.ptr"), ipCheck("blocklist.ip")}
	m := started(t, b, 80, 24)
	for _, r := range m.checks.Results() {
		if r.ID != "spf.record" && r.Status != scoring.Error {
			t.Errorf("%s without a sending IP: %s, want unknown (error)", r.ID, r.Status)
		}
	}
	if m.score == nil || !m.score.Incomplete {
		t.Fatalf("score %+v is complete without a sending IP", m.score)
	}
	if h := m.header(80); !strings.Contains(h, "(2 unknown)") {
		t.Fatalf("header %q does not say what is unknown", h)
	}
}

// During a re-run the header flashed "Score 9.0/10* (24 unchecked)" from
// the partial sums; it keeps the last complete score, marked running.
func TestRerunKeepsTheLastCompleteScore(t *testing.T) {
	m, _ := newTestModel(t, 80, 24)
	before := m.header(80)
	m.run++
	m.checks.Reset()
	next, _ := m.Update(checkResultMsg{run: m.run, res: scoring.Result{ID: "spf.record", Status: scoring.Pass, Title: "One SPF record"}})
	m = next.(*Model)
	during := m.header(80)
	if !strings.Contains(during, "Score 6.5/10") || !strings.Contains(during, "⟳") || strings.Contains(during, "5 unknown") {
		t.Fatalf("during a re-run the header is %q (before: %q)", during, before)
	}
	// Rows keep their verdicts too: nothing flickers to pending.
	for _, r := range m.checks.Results() {
		if r.Status == scoring.Pending {
			t.Fatalf("%s went pending during the re-run", r.ID)
		}
	}
	next, _ = m.Update(checksDoneMsg{run: m.run})
	m = next.(*Model)
	if h := m.header(80); strings.Contains(h, "6.5/10") || strings.Contains(h, "⟳") {
		t.Fatalf("after the re-run the header is %q", h)
	}
}

// At 80×24 the footer always shows ? and q, whatever the status and pane.
func TestFooterAlwaysShowsHelpAndQuit(t *testing.T) {
	m, _ := newTestModel(t, 80, 24)
	m.status = strings.Repeat("a very long status line ", 10)
	for i := 0; i < int(paneCount); i++ {
		lines := strings.Split(m.render(), "\n")
		foot := ansi.Strip(lines[len(lines)-1])
		if !strings.Contains(foot, "? help") || !strings.Contains(foot, "q quit") {
			t.Fatalf("pane %d: footer %q", m.focus, foot)
		}
		m, _ = press(t, m, "tab")
	}
}
