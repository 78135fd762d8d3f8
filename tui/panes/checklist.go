package panes

import (
	"fmt"
	"strings"
	"time"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/safetext"
	"github.com/mailcred/mailcred/themes"
)

// Row is one check in the list with what the UI remembers about it.
type Row struct {
	Result scoring.Result
	// Changed is when the verdict last changed (zero: never since the
	// first run); the UI highlights recent changes.
	Changed time.Time
	From    scoring.Status // the verdict before that change
	Was     scoring.Status // the verdict of the previous run
}

// Checklist is the list of checks with the selected row's details and fix.
type Checklist struct {
	Rows     []Row
	Selected int
	Detail   int // scroll offset of the detail area
	// Running is true while a run is streaming results in.
	Running bool
	// Fixable maps a check id to the title of a fix the UI can apply (the
	// demo world). The root model refreshes it from a tea.Cmd, so View
	// never asks the world anything.
	Fixable map[string]string
}

// NewChecklist lists the checks as pending.
func NewChecklist(checks []scoring.Check) Checklist {
	rows := make([]Row, len(checks))
	for i, c := range checks {
		rows[i] = Row{Result: c.Pending()}
	}
	return Checklist{Rows: rows}
}

// Reset marks every row pending for a new run, keeping what they were so a
// change can be detected when the verdict arrives.
func (c *Checklist) Reset() {
	for i := range c.Rows {
		c.Rows[i].Was = c.Rows[i].Result.Status
		c.Rows[i].Result.Status = scoring.Pending
	}
	c.Running = true
}

// SetRows replaces the check list (a send adds the message checks).
func (c *Checklist) SetRows(checks []scoring.Check) {
	old := map[string]Row{}
	for _, r := range c.Rows {
		old[r.Result.ID] = r
	}
	rows := make([]Row, len(checks))
	for i, ch := range checks {
		if r, ok := old[ch.ID]; ok {
			rows[i] = r
		} else {
			rows[i] = Row{Result: ch.Pending()}
		}
	}
	c.Rows = rows
	if c.Selected >= len(rows) {
		c.Selected = 0
	}
}

// Apply records a result; it returns true when the verdict changed from a
// previous run's (not from pending on the first run).
func (c *Checklist) Apply(r scoring.Result, now time.Time) bool {
	for i := range c.Rows {
		if c.Rows[i].Result.ID != r.ID {
			continue
		}
		row := &c.Rows[i]
		was := row.Was
		row.Result = r
		if was != scoring.Pending && was != r.Status {
			row.Changed, row.From = now, was
			return true
		}
		return false
	}
	return false
}

// Results returns the current results in order.
func (c *Checklist) Results() []scoring.Result {
	out := make([]scoring.Result, len(c.Rows))
	for i, r := range c.Rows {
		out[i] = r.Result
	}
	return out
}

// Current returns the selected result.
func (c *Checklist) Current() (scoring.Result, bool) {
	if c.Selected < 0 || c.Selected >= len(c.Rows) {
		return scoring.Result{}, false
	}
	return c.Rows[c.Selected].Result, true
}

// Move changes the selection by d rows.
func (c *Checklist) Move(d int) {
	c.Selected = clamp(c.Selected+d, 0, len(c.Rows)-1)
	c.Detail = 0
}

// NextProblem selects the next row (after the selection, wrapping) that
// failed, warned or could not be checked; it reports whether there is one.
func (c *Checklist) NextProblem() bool {
	n := len(c.Rows)
	for i := 1; i <= n; i++ {
		j := (c.Selected + i) % n
		switch c.Rows[j].Result.Status {
		case scoring.Fail, scoring.Warn, scoring.Error:
			c.Selected, c.Detail = j, 0
			return true
		}
	}
	return false
}

// ScrollDetail scrolls the detail area.
func (c *Checklist) ScrollDetail(d int) { c.Detail = max(0, c.Detail+d) }

