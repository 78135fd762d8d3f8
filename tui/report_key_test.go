package tui

import (
	"errors"
	"strings"
	"testing"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/session"
)

// R hands the findings on screen to Config.SaveReport off the update
// loop and says where the report went (or why it did not).
func TestReportKeySavesTheFindingsOnScreen(t *testing.T) {
	m, _ := newTestModel(t, 80, 24)
	var gotTitle string
	var gotResults []scoring.Result
	var gotScore scoring.Score
	m.cfg.SaveReport = func(title string, results []scoring.Result, score scoring.Score, _ *session.Sent) (string, error) {
		gotTitle, gotResults, gotScore = title, results, score
		return "/tmp/x/mailcred-report.md", nil
	}
	m.ctx.Keys.Report.SetEnabled(true)
	m, cmd := press(t, m, "R")
	if cmd == nil {
		t.Fatal("R returned no command")
	}
	next, _ := m.Update(cmd())
	m = next.(*Model)
	if len(gotResults) != len(testResults()) || gotScore.Max == 0 || gotTitle == "" {
		t.Errorf("SaveReport got title %q, %d results, score %+v", gotTitle, len(gotResults), gotScore)
	}
	if !strings.Contains(m.render(), "report saved to /tmp/x/mailcred-report.md") {
		t.Errorf("no saved line:\n%s", m.render())
	}
	m.cfg.SaveReport = func(string, []scoring.Result, scoring.Score, *session.Sent) (string, error) {
		return "", errors.New("disk full")
	}
	m, cmd = press(t, m, "R")
	next, _ = m.Update(cmd())
	if s := next.(*Model).render(); !strings.Contains(s, "report not saved: disk full") {
		t.Errorf("no failure line:\n%s", s)
	}
}

// Without SaveReport (the demo served over SSH) R does nothing.
func TestReportKeyIsOffWithoutSaveReport(t *testing.T) {
	m, _ := newTestModel(t, 80, 24)
	m, cmd := press(t, m, "R")
	if cmd != nil {
		if msg := cmd(); msg != nil {
			if _, ok := msg.(reportSavedMsg); ok {
				t.Fatal("R saved a report with no SaveReport")
			}
		}
	}
	if strings.Contains(m.render(), "report") {
		t.Errorf("R said something about a report:\n%s", m.render())
	}
}
