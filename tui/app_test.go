package tui

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnsx"
	"github.com/mailcred/mailcred/scoring/smtpx"
	"github.com/mailcred/mailcred/session/smtpc"
	"github.com/mailcred/mailcred/tui/panes"
)

var fixedNow = time.Date(2026, 11, 26, 14, 2, 0, 0, time.UTC)

func testChecks() []scoring.Check {
	var cs []scoring.Check
	for _, id := range []string{"spf.record", "spf.result", "dkim.record", "dmarc.record", "rdns.ptr", "blocklist.ip"} {
		cs = append(cs, scoring.Check{ID: id, Title: id})
	}
	return cs
}

func testResults() []scoring.Result {
	return []scoring.Result{
		{ID: "spf.record", Status: scoring.Fail, Title: "No SPF record at example.com",
			Detail: "example.com has no TXT record starting with v=spf1.",
			Fix: &scoring.Fix{Summary: "Publish this TXT record at example.com.",
				Records: []scoring.DNSRecord{scoring.TXTRecord("example.com", "v=spf1 ip4:192.0.2.25 -all")}}},
		{ID: "spf.result", Status: scoring.Fail, Title: "SPF does not pass for 192.0.2.25"},
		{ID: "dkim.record", Status: scoring.Pass, Title: "RSA 2048-bit key at s1._domainkey.example.com"},
		{ID: "dmarc.record", Status: scoring.Warn, Title: "DMARC p=none: monitoring only"},
		{ID: "rdns.ptr", Status: scoring.Pass, Title: "192.0.2.25 has PTR mail.example.com"},
		{ID: "blocklist.ip", Status: scoring.Error, Title: "Unable to check: public resolver refused"},
	}
}

func newTestModel(t *testing.T, w, h int) (*Model, *testBench) {
	t.Helper()
	b := newTestBench()
	m, err := New(Config{Theme: "mono", Bench: b, Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	m.tick = noTick
	next, _ := m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	m = next.(*Model)
	m.run = 1
	for _, r := range testResults() {
		next, _ = m.Update(checkResultMsg{run: 1, res: r})
		m = next.(*Model)
	}
	next, _ = m.Update(checksDoneMsg{run: 1})
	return next.(*Model), b
}

func press(t *testing.T, m *Model, keys ...string) (*Model, tea.Cmd) {
	t.Helper()
	var cmd tea.Cmd
	for _, k := range keys {
		var msg tea.KeyPressMsg
		switch k {
		case "tab":
			msg = tea.KeyPressMsg{Code: tea.KeyTab}
		case "shift+tab":
			msg = tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
		case "esc":
			msg = tea.KeyPressMsg{Code: tea.KeyEscape}
		case "down":
			msg = tea.KeyPressMsg{Code: tea.KeyDown}
		default:
			msg = tea.KeyPressMsg{Code: rune(k[0]), Text: k}
		}
		next, c := m.Update(msg)
		m, cmd = next.(*Model), c
	}
	return m, cmd
}

// assertFits checks a rendered screen is exactly h lines of at most w cells.
func assertFits(t *testing.T, screen string, w, h int) {
	t.Helper()
	lines := strings.Split(screen, "\n")
	if len(lines) != h {
		t.Fatalf("%d×%d: %d lines", w, h, len(lines))
	}
	for i, l := range lines {
		if n := ansi.StringWidth(l); n > w {
			t.Fatalf("%d×%d: line %d is %d cells: %q", w, h, i, n, l)
		}
	}
}

func TestEverySizeRendersWithinTheTerminal(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {100, 30}, {119, 40}, {120, 32}, {160, 48}, {200, 60}, {40, 12}, {20, 8}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			m, _ := newTestModel(t, size[0], size[1])
			for p := Pane(0); p < paneCount; p++ {
				assertFits(t, m.render(), size[0], size[1])
				m, _ = press(t, m, "tab")
			}
		})
	}
}

func TestResizeRelayoutsWithoutGarbling(t *testing.T) {
	m, _ := newTestModel(t, 160, 48)
	for _, size := range [][2]int{{80, 24}, {200, 60}, {81, 25}} {
		next, _ := m.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		m = next.(*Model)
		assertFits(t, m.render(), size[0], size[1])
	}
}

func TestTabMovesFocusThroughEveryPane(t *testing.T) {
	m, _ := newTestModel(t, 80, 24)
	seen := map[Pane]bool{}
	for i := 0; i < int(paneCount); i++ {
		seen[m.focus] = true
		m, _ = press(t, m, "tab")
	}
	if len(seen) != int(paneCount) || m.focus != PaneChecks {
		t.Fatalf("focus visited %v and ended on %v", seen, m.focus)
	}
	m, _ = press(t, m, "shift+tab")
	if m.focus != PaneDKIM {
		t.Fatalf("shift+tab from Checks went to %v", m.focus)
	}
}

