// Package onboard is the screen of `mailcred onboard`: the steps of
// session/onboard in order, each with its live state, what to do, and the
// change mailcred can make — shown in full, applied only after "y". It
// re-checks by itself every Interval and after every change. It fits 80×24
// and needs nothing but a terminal, so it works over SSH.
package onboard

import (
	"context"
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/mailcred/mailcred/session/onboard"
	"github.com/mailcred/mailcred/themes"
	"github.com/mailcred/mailcred/tui/panes"
)

// Checker computes the steps; onboard.Check in production.
type Checker func(ctx context.Context, cfg onboard.Config) onboard.Report

// Options configure the screen.
type Options struct {
	Config   onboard.Config
	Check    Checker       // nil: onboard.Check
	Interval time.Duration // re-check period; 0 means 30s, <0 never
	Theme    themes.Theme
}

type mode int

const (
	modeBrowse  mode = iota
	modeConfirm      // an action's preview, waiting for y/n
	modeSummary      // what changed
)

// Model is the screen.
type Model struct {
	opts    Options
	cfg     onboard.Config
	report  *onboard.Report
	sel     int
	mode    mode
	scroll  int
	w, h    int
	running bool
	gen     int
	note    string // the last action's outcome, one line
	lines   []string
	changes []onboard.Change
	started time.Time
}

// New returns the screen; Init starts the first check.
func New(o Options) *Model {
	if o.Check == nil {
		o.Check = onboard.Check
	}
	if o.Interval == 0 {
		o.Interval = 30 * time.Second
	}
	return &Model{opts: o, cfg: o.Config, w: 80, h: 24, started: time.Now()}
}

// Changes are the writes made so far, for the summary printed on exit.
func (m *Model) Changes() []onboard.Change { return append([]onboard.Change(nil), m.changes...) }

type checkedMsg struct {
	gen    int
	report onboard.Report
}
type tickMsg struct{}
type appliedMsg struct {
	applied onboard.Applied
	err     error
	test    *onboard.TestResult
}

// Init runs the first check.
func (m *Model) Init() tea.Cmd { return m.check() }

func (m *Model) check() tea.Cmd {
	m.running = true
	m.gen++
	gen, cfg, check := m.gen, m.cfg, m.opts.Check
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		return checkedMsg{gen: gen, report: check(ctx, cfg)}
	}
}

func (m *Model) tick() tea.Cmd {
	if m.opts.Interval < 0 {
		return nil
	}
	return tea.Tick(m.opts.Interval, func(time.Time) tea.Msg { return tickMsg{} })
}

// Update handles keys and results; the checks and the writes run in Cmds.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.w, m.h = msg.Width, msg.Height
	case checkedMsg:
		if msg.gen != m.gen {
			return m, nil
		}
		r := msg.report
		m.report, m.running = &r, false
		m.cfg.Previous = &r
		if m.sel >= len(r.Steps) {
			m.sel = 0
		}
		return m, m.tick()
	case tickMsg:
		if m.running || m.mode == modeConfirm {
			return m, m.tick() // never re-check under an open preview: it must stay what was shown
		}
		return m, m.check()
	case appliedMsg:
		m.changes = append(m.changes, msg.applied.Changes...)
		m.lines = msg.applied.Lines
		if msg.test != nil {
			m.cfg.LastTest = msg.test
			m.lines = nil // the step's state shows them
		}
		if msg.err != nil {
			m.note = "not done: " + msg.err.Error()
		} else {
			m.note = fmt.Sprintf("done: %d change(s)", len(msg.applied.Changes))
		}
		m.mode = modeBrowse
		return m, m.check()
	case tea.KeyPressMsg:
		return m.key(msg)
	}
	return m, nil
}

func (m *Model) step() (onboard.Step, bool) {
	if m.report == nil || m.sel >= len(m.report.Steps) {
		return onboard.Step{}, false
	}
	return m.report.Steps[m.sel], true
}

func (m *Model) key(k tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	switch m.mode {
	case modeConfirm:
		switch k.String() {
		case "y", "Y":
			s, _ := m.step()
			a := s.Action
			m.note = "applying…"
			isTest := s.ID == onboard.StepTestSend
			return m, func() tea.Msg {
				applied, err := a.Apply()
				msg := appliedMsg{applied: applied, err: err}
				if isTest {
					msg.test = &onboard.TestResult{Passed: err == nil, Lines: applied.Lines, At: time.Now()}
				}
				return msg
			}
		case "down", "j":
			m.scroll++
		case "up", "k":
			m.scroll = max(m.scroll-1, 0)
		default: // anything else is a no: nothing changes
			m.mode, m.note = modeBrowse, "nothing changed"
		}
		return m, nil
	case modeSummary:
		m.mode = modeBrowse
		return m, nil
	}
	switch k.String() {
	case "q", "ctrl+c", "esc":
		return m, tea.Quit
	case "down", "j", "tab":
		if m.report != nil && m.sel+1 < len(m.report.Steps) {
			m.sel++
			m.lines = nil
		}
	case "up", "k", "shift+tab":
		if m.sel > 0 {
			m.sel--
			m.lines = nil
		}
	case "r":
		if !m.running {
			return m, m.check()
		}
	case "a", "enter":
		if s, ok := m.step(); ok && s.Action != nil {
			m.mode, m.scroll = modeConfirm, 0
		}
	case "s":
		m.mode = modeSummary
	}
	return m, nil
}

// View renders the screen.
func (m *Model) View() tea.View {
	v := tea.NewView(m.Screen())
	v.AltScreen = true
	v.WindowTitle = "mailcred onboard"
	return v
}

