package tui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/session/smtpc"
)

// testWorld is a World for the screen's tests.
type testWorld struct {
	fixes   map[string]WorldFix
	applied []string
	events  chan WorldEvent
	report  *TesterReport
}

func (w *testWorld) FixFor(id string) (WorldFix, bool) { f, ok := w.fixes[id]; return f, ok }
func (w *testWorld) Apply(id string) error             { w.applied = append(w.applied, id); return nil }
func (w *testWorld) Events() <-chan WorldEvent         { return w.events }
func (w *testWorld) Recipients() []string {
	return []string{"someone@gmail.example", "a@outlook.example", "test@tester.example"}
}
func (w *testWorld) TesterReport() *TesterReport { return w.report }

func worldModel(t *testing.T, w *testWorld, b *testBench) *Model {
	t.Helper()
	m, err := New(Config{Theme: "mono", Bench: b, World: w, Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	m.tick = noTick
	next, _ := m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	m = next.(*Model)
	for _, r := range testResults() {
		m.checks.Apply(r, fixedNow)
	}
	next, _ = m.Update(checksDoneMsg{run: m.run})
	m = next.(*Model)
	next, _ = m.Update(m.fixesCmd()())
	return next.(*Model)
}

// A world note that arrives during a send (the provider refusing) is
// shown after the wire lines it explains, not before them.
func TestWorldNotesFollowTheWireLines(t *testing.T) {
	w := &testWorld{events: make(chan WorldEvent)}
	b := newTestBench()
	b.release = make(chan struct{})
	b.events = []smtpc.Event{{Kind: smtpc.KindReceived, Code: 550, Lines: []string{"550 5.7.1 refused"}}}
	m := worldModel(t, w, b)
	m, cmd := press(t, m, "s")
	m = drain(t, m, cmd)
	m, cmd = press(t, m, "y")
	stream := cmd().(sendStartedMsg).stream
	// The world reports the refusal before the reply reaches the client.
	next, _ := m.Update(worldEventMsg{text: "14:02:01 gmail.example refused mail from 192.0.2.25 at RCPT: 550 5.7.1", ch: w.events})
	m = next.(*Model)
	next, _ = m.Update(<-stream) // the wire line
	m = next.(*Model)
	close(b.release)
	next, _ = m.Update(<-stream) // done
	m = next.(*Model)
	view := ansi.Strip(m.transcript.View())
	wire, note := strings.Index(view, "550 5.7.1 refused"), strings.Index(view, "refused mail from")
	if wire < 0 || note < 0 || note < wire {
		t.Fatalf("the world's note is not after the wire line:\n%s", view)
	}
}

// A provider's report of a send joins the transcript but leaves the
// status line to the send's outcome; other world news takes the status.
func TestSendOutcomeStaysInTheStatusLine(t *testing.T) {
	w := &testWorld{events: make(chan WorldEvent)}
	b := newTestBench()
	b.events = []smtpc.Event{{Kind: smtpc.KindReceived, Code: 550, Lines: []string{"550 5.7.1 refused"}}}
	m := worldModel(t, w, b)
	m, cmd := press(t, m, "s")
	m = drain(t, m, cmd)
	m, cmd = press(t, m, "y")
	m = drain(t, m, cmd)
	outcome := m.status
	if outcome == "" {
		t.Fatal("no status after the send")
	}
	next, _ := m.Update(worldEventMsg{text: "14:02:01 gmail.example refused mail at RCPT", ofSend: true, ch: w.events})
	m = next.(*Model)
	if m.status != outcome {
		t.Fatalf("the provider's echo replaced the send's outcome: %q, was %q", m.status, outcome)
	}
	if !strings.Contains(ansi.Strip(m.transcript.View()), "refused mail at RCPT") {
		t.Fatal("the provider's report is not in the transcript")
	}
	next, _ = m.Update(worldEventMsg{text: "14:02:05 SPF record now visible", ch: w.events})
	if m = next.(*Model); !strings.Contains(m.status, "SPF record now visible") {
		t.Fatalf("other world news did not reach the status line: %q", m.status)
	}
}

// The tester mailbox's report is shown after a send that reached it.
func TestTesterReportIsShown(t *testing.T) {
	w := &testWorld{report: &TesterReport{MessageID: "<1@example.com>", Score: scoring.Score{Value: 8.8},
		Deductions: []string{"-1.2 headers.to: No To: header"}, AuthenticationResults: "tester.example; spf=pass"}}
	m := worldModel(t, w, newTestBench())
	m, cmd := press(t, m, "s")
	m = drain(t, m, cmd)
	m, cmd = press(t, m, "y")
	m = drain(t, m, cmd)
	view := ansi.Strip(m.transcript.View())
	for _, want := range []string{"tester's report: 8.8/10", "-1.2 headers.to: No To: header", "spf=pass"} {
		if !strings.Contains(view, want) {
			t.Fatalf("the report lacks %q:\n%s", want, view)
		}
	}
}

// In the demo the fix shown is the fix a applies, and c copies it.
func TestDemoFixShownIsWhatAApplies(t *testing.T) {
	rec := scoring.TXTRecord("_dmarc.example.com", "v=DMARC1; p=quarantine; rua=mailto:dmarc@example.com")
	w := &testWorld{fixes: map[string]WorldFix{"spf.record": {ID: "dmarc.stage", Title: "Publish DMARC p=quarantine",
		Detail: "Reports go to dmarc@example.com.", Records: []scoring.DNSRecord{rec}}}}
	m := worldModel(t, w, newTestBench())
	detail := ansi.Strip(m.checks.View())
	if !strings.Contains(detail, "p=quarantine;") || !strings.Contains(detail, "rua=mailto:dmarc@example.com") || strings.Contains(detail, "v=spf1 ip4:192.0.2.25 -all") {
		t.Fatalf("the detail does not show the world's fix as the fix:\n%s", detail)
	}
	if text := m.checks.FixText(); !strings.Contains(text, rec.ZoneLine()) {
		t.Fatalf("c copies %q", text)
	}
	m, cmd := press(t, m, "a")
	drain(t, m, cmd)
	if len(w.applied) != 1 || w.applied[0] != "dmarc.stage" {
		t.Fatalf("a applied %v", w.applied)
	}
}

// a on a draft fix changes the draft; the check's verdict judged the last
// message sent, so it is stale (and unknown in the score) until a send.
func TestDraftFixMarksTheCheckStaleUntilSent(t *testing.T) {
	w := &testWorld{fixes: map[string]WorldFix{"spf.record": {ID: "draft.to", Title: "Add a To: header", Draft: true}}}
	m := worldModel(t, w, newTestBench())
	m, _ = press(t, m, "a")
	if m.compose.Field(0+1) == "" { // FieldTo
		t.Fatal("a did not add To: to the draft")
	}
	if !strings.Contains(ansi.Strip(m.checks.View()), "send it again to check") {
		t.Fatalf("the check is not marked stale:\n%s", ansi.Strip(m.checks.View()))
	}
	if r := m.checks.Results()[0]; r.Status != scoring.Pending {
		t.Fatalf("a stale verdict counts as %s", r.Status)
	}
	m, cmd := press(t, m, "s")
	m = drain(t, m, cmd)
	m, cmd = press(t, m, "y")
	m = drain(t, m, cmd)
	if strings.Contains(ansi.Strip(m.checks.View()), "send it again") {
		t.Fatal("still stale after the send")
	}
}

// p changes To: together with RCPT TO.
func TestNextRecipientChangesToAndRcpt(t *testing.T) {
	m := worldModel(t, &testWorld{}, newTestBench())
	m.compose.SetField(1, "someone@gmail.example") // FieldTo
	m, _ = press(t, m, "p")
	if to, rc := m.compose.Field(1), m.compose.Field(3); to != "a@outlook.example" || rc != "a@outlook.example" {
		t.Fatalf("after p: To %q, RCPT TO %q", to, rc)
	}
	m.compose.SetField(1, "") // a draft without To: keeps it that way
	m, _ = press(t, m, "p")
	if to := m.compose.Field(1); to != "" {
		t.Fatalf("p gave a draft without To: the header %q", to)
	}
}

// A fix the world lists for a check is not offered while that check
// passes: smtp.response passing after a send to Gmail showed (and a
// applied) Outlook's delisting request.
func TestNoWorldFixForAPassingCheck(t *testing.T) {
	w := &testWorld{fixes: map[string]WorldFix{"dkim.record": {ID: "outlook.delist", Title: "File Outlook's delisting request"}}}
	m := worldModel(t, w, newTestBench())
	for m.checks.Selected < len(m.checks.Rows) && m.checks.Rows[m.checks.Selected].Result.ID != "dkim.record" {
		m, _ = press(t, m, "j")
	}
	if r, _ := m.checks.Current(); r.ID != "dkim.record" || r.Status != scoring.Pass {
		t.Fatalf("selected %s %s, want the passing dkim.record", r.ID, r.Status)
	}
	if detail := ansi.Strip(m.checks.View()); strings.Contains(detail, "delisting") || strings.Contains(detail, "a applies") {
		t.Fatalf("a passing check shows the world's fix:\n%s", detail)
	}
	m, cmd := press(t, m, "a")
	drain(t, m, cmd)
	if len(w.applied) != 0 {
		t.Fatalf("a on a passing check applied %v", w.applied)
	}
	if !strings.Contains(m.status, "dkim.record passes") {
		t.Errorf("status %q", m.status)
	}
}