func TestSendAsksFirstAndCancelSendsNothing(t *testing.T) {
	m, rec := newTestModel(t, 80, 24)
	m, cmd := press(t, m, "s")
	if cmd == nil {
		t.Fatal("s did not ask where the message goes")
	}
	next, _ := m.Update(cmd()) // the describe command's answer
	m = next.(*Model)
	if !strings.Contains(m.render(), "mx.gmail.example") || !strings.Contains(m.render(), "someone@gmail.example") {
		t.Fatalf("confirmation does not show route and recipient:\n%s", m.render())
	}
	m, cmd = press(t, m, "n")
	if cmd != nil || rec.calls != 0 || m.confirm != nil {
		t.Fatalf("cancel: cmd %v, %d sends", cmd, rec.calls)
	}
	m, cmd = press(t, m, "s")
	next, _ = m.Update(cmd())
	m = next.(*Model)
	m, cmd = press(t, m, "y")
	if cmd == nil {
		t.Fatal("y did not start the send")
	}
	started := cmd().(sendStartedMsg)
	var done sendDoneMsg
	for msg := range started.stream {
		if d, ok := msg.(sendDoneMsg); ok {
			done = d
			break
		}
		next, _ := m.Update(msg)
		m = next.(*Model)
	}
	if rec.calls != 1 || done.res.Outcome.Verdict != smtpx.Accepted || m.transcript.Len() != 1 {
		t.Fatalf("after y: %d sends, %+v, %d transcript lines", rec.calls, done.res, m.transcript.Len())
	}
}

func TestInvalidDraftIsKeptAndNotSent(t *testing.T) {
	m, rec := newTestModel(t, 80, 24)
	m.compose.SetField(0, "not an address")
	m, cmd := press(t, m, "s")
	if cmd != nil || rec.calls != 0 {
		t.Fatal("an invalid draft went towards sending")
	}
	if m.focus != PaneCompose || len(m.compose.Problems()) == 0 || m.compose.Field(0) != "not an address" {
		t.Fatalf("focus %v, problems %v, field %q", m.focus, m.compose.Problems(), m.compose.Field(0))
	}
}

func TestStaleRunResultsAreDropped(t *testing.T) {
	m, _ := newTestModel(t, 80, 24)
	next, _ := m.Update(checkResultMsg{run: 0, res: scoring.Result{ID: "spf.record", Status: scoring.Pass}})
	m = next.(*Model)
	if r := m.checks.Rows[0].Result; r.Status != scoring.Fail {
		t.Fatalf("a stale run overwrote spf.record: %s", r.Status)
	}
}

func TestChangedVerdictIsHighlightedWithItsTime(t *testing.T) {
	m, _ := newTestModel(t, 160, 48)
	m.run = 2
	m.checks.Reset()
	next, _ := m.Update(checkResultMsg{run: 2, res: scoring.Result{ID: "spf.record", Status: scoring.Pass, Title: "One SPF record"}})
	m = next.(*Model)
	if !strings.Contains(m.render(), "(was fail, 14:02:00)") {
		t.Fatalf("changed verdict not marked:\n%s", m.render())
	}
}

func TestCopyUsesOSC52(t *testing.T) {
	m, _ := newTestModel(t, 80, 24)
	_, cmd := press(t, m, "c")
	if cmd == nil {
		t.Fatal("c on a check with a fix returned no command")
	}
	if got := fmt.Sprintf("%T", cmd()); !strings.Contains(got, "Clipboard") {
		t.Fatalf("c produced %s, want the clipboard message", got)
	}
}

// Goldens of every mode at the three reference sizes.
func TestGoldenModes(t *testing.T) {
	modes := []struct {
		name string
		into func(t *testing.T, m *Model) *Model
	}{
		{"browse", func(t *testing.T, m *Model) *Model { return m }},
		{"edit", func(t *testing.T, m *Model) *Model { m, _ = press(t, m, "e"); return m }},
		{"describing", func(t *testing.T, m *Model) *Model { m, _ = press(t, m, "s"); return m }},
		{"confirm", func(t *testing.T, m *Model) *Model {
			m, cmd := press(t, m, "s")
			next, _ := m.Update(cmd())
			return next.(*Model)
		}},
		{"help", func(t *testing.T, m *Model) *Model { m, _ = press(t, m, "?"); return m }},
	}
	for _, size := range [][2]int{{80, 24}, {120, 32}, {160, 48}} {
		for _, mode := range modes {
			t.Run(fmt.Sprintf("%s_%dx%d", mode.name, size[0], size[1]), func(t *testing.T) {
				m, _ := newTestModel(t, size[0], size[1])
				screen := mode.into(t, m).render()
				assertFits(t, screen, size[0], size[1])
				golden.RequireEqual(t, screen)
			})
		}
	}
}