// Screen is the screen as text, exactly m.w columns and at most m.h lines.
func (m *Model) Screen() string {
	th := m.opts.Theme
	var out []string
	head := "mailcred onboard — " + m.cfg.Domain
	when := "checking…"
	if m.report != nil && !m.running {
		when = "checked " + m.report.Checked.Format("15:04:05")
		if m.opts.Interval > 0 {
			when += fmt.Sprintf(", again every %s", m.opts.Interval)
		}
	}
	out = append(out, th.Title.Render(pad(head, m.w-len(when)-1))+" "+th.Muted.Render(when))
	out = append(out, m.body(m.h-2)...)
	out = append(out, th.Muted.Render(m.footer()))
	return strings.Join(out, "\n")
}

// body is the screen between header and footer, exactly h lines.
func (m *Model) body(h int) []string {
	var out []string
	switch m.mode {
	case modeConfirm:
		out = m.confirm(h)
	case modeSummary:
		out = m.summary(h)
	default:
		out = m.browse(h)
	}
	for len(out) < h {
		out = append(out, "")
	}
	return out[:max(h, 0)]
}

func (m *Model) footer() string {
	switch m.mode {
	case modeConfirm:
		return "y apply   any other key: cancel, nothing changes   ↑↓ scroll"
	case modeSummary:
		return "any key: back"
	}
	keys := "↑↓ step   r re-check   s changes   q quit"
	if s, ok := m.step(); ok && s.Action != nil {
		keys = "a " + s.Action.Title + "   " + keys
	}
	return ansi.Truncate(keys, m.w, "…")
}

var marks = map[onboard.Status]string{onboard.Done: "pass", onboard.Todo: "fail", onboard.Warn: "warn", onboard.Unknown: "error", onboard.Optional: "info"}

func (m *Model) browse(body int) []string {
	th := m.opts.Theme
	if m.report == nil {
		return []string{"", "  checking the addresses, port 25, DNS and the MTA…"}
	}
	var out []string
	for i, s := range m.report.Steps {
		style, sym := th.Status(marks[s.Status])
		line := fmt.Sprintf(" %s %d %s", sym, i+1, s.Title)
		line = pad(line, m.w-10) + pad(s.Status.String(), 10)
		if i == m.sel {
			out = append(out, th.Selected.Render(style.Render(line)))
		} else {
			out = append(out, style.Render(line))
		}
	}
	out = append(out, th.Muted.Render(strings.Repeat("─", m.w)))
	s, _ := m.step()
	var detail []string
	// Prose: continuation lines keep the indentation, URLs stay whole.
	for _, l := range s.State {
		detail = append(detail, panes.Wrap("  "+l, m.w)...)
	}
	for _, l := range s.Do {
		detail = append(detail, hanging("→ ", l, m.w)...)
	}
	if s.Source != "" {
		detail = append(detail, panes.Wrap("  source: "+s.Source, m.w)...)
	}
	for _, l := range m.lines {
		detail = append(detail, panes.Wrap("  "+l, m.w)...)
	}
	if m.note != "" {
		detail = append(detail, th.Accent.Render(ansi.Truncate("  "+m.note, m.w, "…")))
	}
	room := body - len(out)
	if len(detail) > room {
		detail = append(detail[:max(room-1, 0)], th.Muted.Render(fmt.Sprintf("  … %d more lines (run with --once for all)", len(detail)-room+1)))
	}
	return append(out, detail...)
}

func (m *Model) confirm(body int) []string {
	th := m.opts.Theme
	s, _ := m.step()
	out := []string{th.Accent.Render(ansi.Truncate(s.Action.Title+"?", m.w, "…")), "This will change the host:"}
	var lines []string
	for _, l := range strings.Split(s.Action.Preview, "\n") {
		lines = append(lines, wrap(l, m.w)...)
	}
	if len(s.Action.After) > 0 {
		lines = append(lines, "Then run (mailcred does not):")
		for _, c := range s.Action.After {
			lines = append(lines, wrap("  "+c, m.w)...)
		}
	}
	room := body - len(out) - 1
	m.scroll = min(m.scroll, max(len(lines)-room, 0))
	lines = lines[m.scroll:]
	if len(lines) > room {
		lines = append(lines[:room-1], th.Muted.Render("  ↓ more"))
	}
	out = append(out, lines...)
	return append(out, th.Accent.Render("Apply? [y/N]"))
}

func (m *Model) summary(body int) []string {
	out := []string{"Changes made on this host (each with its undo):"}
	if len(m.changes) == 0 {
		out = append(out, "  none")
	}
	for _, c := range m.changes {
		out = append(out, wrap("  "+c.String(), m.w)...)
	}
	return out[:min(len(out), body)]
}

// pad cuts or pads s to n columns.
func pad(s string, n int) string {
	if n <= 0 {
		return ""
	}
	s = ansi.Truncate(s, n, "…")
	return s + strings.Repeat(" ", max(n-lipgloss.Width(s), 0))
}

// hanging wraps text after lead, its continuation lines indented under
// the text rather than under lead.
func hanging(lead, text string, w int) []string {
	lines := panes.Wrap(strings.Repeat(" ", ansi.StringWidth(lead))+text, w)
	if len(lines) > 0 {
		lines[0] = lead + strings.TrimLeft(lines[0], " ")
	}
	return lines
}

// wrap breaks s into lines of at most w columns, spaces as they are (a
// configuration diff keeps its indentation).
func wrap(s string, w int) []string {
	return strings.Split(ansi.Hardwrap(ansi.Wrap(s, w, ""), w, true), "\n")
}
