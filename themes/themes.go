// Package themes holds the named colour themes of mailcred's screens and
// text output. A Theme is a value built once per program (or per SSH
// session) and passed down; there is no package-level theme to mutate.
//
// Every status also has a symbol, so a verdict is readable with no colour
// at all (NO_COLOR, the mono theme, a screen reader).
package themes

import (
	"fmt"
	"image/color"
	"sort"
	"strings"

	"charm.land/lipgloss/v2"
)

// Theme is a set of styles. Build one with New; the zero value is mono.
type Theme struct {
	Name string

	Pass, Warn, Fail, Info, Skip, Pending, Error lipgloss.Style

	Title    lipgloss.Style // headings, the score
	Muted    lipgloss.Style // time offsets, secondary text
	Accent   lipgloss.Style // focus, selection, key hints
	Selected lipgloss.Style // the selected row
	Changed  lipgloss.Style // a verdict that just changed
	Border   color.Color    // pane borders (nil: terminal default)
	Focus    color.Color    // the focused pane's border
}

// palette is the colours a theme is made of.
type palette struct {
	pass, warn, fail, info, muted, accent, err, changedBG, selBG color.Color
	bold                                                         bool
}

// Names lists the themes, default first.
func Names() []string {
	names := []string{"default"}
	var rest []string
	for n := range palettes(true) {
		if n != "default" {
			rest = append(rest, n)
		}
	}
	sort.Strings(rest)
	return append(names, rest...)
}

func palettes(dark bool) map[string]*palette {
	ld := lipgloss.LightDark(dark)
	c := lipgloss.Color
	return map[string]*palette{
		// The adaptive default follows the terminal's background.
		"default": {
			pass: ld(c("#1a7f37"), c("#3fb950")), warn: ld(c("#9a6700"), c("#d29922")),
			fail: ld(c("#cf222e"), c("#f85149")), info: ld(c("#0969da"), c("#58a6ff")),
			muted: ld(c("#6e7781"), c("#8b949e")), accent: ld(c("#8250df"), c("#bc8cff")),
			err: ld(c("#bc4c00"), c("#db6d28")), changedBG: ld(c("#fff8c5"), c("#3b2e00")),
			selBG: ld(c("#ddf4ff"), c("#1f2a3a")),
		},
		"dark": {
			pass: c("#3fb950"), warn: c("#d29922"), fail: c("#f85149"), info: c("#58a6ff"),
			muted: c("#8b949e"), accent: c("#bc8cff"), err: c("#db6d28"),
			changedBG: c("#3b2e00"), selBG: c("#1f2a3a"),
		},
		"light": {
			pass: c("#1a7f37"), warn: c("#9a6700"), fail: c("#cf222e"), info: c("#0969da"),
			muted: c("#6e7781"), accent: c("#8250df"), err: c("#bc4c00"),
			changedBG: c("#fff8c5"), selBG: c("#ddf4ff"),
		},
		// High contrast: the 16 basic ANSI colours, bold, which every
		// terminal and every colour-blindness palette setting maps sanely.
		"high-contrast": {
			pass: lipgloss.BrightGreen, warn: lipgloss.BrightYellow, fail: lipgloss.BrightRed,
			info: lipgloss.BrightCyan, muted: lipgloss.White, accent: lipgloss.BrightMagenta,
			err: lipgloss.BrightYellow, changedBG: lipgloss.Blue, selBG: lipgloss.BrightBlack, bold: true,
		},
		"mono": {},
	}
}

// Adaptive reports whether the theme called name follows the terminal's
// background (only the default does): otherwise there is no need to ask
// the terminal.
func Adaptive(name string) bool { return name == "" || name == "default" }

// New builds the named theme for a dark or light background. An empty
// name is the default.
func New(name string, darkBackground bool) (Theme, error) {
	if name == "" {
		name = "default"
	}
	p, ok := palettes(darkBackground)[name]
	if !ok {
		return Theme{}, fmt.Errorf("unknown theme %q (have %s)", name, strings.Join(Names(), ", "))
	}
	return build(name, p), nil
}

// Mono is the colourless theme, used for NO_COLOR and non-terminals.
func Mono() Theme { return build("mono", &palette{}) }

func build(name string, p *palette) Theme {
	fg := func(c color.Color) lipgloss.Style {
		s := lipgloss.NewStyle()
		if c != nil {
			s = s.Foreground(c)
		}
		return s.Bold(p.bold)
	}
	t := Theme{
		Name: name,
		Pass: fg(p.pass), Warn: fg(p.warn), Fail: fg(p.fail).Bold(true), Info: fg(p.info),
		Skip: fg(p.muted), Pending: fg(p.muted), Error: fg(p.err),
		Title: lipgloss.NewStyle().Bold(true), Muted: fg(p.muted), Accent: fg(p.accent).Bold(true),
		Selected: lipgloss.NewStyle().Reverse(p.selBG == nil),
		Changed:  lipgloss.NewStyle().Underline(p.changedBG == nil),
		Border:   p.muted, Focus: p.accent,
	}
	if p.selBG != nil {
		t.Selected = t.Selected.Background(p.selBG)
	}
	if p.changedBG != nil {
		t.Changed = t.Changed.Background(p.changedBG)
	}
	return t
}

// Status returns the style and the symbol for a status name ("pass",
// "warn", ...). The symbol carries the meaning without colour.
func (t Theme) Status(status string) (lipgloss.Style, string) {
	switch status {
	case "pass":
		return t.Pass, "✓"
	case "warn":
		return t.Warn, "!"
	case "fail":
		return t.Fail, "✗"
	case "info":
		return t.Info, "i"
	case "skip":
		return t.Skip, "-"
	case "error":
		return t.Error, "?"
	}
	return t.Pending, "…"
}

// NoColor reports whether the environment asks for no colour. The
// no-color.org convention is any non-empty NO_COLOR value; colorprofile
// only honours values that parse as booleans, so we check it ourselves.
func NoColor(environ []string) bool {
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, "NO_COLOR="); ok && v != "" {
			return true
		}
	}
	return false
}
