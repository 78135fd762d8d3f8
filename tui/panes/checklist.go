package panes

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/charmbracelet/x/ansi"

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
	// Rechecking: a run is under way and this row still shows the last
	// run's verdict.
	Rechecking bool
	// Stale says why the verdict no longer describes the setup (a fix of
	// the draft was applied after the send it judged), until it is judged
	// again.
	Stale string
}

// Checklist is the list of checks with the selected row's details and fix.
type Checklist struct {
	ctx      *Context
	Rows     []Row
	Selected int
	// Running is true while a run is streaming results in.
	Running bool
	// fixable maps a check id to the fix the demo world can apply. The
	// root model refreshes it from a tea.Cmd, so View never asks the
	// world anything.
	fixable map[string]WorldFix

	w, h, listH int
	detail      []string // the selected check's detail, wrapped to w
	scroll      Scroll   // over detail
}

// NewChecklist lists the checks as pending.
func NewChecklist(ctx *Context, checks []scoring.Check) *Checklist {
	rows := make([]Row, len(checks))
	for i, c := range checks {
		rows[i] = Row{Result: c.Pending()}
	}
	return &Checklist{ctx: ctx, Rows: rows}
}

// WorldFix is a fix the demo world can apply (a): the detail shows it as
// the check's fix, and c copies it, so what is shown is what a does.
type WorldFix struct {
	ID, Title, Detail string
	Records           []scoring.DNSRecord
	// Draft: a fix of the draft (add To:), applied by the screen to its
	// own draft.
	Draft bool
}

// SetFixable sets the fixes the demo world can apply, by check id.
func (c *Checklist) SetFixable(fixes map[string]WorldFix) {
	c.fixable = fixes
	c.refresh(true)
}

// WorldFix is the demo world's fix for the selected check.
func (c *Checklist) WorldFix() (WorldFix, bool) {
	r, ok := c.Current()
	if !ok {
		return WorldFix{}, false
	}
	return c.worldFix(r)
}

// worldFix is the demo world's fix for r, if it has one and r does not
// pass: a fix the world lists for a check (the delisting for
// smtp.response) is no fix for a verdict that already passes.
func (c *Checklist) worldFix(r scoring.Result) (WorldFix, bool) {
	if r.Status == scoring.Pass {
		return WorldFix{}, false
	}
	f, ok := c.fixable[r.ID]
	return f, ok
}

// fixOf is the fix shown for r: the demo world's when it has one (what a
// applies), else the check's own.
func (c *Checklist) fixOf(r scoring.Result) (*scoring.Fix, bool) {
	if wf, ok := c.worldFix(r); ok {
		sum := wf.Title + "."
		if wf.Detail != "" {
			sum += " " + wf.Detail
		}
		return &scoring.Fix{Summary: sum, Records: wf.Records}, true
	}
	return r.Fix, false
}

// MarkStale marks a check's verdict as no longer describing the setup
// (why: "re-send to check"), until ClearStale.
func (c *Checklist) MarkStale(id, why string) {
	for i := range c.Rows {
		if c.Rows[i].Result.ID == id {
			c.Rows[i].Stale = why
		}
	}
	c.refresh(true)
}

// ClearStale forgets every stale mark (a new send will be judged).
func (c *Checklist) ClearStale() {
	for i := range c.Rows {
		c.Rows[i].Stale = ""
	}
	c.refresh(true)
}

// Title names the pane with its state.
func (c *Checklist) Title() string {
	if c.Running {
		return "Checks (running…)"
	}
	return "Checks"
}

// Init does nothing: results come from the root.
func (c *Checklist) Init() tea.Cmd { return nil }

// SetSize splits the height between the list and the detail area.
func (c *Checklist) SetSize(w, h int) {
	c.w, c.h = w, h
	c.refresh(false)
}

// Update moves the selection and scrolls the detail.
func (c *Checklist) Update(msg tea.Msg) tea.Cmd {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	// ↑/↓ select a check; the page keys scroll its detail.
	switch keys := c.ctx.Keys; {
	case key.Matches(k, keys.Up):
		c.Move(-1)
	case key.Matches(k, keys.Down):
		c.Move(1)
	default:
		c.scroll.Key(keys, k)
	}
	return nil
}

// ShortHelp lists the pane's keys.
func (c *Checklist) ShortHelp() []key.Binding {
	k := c.ctx.Keys
	return []key.Binding{k.Up, k.Down, k.PageDown}
}

// FullHelp lists the pane's keys in one column.
func (c *Checklist) FullHelp() [][]key.Binding {
	k := c.ctx.Keys
	return [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}}
}

// refresh recomputes the list height and the detail after a change;
// keepScroll keeps the detail's position (the same check re-run).
func (c *Checklist) refresh(keepScroll bool) {
	c.listH = min(len(c.Rows), max(3, c.h/2))
	if c.h < 8 {
		c.listH = c.h
	}
	detailH := c.h - c.listH - 1 // one row for the rule
	if detailH < 1 {
		c.detail, c.scroll = nil, Scroll{}
		return
	}
	c.detail = c.detailLines(c.ctx.Theme, c.w)
	if !keepScroll {
		c.scroll = Scroll{}
	}
	c.scroll.Set(len(c.detail), detailH)
}

