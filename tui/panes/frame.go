// Package panes holds the workbench's panes. Each pane owns its state and
// renders itself into the size it is given; the root model in tui routes
// messages and keys to them and lays them out. Rendering is pure: no I/O,
// styles come from the theme value passed in.
package panes

import (
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/mailcred/mailcred/themes"
)

// Frame draws a bordered box of exactly w×h cells with a title, around
// body lines (cut or padded to fit). Focus changes the border colour and
// marks the title, so focus is visible without colour too.
func Frame(th themes.Theme, title string, body []string, w, h int, focused bool) string {
	if w < 4 || h < 3 {
		return ""
	}
	border := lipgloss.NormalBorder()
	style := lipgloss.NewStyle().Border(border).Width(w).Height(h)
	if focused {
		style = style.Border(lipgloss.ThickBorder())
		if th.Focus != nil {
			style = style.BorderForeground(th.Focus)
		}
		title = "▶ " + title
	} else if th.Border != nil {
		style = style.BorderForeground(th.Border)
	}
	inner := w - 2
	lines := Fit(body, inner, h-2)
	box := style.Render(strings.Join(lines, "\n"))
	// Put the title into the top border line.
	boxLines := strings.Split(box, "\n")
	if len(boxLines) > 0 && inner > 4 {
		t := " " + ansi.Truncate(title, inner-3, "…") + " "
		top := boxLines[0]
		tw := ansi.StringWidth(t)
		styledTitle := th.Title.Render(t)
		if focused {
			styledTitle = th.Accent.Render(t)
		}
		boxLines[0] = ansi.Cut(top, 0, 2) + styledTitle + ansi.Cut(top, 2+tw, w)
	}
	return strings.Join(boxLines, "\n")
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

// Wrap breaks plain text at spaces to width w (hard-breaking long words).
func Wrap(text string, w int) []string {
	if w < 1 {
		return nil
	}
	var out []string
	for _, para := range strings.Split(text, "\n") {
		line := ""
		for _, word := range strings.Fields(para) {
			for ansi.StringWidth(word) > w {
				if line != "" {
					out = append(out, line)
					line = ""
				}
				out = append(out, ansi.Cut(word, 0, w))
				word = ansi.Cut(word, w, ansi.StringWidth(word))
			}
			switch {
			case line == "":
				line = word
			case ansi.StringWidth(line)+1+ansi.StringWidth(word) <= w:
				line += " " + word
			default:
				out = append(out, line)
				line = word
			}
		}
		out = append(out, line)
	}
	return out
}
