package cli

import (
	"bytes"
	"io"
	"os"
	"testing"
	"time"

	"github.com/charmbracelet/colorprofile"
)

func TestColourMattersOnlyForTheAdaptiveThemeInColour(t *testing.T) {
	for _, tc := range []struct {
		name   string
		g      *globals
		prof   colorprofile.Profile
		wanted bool
	}{
		{"default theme, colour terminal", &globals{format: "text", theme: "default"}, colorprofile.TrueColor, true},
		{"--theme dark", &globals{format: "text", theme: "dark"}, colorprofile.TrueColor, false},
		{"--theme mono", &globals{format: "text", theme: "mono"}, colorprofile.TrueColor, false},
		{"NO_COLOR", &globals{format: "text", theme: "default", io: IO{Env: []string{"NO_COLOR=1"}}}, colorprofile.TrueColor, false},
		{"--format json", &globals{format: "json", theme: "default"}, colorprofile.TrueColor, false},
		{"no colours (TERM=dumb)", &globals{format: "text", theme: "default"}, colorprofile.Ascii, false},
	} {
		if got := tc.g.colourMatters(tc.prof); got != tc.wanted {
			t.Errorf("%s: colourMatters = %v", tc.name, got)
		}
	}
}

// A terminal that answers: OSC 11 then DA1.
func TestProbeReadsTheAnswer(t *testing.T) {
	for _, tc := range []struct {
		answer string
		dark   bool
	}{
		{"\x1b]11;rgb:ffff/ffff/ffff\x1b\\\x1b[?62;22c", false},
		{"\x1b]11;rgb:1e1e/1e1e/1e1e\a\x1b[?1;2c", true},
		{"\x1b[?1;2c", true}, // DA1 only: no OSC 11 support
	} {
		r, w, _ := os.Pipe()
		var out bytes.Buffer
		go func() { w.WriteString(tc.answer); w.Close() }()
		if got := probeDark(r, &out, time.Second, func() bool { return r.Close() == nil }); got != tc.dark {
			t.Errorf("answer %q: dark %v", tc.answer, got)
		}
		if out.String() != "\x1b]11;?\x07\x1b[c" {
			t.Errorf("queries %q", out.String())
		}
		r.Close()
	}
}

// A terminal that never answers costs the short timeout.
func TestProbeGivesUpQuickly(t *testing.T) {
	r, w, _ := os.Pipe()
	defer w.Close()
	start := time.Now()
	cancelled := make(chan struct{})
	dark := probeDark(r, io.Discard, 50*time.Millisecond, func() bool { close(cancelled); r.Close(); return true })
	<-cancelled
	if el := time.Since(start); !dark || el > 5*time.Second {
		t.Fatalf("dark %v after %v", dark, el)
	}
}