func TestGoldenAllPanes160x48(t *testing.T) {
	m, _ := newTestModel(t, 160, 48)
	for i, l := range []string{"220 mx.gmail.example ESMTP", "250-mx.gmail.example", "250 STARTTLS"} {
		m.transcript.Append(smtpc.Event{At: time.Duration(i) * 10 * time.Millisecond, Kind: smtpc.KindReceived, Lines: []string{l}})
	}
	m.transcript.Append(smtpc.Event{At: 30 * time.Millisecond, Kind: smtpc.KindSent, Lines: []string{"EHLO mail.example.com"}})
	golden.RequireEqual(t, m.render())
}

func TestHostileTranscriptTextIsEscaped(t *testing.T) {
	m, _ := newTestModel(t, 160, 48)
	m.transcript.Append(smtpc.Event{Kind: smtpc.KindReceived, Lines: []string{"220 \x1b]52;c;ZXZpbA==\x07\x1b[2J evil"}})
	screen := m.render()
	if strings.Contains(screen, "\x1b]52") || strings.Contains(screen, "\x1b[2J") || strings.Contains(screen, "\x07") {
		t.Fatal("a server's escape sequence reached the screen")
	}
}

func TestChangeMarkKeepsWhatItChangedFrom(t *testing.T) {
	m, _ := newTestModel(t, 160, 48)
	for run := 2; run <= 3; run++ { // a change, then a re-run with the same verdict
		m.run = run
		m.checks.Reset()
		next, _ := m.Update(checkResultMsg{run: run, res: scoring.Result{ID: "spf.record", Status: scoring.Pass, Title: "One SPF record"}})
		m = next.(*Model)
	}
	if s := m.render(); !strings.Contains(s, "(was fail, 14:02:00)") || strings.Contains(s, "(was pass") {
		t.Fatalf("change mark after a steady re-run:\n%s", s)
	}
}

// s, then ? before the route description arrives, then y: the
// confirmation must be on screen before y can send, and help cannot hide it.
func TestHelpCannotHideTheConfirmation(t *testing.T) {
	m, rec := newTestModel(t, 80, 24)
	m, describe := press(t, m, "s")
	if describe == nil {
		t.Fatal("s did not ask where the message goes")
	}
	m, _ = press(t, m, "?") // before the description arrives
	next, _ := m.Update(describe())
	m = next.(*Model)
	screen := m.render()
	if !strings.Contains(screen, "Send this message?") || !strings.Contains(screen, "y send") {
		t.Fatalf("the confirmation is not on screen after the route arrived:\n%s", screen)
	}
	// Help pressed while confirming must not cover it either.
	m, _ = press(t, m, "?")
	if s := m.render(); !strings.Contains(s, "y send") {
		t.Fatalf("? hid the confirmation:\n%s", s)
	}
	_, cmd := press(t, m, "y")
	if cmd == nil {
		t.Fatal("y on a visible confirmation did not send")
	}
	_ = rec
}

// y pressed while the confirmation is not on screen (still describing, or
// after a cancel whose description arrives late) sends nothing.
func TestYWithoutVisibleConfirmationSendsNothing(t *testing.T) {
	m, rec := newTestModel(t, 80, 24)
	m, describe := press(t, m, "s")
	m, cmd := press(t, m, "y")
	if cmd != nil {
		t.Fatal("y before the confirmation was shown started something")
	}
	m, _ = press(t, m, "esc")
	next, _ := m.Update(describe()) // the late answer of the cancelled ask
	m = next.(*Model)
	if s := m.render(); strings.Contains(s, "Send this message?") {
		t.Fatalf("a cancelled send's description opened the confirmation:\n%s", s)
	}
	if _, cmd = press(t, m, "y"); cmd != nil || rec.calls != 0 {
		t.Fatal("y after a cancel started a send")
	}
}

// extraPane is a pane given through Config.Extra, as an onboarding view
// would be: it gets the shared context, its own messages and, when
// focused, keys.
type extraPane struct {
	ctx  *panes.Context
	w, h int
	got  []string
}

type extraMsg struct{ text string }

func (p *extraPane) Title() string             { return "Extra" }
func (p *extraPane) Init() tea.Cmd             { return func() tea.Msg { return extraMsg{"started"} } }
func (p *extraPane) SetSize(w, h int)          { p.w, p.h = w, h }
func (p *extraPane) ShortHelp() []key.Binding  { return nil }
func (p *extraPane) FullHelp() [][]key.Binding { return nil }
func (p *extraPane) View() string              { return strings.Join(panes.Fit(p.got, p.w, p.h), "\n") }
func (p *extraPane) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case extraMsg:
		p.got = append(p.got, msg.text)
	case tea.KeyPressMsg:
		p.got = append(p.got, "key "+msg.String())
	}
	return nil
}