// Reset starts a new run: every row keeps its last verdict, marked as
// being re-checked, until the new one arrives (rows do not flicker to
// pending); what they were is kept so a change can be detected.
func (c *Checklist) Reset() {
	for i := range c.Rows {
		c.Rows[i].Was = c.Rows[i].Result.Status
		c.Rows[i].Rechecking = c.Rows[i].Result.Status != scoring.Pending
	}
	c.Running = true
	c.refresh(true)
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
	c.refresh(false)
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
		row.Result, row.Rechecking = r, false
		if i == c.Selected {
			c.refresh(true)
		}
		if was != scoring.Pending && was != r.Status {
			row.Changed, row.From = now, was
			return true
		}
		return false
	}
	return false
}

// Results returns the current results in order; a stale verdict counts
// as unknown (pending) until it is judged again.
func (c *Checklist) Results() []scoring.Result {
	out := make([]scoring.Result, len(c.Rows))
	for i, r := range c.Rows {
		out[i] = r.Result
		if r.Stale != "" {
			out[i].Status = scoring.Pending
		}
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
	c.refresh(false)
}

// NextProblem selects the next row (after the selection, wrapping) that
// failed, warned or could not be checked; it reports whether there is one.
func (c *Checklist) NextProblem() bool {
	n := len(c.Rows)
	for i := 1; i <= n; i++ {
		j := (c.Selected + i) % n
		switch c.Rows[j].Result.Status {
		case scoring.Fail, scoring.Warn, scoring.Error:
			c.Selected = j
			c.refresh(false)
			return true
		}
	}
	return false
}

// View renders the list on top and the selected check's detail below.
func (c *Checklist) View() string {
	th, now := c.ctx.Theme, c.ctx.Now()
	// Keep the selection visible.
	top := 0
	if c.Selected >= c.listH {
		top = c.Selected - c.listH + 1
	}
	var lines []string
	for i := top; i < len(c.Rows) && len(lines) < c.listH; i++ {
		lines = append(lines, c.row(th, c.Rows[i], i == c.Selected, c.w, now))
	}
	if c.h-len(lines) >= 2 {
		rule := strings.Repeat("─", c.w)
		if !c.scroll.AtEnd() {
			rule = ansi.Truncate(rule, max(0, c.w-12), "") + " more ↓ pgdn"
		}
		lines = append(lines, th.Muted.Render(rule))
		from, to := c.scroll.Window()
		lines = append(lines, c.detail[from:to]...)
	}
	return strings.Join(Fit(lines, c.w, c.h), "\n")
}

func (c *Checklist) row(th themes.Theme, r Row, selected bool, w int, now time.Time) string {
	style, sym := th.Status(r.Result.Status.String())
	id := fmt.Sprintf("%-17s", r.Result.ID)
	title := safetext.Line(r.Result.Title, 0)
	mark := " "
	if selected {
		mark = "›"
	}
	symbol := style.Render(sym)
	if r.Rechecking || r.Stale != "" {
		// The last verdict, shown dim until the new one arrives.
		symbol = th.Muted.Render(sym)
	}
	line := mark + symbol + " " + id + " " + title
	if !r.Changed.IsZero() && now.Sub(r.Changed) < 2*time.Minute {
		line = mark + symbol + " " + th.Changed.Render(id) + " " + title +
			th.Muted.Render(fmt.Sprintf("  (was %s, %s)", r.From, r.Changed.Format("15:04:05")))
	}
	if r.Stale != "" {
		line += th.Muted.Render("  (" + r.Stale + ")")
	}
	if selected {
		return th.Selected.Render(Fit([]string{line}, w, 1)[0])
	}
	return line
}

func (c *Checklist) detailLines(th themes.Theme, w int) []string {
	r, ok := c.Current()
	if !ok {
		return nil
	}
	style, sym := th.Status(r.Status.String())
	lines := []string{style.Render(sym+" "+r.Status.String()) + "  " + th.Title.Render(r.ID)}
	lines = append(lines, Wrap(safetext.Line(r.Title, 0), w)...)
	if r.Detail != "" {
		for _, l := range Wrap(strings.TrimRight(safetext.Text(r.Detail, 0), "\n"), w) {
			lines = append(lines, th.Muted.Render(l))
		}
	}
	row := c.Rows[c.Selected]
	if row.Stale != "" {
		lines = append(lines, th.Warn.Render("Stale: "+row.Stale))
	}
	f, demo := c.fixOf(r)
	if f != nil {
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
		if f.Manual != "" {
			lines = append(lines, Wrap("Where: "+safetext.Text(f.Manual, 0), w)...)
		}
		if f.Link != "" {
			lines = append(lines, Wrap("See "+safetext.Line(f.Link, 0), w)...)
		}
		if demo {
			lines = append(lines, th.Accent.Render("a applies exactly this in the demo world"))
		}
		lines = append(lines, th.Muted.Render("c copies this fix (OSC 52, works over SSH)"))
	}
	if len(r.Queries) > 0 {
		lines = append(lines, "", th.Muted.Render(fmt.Sprintf("%d DNS queries, %s", len(r.Queries), r.Elapsed.Round(time.Millisecond))))
	}
	return lines
}

// FixText is the selected check's fix as plain text, for the clipboard.
func (c *Checklist) FixText() string {
	r, ok := c.Current()
	if !ok {
		return ""
	}
	f, _ := c.fixOf(r)
	if f == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString(f.Summary + "\n")
	for _, rec := range f.Records {
		b.WriteString(rec.ZoneLine() + "\n")
	}
	if f.Snippet != "" {
		b.WriteString(f.Snippet + "\n")
	}
	if f.Manual != "" {
		b.WriteString("Where: " + f.Manual + "\n")
	}
	if f.Link != "" {
		b.WriteString(f.Link + "\n")
	}
	return b.String()
}
