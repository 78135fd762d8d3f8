// Package panes holds the workbench's panes. Each pane is a Component: it
// owns its state, updates itself from the messages the root routes to it,
// and renders itself into the size it was given; the root model in tui
// routes and lays out. Rendering is pure: no I/O, nothing set, styles come
// from the shared Context.
package panes

import (
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/mailcred/mailcred/themes"
)

// Frame draws a bordered box of exactly w×h cells with a title, around
// body lines (cut or padded to fit). Focus changes the border colour and
// marks the title, so focus is visible without colour too. The border is
// drawn directly (not through a lipgloss border style, which re-measures
// and re-wraps every line of every pane on every frame).
func Frame(th themes.Theme, title string, body string, w, h int, focused bool) string {
	return strings.Join(FrameLines(th, title, body, w, h, focused), "\n")
}

// FrameLines is Frame as rows, for the root to compose side by side.
func FrameLines(th themes.Theme, title string, body string, w, h int, focused bool) []string {
	if w < 4 || h < 3 {
		return Fit(nil, max(0, w), max(0, h))
	}
	b := lipgloss.NormalBorder()
	paint := lipgloss.NewStyle()
	if focused {
		b = lipgloss.ThickBorder()
		if th.Focus != nil {
			paint = paint.Foreground(th.Focus)
		}
		title = "▶ " + title
	} else if th.Border != nil {
		paint = paint.Foreground(th.Border)
	}
	inner := w - 2
	out := make([]string, 0, h)
	top := paint.Render(b.TopLeft + b.Top)
	used := 1
	if inner > 4 {
		t := " " + ansi.Truncate(title, inner-3, "…") + " "
		styled := th.Title.Render(t)
		if focused {
			styled = th.Accent.Render(t)
		}
		top += styled
		used += ansi.StringWidth(t)
	}
	top += paint.Render(strings.Repeat(b.Top, max(0, inner-used)) + b.TopRight)
	out = append(out, top)
	left, right := paint.Render(b.Left), paint.Render(b.Right)
	for _, l := range Fit(strings.Split(body, "\n"), inner, h-2) {
		out = append(out, left+l+right)
	}
	return append(out, paint.Render(b.BottomLeft+strings.Repeat(b.Bottom, inner)+b.BottomRight))
}

// Fit cuts or pads lines to exactly w columns and h rows.
func Fit(lines []string, w, h int) []string {
	out := make([]string, h)
	for i := 0; i < h; i++ {
		var l string
		if i < len(lines) {
			l = lines[i]
		}
		lw := ansi.StringWidth(l)
		switch {
		case lw > w:
			l = ansi.Truncate(l, w, "…")
		case lw < w:
			l += strings.Repeat(" ", w-lw)
		}
		out[i] = l
	}
	return out
}

// isURL reports whether a word is a web address.
func isURL(w string) bool {
	return strings.HasPrefix(w, "https://") || strings.HasPrefix(w, "http://")
}

// Link shows url as a terminal hyperlink (OSC 8; terminals without it
// show the text), cut to w cells with … when it is longer: the link
// still opens the whole address.
func Link(url string, w int) string {
	text := url
	if ansi.StringWidth(text) > w {
		text = ansi.Truncate(text, w, "…")
	}
	return ansi.SetHyperlink(url) + text + ansi.ResetHyperlink()
}

// Wrap breaks plain text at spaces to width w. A paragraph's leading
// indentation is kept, on its continuation lines too (an SPF include tree
// stays a tree). A word longer than a line goes on a line of its own and
// is broken there only if it must be (URLs: see Link).
func Wrap(text string, w int) []string {
	if w < 1 {
		return nil
	}
	var out []string
	for _, para := range strings.Split(text, "\n") {
		body := strings.TrimLeft(para, " ")
		indent := para[:len(para)-len(body)]
		if len(indent) > w/2 {
			indent = indent[:w/2]
		}
		room := w - len(indent)
		line := ""
		flush := func() {
			out = append(out, indent+line)
			line = ""
		}
		for _, word := range strings.Fields(body) {
			if isURL(word) {
				// A URL is never broken: it goes whole on a line, cut
				// short on screen only if it must be, and is a link
				// (OSC 8) to the whole address either way.
				if line != "" && ansi.StringWidth(line)+1+ansi.StringWidth(word) > room {
					flush()
				}
				if line != "" {
					line += " "
				}
				line += Link(word, max(1, room-ansi.StringWidth(line)))
				continue
			}
			for ansi.StringWidth(word) > room {
				if line != "" {
					flush()
				}
				line = ansi.Cut(word, 0, room)
				flush()
				word = ansi.Cut(word, room, ansi.StringWidth(word))
			}
			switch {
			case word == "":
			case line == "":
				line = word
			case ansi.StringWidth(line)+1+ansi.StringWidth(word) <= room:
				line += " " + word
			default:
				flush()
				line = word
			}
		}
		flush()
	}
	return out
}