func TestAnExtraPanePlugsIn(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		var extra *extraPane
		m, err := New(Config{Theme: "mono", Bench: newTestBench(), Now: func() time.Time { return fixedNow },
			Extra: []func(*panes.Context) panes.Component{func(c *panes.Context) panes.Component {
				extra = &extraPane{ctx: c}
				return extra
			}}})
		if err != nil {
			t.Fatal(err)
		}
		next, _ := m.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		m = next.(*Model)
		next, _ = m.Update(extraMsg{"started"}) // its own message reaches it
		m = next.(*Model)
		for i := 0; i < int(paneCount); i++ {
			m, _ = press(t, m, "tab")
		}
		m, _ = press(t, m, "x") // focused: it gets keys the workbench does not use
		screen := m.render()
		assertFits(t, screen, size[0], size[1])
		if !strings.Contains(screen, "Extra") || !strings.Contains(screen, "started") || !strings.Contains(screen, "key x") {
			t.Fatalf("%v: the extra pane is not shown with its messages:\n%s", size, screen)
		}
		m, _ = press(t, m, "tab") // and Tab goes round to the first pane
		if m.focus != PaneChecks {
			t.Fatalf("focus after the extra pane: %v", m.focus)
		}
	}
}

// Driven through the root: k in the transcript scrolls one line, with no
// blank rows, and PgUp a page.
func TestTranscriptKeysThroughTheRoot(t *testing.T) {
	m, _ := newTestModel(t, 80, 24)
	for i := 0; i < 60; i++ {
		m.transcript.Append(smtpc.Event{Kind: smtpc.KindReceived, Lines: []string{fmt.Sprintf("250-line %d", i)}})
	}
	m, _ = press(t, m, "tab", "tab") // Transcript
	m, _ = press(t, m, "k")
	lines := strings.Split(m.render(), "\n")
	body := lines[3 : len(lines)-2] // inside the frame
	for i, l := range body {
		if strings.Trim(ansi.Strip(l), "┃ ") == "" {
			t.Fatalf("blank row %d after one k:\n%s", i, m.render())
		}
	}
	if !strings.Contains(body[len(body)-1], "250-line 58") {
		t.Fatalf("after one k the last row is %q", body[len(body)-1])
	}
}

// A run in which nothing could be judged (a resolver that answers
// nothing) has no score: the header says so, never "10.0/10", and the
// timeline gets no point; the next run that judges something scores.
func TestNothingJudgedIsNoScore(t *testing.T) {
	m, _ := newTestModel(t, 80, 24) // run 1 judged the test results
	feed := func(run int, rs []scoring.Result) {
		m.run = run
		for _, r := range rs {
			next, _ := m.Update(checkResultMsg{run: run, res: r})
			m = next.(*Model)
		}
		next, _ := m.Update(checksDoneMsg{run: run})
		m = next.(*Model)
	}
	var unknown []scoring.Result
	for _, r := range testResults() {
		r.Status, r.Title = scoring.Error, r.ID+": could not be checked"
		unknown = append(unknown, r)
	}
	points := len(m.timeline)
	feed(2, unknown)
	head := ansi.Strip(m.header(80))
	if !strings.Contains(head, "No score: nothing checked (6 unknown)") || strings.Contains(head, "10.0") {
		t.Fatalf("header with nothing judged: %q", head)
	}
	if len(m.timeline) != points {
		t.Fatalf("timeline %v, want no point for a run that judged nothing", m.timeline)
	}
	feed(3, testResults())
	if head := ansi.Strip(m.header(80)); strings.Contains(head, "No score") || !strings.Contains(head, "Score ") {
		t.Fatalf("header after a judged run: %q", head)
	}
}

// A resolver that replied to nothing is said in the status line, once,
// from the questions the checks record.
func TestSilentResolverInTheStatusLine(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := pc.LocalAddr().String()
	pc.Close()
	r, err := dnsx.New(dnsx.Config{Servers: []string{dead}, Timeout: time.Second, Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	r.Lookup(context.Background(), "example.com", dnsx.TypeTXT)
	r.Lookup(context.Background(), "_dmarc.example.com", dnsx.TypeTXT)
	m, _ := newTestModel(t, 80, 24)
	m.run = 2
	for _, res := range testResults() {
		res.Status, res.Queries = scoring.Error, r.Log()
		next, _ := m.Update(checkResultMsg{run: 2, res: res})
		m = next.(*Model)
	}
	next, _ := m.Update(checksDoneMsg{run: 2})
	m = next.(*Model)
	if want := "resolver " + dead + " replied to none of 2 questions: nothing answers DNS at " + dead; !strings.HasPrefix(m.status, want) {
		t.Fatalf("status %q, want it to start %q", m.status, want)
	}
}
