package panes

import (
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/mailcred/mailcred/session/smtpc"
	"github.com/mailcred/mailcred/themes"
)

// MaxTranscriptLines bounds the transcript kept in memory: an endless
// stream from a hostile server must not grow the session without limit.
const MaxTranscriptLines = 50_000

// Transcript is the live SMTP conversation, swaks-style, scrollable. It
// renders only the visible window, so a 10,000-line transcript costs what
// a screenful does.
type Transcript struct {
	lines  []tline
	offset int  // first visible line when not following
	follow bool // stick to the end as lines arrive
	height int  // last rendered height, for paging
	Header string
}

type tline struct {
	text string
	kind smtpc.Kind
}

// NewTranscript returns an empty transcript that follows new lines.
func NewTranscript() Transcript { return Transcript{follow: true} }

// Append adds an event's lines (already sanitised by smtpc).
func (t *Transcript) Append(e smtpc.Event) {
	for _, l := range strings.Split(smtpc.Format(e), "\n") {
		t.lines = append(t.lines, tline{text: l, kind: e.Kind})
	}
	t.trim()
}

// Note adds a line of the workbench's own (not from the wire).
func (t *Transcript) Note(text string) {
	t.lines = append(t.lines, tline{text: "         ** " + text, kind: smtpc.KindInfo})
	t.trim()
}

func (t *Transcript) trim() {
	if over := len(t.lines) - MaxTranscriptLines; over > 0 {
		t.lines = append(t.lines[:0:0], t.lines[over:]...)
		t.offset = max(0, t.offset-over)
	}
}

// Clear empties the transcript for a new send.
func (t *Transcript) Clear() { *t = Transcript{follow: true, Header: t.Header} }

// Len is the number of lines.
func (t *Transcript) Len() int { return len(t.lines) }

// Scroll moves the view by d lines; scrolling to the end resumes following.
func (t *Transcript) Scroll(d int) {
	if t.follow {
		t.offset = max(0, len(t.lines)-t.height)
	}
	t.offset = clamp(t.offset+d, 0, max(0, len(t.lines)-t.height))
	t.follow = t.offset >= len(t.lines)-t.height
}

// Page scrolls by a screenful.
func (t *Transcript) Page(d int) { t.Scroll(d * max(1, t.height-1)) }

// View renders the visible window into w×h cells.
func (t *Transcript) View(th themes.Theme, w, h int) []string {
	t.height = h
	if len(t.lines) == 0 {
		return []string{th.Muted.Render("Nothing sent yet. Compose a message and press s to send it;"),
			th.Muted.Render("the SMTP conversation appears here as it happens.")}
	}
	start := t.offset
	if t.follow {
		start = max(0, len(t.lines)-h)
	}
	end := min(len(t.lines), start+h)
	out := make([]string, 0, end-start)
	for _, l := range t.lines[start:end] {
		text := ansi.Truncate(l.text, w, "…")
		switch l.kind {
		case smtpc.KindSent:
			text = th.Info.Render(text)
		case smtpc.KindError:
			text = th.Fail.Render(text)
		case smtpc.KindInfo, smtpc.KindConnect, smtpc.KindTLS, smtpc.KindDone:
			text = th.Muted.Render(text)
		}
		out = append(out, text)
	}
	return out
}
