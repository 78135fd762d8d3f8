package cli

import (
	"image/color"
	"io"
	"os"
	"strings"
	"time"

	"github.com/charmbracelet/colorprofile"
	uv "github.com/charmbracelet/ultraviolet"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/term"

	"github.com/mailcred/mailcred/themes"
)

// probeTimeout bounds the wait for the terminal's answer. A local
// terminal answers in a millisecond or two; one that never answers costs
// this once (lipgloss's HasDarkBackground waits 2 s, and twice).
const probeTimeout = 300 * time.Millisecond

// colourMatters reports whether the terminal's background could change
// the output: only the adaptive default theme reads it, and only when
// colour is written at all (text output to a terminal, not NO_COLOR, a
// profile with colours).
func (g *globals) colourMatters(p colorprofile.Profile) bool {
	return g.format == "text" && themes.Adaptive(g.theme) && !themes.NoColor(g.io.Env) && p > colorprofile.Ascii
}

// darkBackground asks the terminal once per run (OSC 11 and DA1) whether
// its background is dark; every later call has the answer. Callers ask
// only after the command's work, when about to print.
func (g *globals) darkBackground(in, out *os.File) bool {
	g.bg.once.Do(func() { g.bg.dark = terminalDark(in, out, probeTimeout) })
	return g.bg.dark
}

// terminalDark puts in in raw mode for the length of the question and
// reads the answers; no answer (or an error) means dark, the common case.
func terminalDark(in, out *os.File, timeout time.Duration) bool {
	state, err := term.MakeRaw(in.Fd())
	if err != nil {
		return true
	}
	defer term.Restore(in.Fd(), state)
	rd, err := uv.NewCancelReader(in)
	if err != nil {
		return true
	}
	defer rd.Close()
	return probeDark(rd, out, timeout, rd.Cancel)
}

// probeDark writes the two queries and reads until the DA1 answer (every
// terminal sends one, after its OSC 11 answer if it has one), the timeout
// (cancel stops the read) or an error.
func probeDark(in io.Reader, out io.Writer, timeout time.Duration, cancel func() bool) bool {
	timer := time.AfterFunc(timeout, func() { cancel() })
	defer timer.Stop()
	if _, err := io.WriteString(out, ansi.RequestBackgroundColor+ansi.RequestPrimaryDeviceAttributes); err != nil {
		return true
	}
	var bg color.Color
	pa := ansi.GetParser()
	defer ansi.PutParser(pa)
	var acc []byte
	var buf [256]byte
	var state byte
	for {
		n, err := in.Read(buf[:])
		if err != nil {
			return isDark(bg)
		}
		p := buf[:n]
		for len(p) > 0 {
			seq, _, read, next := ansi.DecodeSequence(p, state, pa)
			acc = append(acc, seq...)
			if next == ansi.NormalState {
				s := string(acc)
				switch {
				case ansi.HasOscPrefix(s) && pa.Command() == 11:
					if _, c, ok := strings.Cut(string(pa.Data()), ";"); ok {
						bg = ansi.XParseColor(c)
					}
				case ansi.HasCsiPrefix(s) && pa.Command() == ansi.Command('?', 0, 'c'):
					return isDark(bg)
				}
				acc = acc[:0]
			}
			state = next
			p = p[read:]
		}
	}
}

// isDark: no colour known counts as dark; else relative luminance under
// one half (ITU-R BT.709 weights).
func isDark(c color.Color) bool {
	if c == nil {
		return true
	}
	r, g, b, _ := c.RGBA()
	return 0.2126*float64(r)+0.7152*float64(g)+0.0722*float64(b) < 0.5*0xffff
}
