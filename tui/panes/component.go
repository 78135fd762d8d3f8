package panes

import (
	"time"

	"charm.land/bubbles/v2/help"
	tea "charm.land/bubbletea/v2"

	"github.com/mailcred/mailcred/themes"
)

// Context is what every pane shares: the theme, the key map, the clock and
// the terminal size. The root owns it and panes hold a pointer to it, so a
// theme change (the terminal reporting its background) reaches them all.
type Context struct {
	Theme         themes.Theme
	Keys          *KeyMap
	Now           func() time.Time
	Width, Height int // the terminal
}

// NewContext returns a context with the mono theme and the real clock.
func NewContext() *Context {
	return &Context{Keys: NewKeyMap(), Now: time.Now, Width: 80, Height: 24}
}

// Component is a pane, in the manner of soft-serve's common.Component: it
// updates itself from the messages the root routes to it (keys only while
// it has the focus, every other message always), renders exactly the size
// it was last given, and names its own keys for the help line.
//
// View only reads: whatever depends on the size is computed in SetSize,
// whatever depends on the content when the content changes.
type Component interface {
	help.KeyMap
	// Title is the pane's name in its frame and tab, with its state
	// ("Checks (running…)").
	Title() string
	Init() tea.Cmd
	Update(tea.Msg) tea.Cmd
	// SetSize gives the pane its inner size (inside the frame).
	SetSize(w, h int)
	// View renders exactly the size given by SetSize.
	View() string
}
