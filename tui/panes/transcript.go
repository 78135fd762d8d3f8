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
	t.lines = append(t.lines, tline{text: "         **   " + text, kind: smtpc.KindInfo})
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

// View renders the visible window into w×h cells. Long lines wrap (an
// SMTP reply is worth reading whole at 80 columns), with the time column
// kept clear; only the lines on screen are wrapped and styled.
func (t *Transcript) View(th themes.Theme, w, h int) []string {
	t.height = h
	if len(t.lines) == 0 {
		return []string{th.Muted.Render("Nothing sent yet. Compose a message and press s to send it;"),
			th.Muted.Render("the SMTP conversation appears here as it happens.")}
	}
	style := func(l tline, text string) string {
		switch l.kind {
		case smtpc.KindSent:
			return th.Info.Render(text)
		case smtpc.KindError:
			return th.Fail.Render(text)
		case smtpc.KindInfo, smtpc.KindConnect, smtpc.KindTLS, smtpc.KindDone:
			return th.Muted.Render(text)
		}
		return text
	}
	if t.follow {
		// Fill from the last line upwards.
		var rows []string
		for i := len(t.lines) - 1; i >= 0 && len(rows) < h; i-- {
			wrapped := wrapTranscript(t.lines[i].text, w)
			for j := len(wrapped) - 1; j >= 0 && len(rows) < h; j-- {
				rows = append(rows, style(t.lines[i], wrapped[j]))
			}
		}
		for i, j := 0, len(rows)-1; i < j; i, j = i+1, j-1 {
			rows[i], rows[j] = rows[j], rows[i]
		}
		return rows
	}
	var rows []string
	for i := t.offset; i < len(t.lines) && len(rows) < h; i++ {
		for _, r := range wrapTranscript(t.lines[i].text, w) {
			if len(rows) < h {
				rows = append(rows, style(t.lines[i], r))
			}
		}
	}
	return rows
}

// transcriptIndent is the width of the time and direction columns
// ("   0.011s <~  "), under which continuation rows start.
const transcriptIndent = 14

func wrapTranscript(line string, w int) []string {
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
