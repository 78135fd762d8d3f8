package panes

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/mailcred/mailcred/scoring/safetext"
	"github.com/mailcred/mailcred/session/smtpc"
	"github.com/mailcred/mailcred/themes"
)

// MaxTranscriptLines bounds the transcript kept in memory: an endless
// stream from a hostile server must not grow the session without limit.
const MaxTranscriptLines = 50_000

// Transcript is the live SMTP conversation, swaks-style, scrollable.
// Lines are wrapped once, when they arrive or the width changes, so a
// frame costs what a screenful does however long the transcript is.
type Transcript struct {
	ctx    *Context
	lines  []tline
	rows   []trow // lines wrapped to the width
	w, h   int
	scroll Scroll
}

type tline struct {
	text string // one display line, already safe for the terminal
	kind smtpc.Kind
	src  smtpc.Source
}

type trow struct {
	text string
	kind smtpc.Kind
	src  smtpc.Source
}

// NewTranscript returns an empty transcript that follows new lines.
func NewTranscript(ctx *Context) *Transcript {
	return &Transcript{ctx: ctx, scroll: Scroll{Follow: true}}
}

// Append adds an event's lines (already sanitised by smtpc), marked and
// styled by the event's source: the wire, mailcred, a local MTA or the
// demo world.
func (t *Transcript) Append(e smtpc.Event) {
	for _, l := range strings.Split(smtpc.Format(e), "\n") {
		t.add(tline{text: l, kind: e.Kind, src: e.Source})
	}
	t.trim()
}

// Note adds a line that is not an event of the send (what a reply means,
// the demo world's news), with src's marker and no time.
func (t *Transcript) Note(src smtpc.Source, text string) {
	marker := smtpc.Marker(smtpc.Event{Kind: smtpc.KindInfo, Source: src})
	for _, l := range strings.Split(text, "\n") {
		t.add(tline{text: fmt.Sprintf("%9s %-3s %s", "", marker, safetext.Line(l, 0)), kind: smtpc.KindInfo, src: src})
	}
	t.trim()
}

func (t *Transcript) add(l tline) {
	t.lines = append(t.lines, l)
	for _, r := range wrapTranscript(l.text, t.w) {
		t.rows = append(t.rows, trow{text: r, kind: l.kind, src: l.src})
	}
	t.scroll.Set(len(t.rows), t.h)
}

// trim drops the oldest tenth once over the bound (then rewraps), so the
// cost is paid once per 5,000 lines, not on every line.
func (t *Transcript) trim() {
	if len(t.lines) <= MaxTranscriptLines {
		return
	}
	drop := len(t.lines) - MaxTranscriptLines + MaxTranscriptLines/10
	t.lines = append(t.lines[:0:0], t.lines[drop:]...)
	t.rewrap()
}

func (t *Transcript) rewrap() {
	t.rows = t.rows[:0]
	for _, l := range t.lines {
		for _, r := range wrapTranscript(l.text, t.w) {
			t.rows = append(t.rows, trow{text: r, kind: l.kind, src: l.src})
		}
	}
	t.scroll.Set(len(t.rows), t.h)
}

// Clear empties the transcript for a new send.
func (t *Transcript) Clear() {
	t.lines, t.rows = nil, nil
	t.scroll = Scroll{Follow: true}
	t.scroll.Set(0, t.h)
}

// Len is the number of lines (before wrapping).
func (t *Transcript) Len() int { return len(t.lines) }

// Title names the pane; a position shows when scrolled back.
func (t *Transcript) Title() string {
	if !t.scroll.AtEnd() {
		from, _ := t.scroll.Window()
		return fmt.Sprintf("Transcript (line %d of %d)", from+1, len(t.rows))
	}
	return "Transcript"
}

// Init does nothing: events come from the root.
func (t *Transcript) Init() tea.Cmd { return nil }

// SetSize rewraps the lines to the new width.
func (t *Transcript) SetSize(w, h int) {
	if w != t.w {
		t.w, t.h = w, h
		t.rewrap()
		return
	}
	t.h = h
	t.scroll.Set(len(t.rows), h)
}

// Update scrolls (keys reach a pane only while it has the focus).
func (t *Transcript) Update(msg tea.Msg) tea.Cmd {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	switch keys := t.ctx.Keys; {
	case key.Matches(k, keys.Up):
		t.scroll.By(-1)
	case key.Matches(k, keys.Down):
		t.scroll.By(1)
	default:
		t.scroll.Key(keys, k)
	}
	return nil
}

// ShortHelp lists the pane's keys.
func (t *Transcript) ShortHelp() []key.Binding {
	k := t.ctx.Keys
	return []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown}
}

// FullHelp lists the pane's keys in one column.
func (t *Transcript) FullHelp() [][]key.Binding {
	k := t.ctx.Keys
	return [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}}
}

// View renders the visible rows; only they are styled.
func (t *Transcript) View() string {
	th := t.ctx.Theme
	if len(t.rows) == 0 {
		return strings.Join(Fit(Wrap("Nothing sent yet. Compose a message and press s to send it; the SMTP conversation appears here as it happens.", t.w), t.w, t.h), "\n")
	}
	from, to := t.scroll.Window()
	out := make([]string, 0, t.h)
	for _, r := range t.rows[from:to] {
		out = append(out, EventStyle(th, r.kind, r.src).Render(r.text))
	}
	return strings.Join(Fit(out, t.w, t.h), "\n")
}

// EventStyle is how a transcript line of this kind and source looks, in
// the workbench and in `mailcred send`'s printed transcript alike:
// failures, lines sent, replies, mailcred's notes, the demo world's and
// the rest (connection notices, a local MTA's own lines) each their own.
func EventStyle(th themes.Theme, kind smtpc.Kind, src smtpc.Source) lipgloss.Style {
	switch {
	case kind == smtpc.KindError:
		return th.Fail
	case kind == smtpc.KindSent:
		return th.Info
	case kind == smtpc.KindReceived:
		return lipgloss.NewStyle()
	case src == smtpc.FromClient:
		return th.Accent
	case src == smtpc.FromWorld:
		return th.Accent.Italic(true)
	}
	return th.Muted
}

// transcriptIndent is the width of the time and direction columns
// ("   0.011s <~  "), under which continuation rows start.
const transcriptIndent = 14

func wrapTranscript(line string, w int) []string {
	if w <= 0 {
		return nil
	}
	if ansi.StringWidth(line) <= w || w <= transcriptIndent+10 {
		return []string{ansi.Truncate(line, w, "…")}
	}
	prefix := ansi.Cut(line, 0, transcriptIndent)
	rows := Wrap(ansi.Cut(line, transcriptIndent, ansi.StringWidth(line)), w-transcriptIndent)
	if len(rows) > 50 { // a capped server line is ~1000 chars; keep a screen sane
		rows = append(rows[:49], "…")
	}
	pad := strings.Repeat(" ", transcriptIndent)
	for i := range rows {
		if i == 0 {
			rows[i] = prefix + rows[i]
		} else {
			rows[i] = pad + rows[i]
		}
	}
	return rows
}