// View renders the list on top and the selected check's detail below,
// into w×h cells (without a frame).
func (c Checklist) View(th themes.Theme, w, h int, now time.Time) []string {
	listH := min(len(c.Rows), max(3, h/2))
	if h < 8 {
		listH = h
	}
	// Keep the selection visible.
	top := 0
	if c.Selected >= listH {
		top = c.Selected - listH + 1
	}
	var lines []string
	for i := top; i < len(c.Rows) && len(lines) < listH; i++ {
		lines = append(lines, c.row(th, c.Rows[i], i == c.Selected, w, now))
	}
	if h-len(lines) < 2 {
		return lines
	}
	lines = append(lines, th.Muted.Render(strings.Repeat("─", w)))
	detail := c.detail(th, w)
	if c.Detail > 0 && c.Detail < len(detail) {
		detail = detail[c.Detail:]
	}
	return append(lines, detail...)
}

func (c Checklist) row(th themes.Theme, r Row, selected bool, w int, now time.Time) string {
	style, sym := th.Status(r.Result.Status.String())
	id := fmt.Sprintf("%-17s", r.Result.ID)
	title := safetext.Line(r.Result.Title, 0)
	mark := " "
	if selected {
		mark = "›"
	}
	line := mark + style.Render(sym) + " " + id + " " + title
	if !r.Changed.IsZero() && now.Sub(r.Changed) < 2*time.Minute {
		line = mark + style.Render(sym) + " " + th.Changed.Render(id) + " " + title +
			th.Muted.Render(fmt.Sprintf("  (was %s, %s)", r.From, r.Changed.Format("15:04:05")))
	}
	if selected {
		return th.Selected.Render(Fit([]string{line}, w, 1)[0])
	}
	return line
}

func (c Checklist) detail(th themes.Theme, w int) []string {
	r, ok := c.Current()
	if !ok {
		return nil
	}
	style, sym := th.Status(r.Status.String())
	lines := []string{style.Render(sym+" "+r.Status.String()) + "  " + th.Title.Render(r.ID)}
	lines = append(lines, Wrap(safetext.Line(r.Title, 0), w)...)
	if r.Detail != "" {
		for _, l := range Wrap(safetext.Text(r.Detail, 0), w) {
			lines = append(lines, th.Muted.Render(l))
		}
	}
	if f := r.Fix; f != nil {
		lines = append(lines, "")
		for _, l := range Wrap("Fix: "+safetext.Text(f.Summary, 0), w) {
			lines = append(lines, th.Accent.Render(l))
		}
		for _, rec := range f.Records {
			lines = append(lines, Wrap(safetext.Line(rec.ZoneLine(), 0), w)...)
		}
		if f.Snippet != "" {
			lines = append(lines, strings.Split(safetext.Text(f.Snippet, 0), "\n")...)
		}
		if f.Link != "" {
			lines = append(lines, th.Muted.Render("See "+safetext.Line(f.Link, 0)))
		}
		lines = append(lines, th.Muted.Render("c copies this fix (OSC 52, works over SSH)"))
	}
	if t := c.Fixable[r.ID]; t != "" {
		lines = append(lines, th.Accent.Render("a applies in the demo world: "+t))
	}
	if len(r.Queries) > 0 {
		lines = append(lines, "", th.Muted.Render(fmt.Sprintf("%d DNS queries, %s", len(r.Queries), r.Elapsed.Round(time.Millisecond))))
	}
	return lines
}

// FixText is the selected check's fix as plain text, for the clipboard.
func (c Checklist) FixText() string {
	r, ok := c.Current()
	if !ok || r.Fix == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString(r.Fix.Summary + "\n")
	for _, rec := range r.Fix.Records {
		b.WriteString(rec.ZoneLine() + "\n")
	}
	if r.Fix.Snippet != "" {
		b.WriteString(r.Fix.Snippet + "\n")
	}
	if r.Fix.Link != "" {
		b.WriteString(r.Fix.Link + "\n")
	}
	return b.String()
}

func clamp(v, lo, hi int) int {
	if hi < lo {
		return lo
	}
	return max(lo, min(v, hi))
}
