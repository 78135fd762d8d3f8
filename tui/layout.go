package tui

// Pane identifies a pane by its place in the focus (Tab) order.
type Pane int

// The workbench's own panes, in focus order. Panes given in Config.Extra
// follow them.
const (
	PaneChecks Pane = iota
	PaneCompose
	PaneTranscript
	PaneTLS
	PaneDKIM
	paneCount // the built-in panes
)

// Rect is a pane's place on the screen.
type Rect struct{ X, Y, W, H int }

// Layout is where everything goes for one terminal size. It is a pure
// function of the size and the number of panes, computed once per resize.
type Layout struct {
	Width, Height int
	// Tabbed: one pane at a time with a tab bar (a narrow terminal, or a
	// wide one whose extra panes need tabs to be reached).
	Tabbed bool
	// Grid: the five built-in panes side by side (wide terminals).
	Grid   bool
	Header Rect
	Tabs   Rect // zero when there is no tab bar
	Panes  []Rect
	Footer Rect
}

// minimum sizes for the side-by-side layout.
const (
	wideMinWidth  = 120
	wideMinHeight = 32
)

// NewLayout computes the layout for a w×h terminal and n panes (the five
// built-in ones first).
func NewLayout(w, h, n int) Layout {
	w, h = max(w, 20), max(h, 8)
	n = max(n, int(paneCount))
	l := Layout{Width: w, Height: h, Header: Rect{0, 0, w, 1}, Footer: Rect{0, h - 1, w, 1}, Panes: make([]Rect, n)}
	body := Rect{0, 1, w, h - 2}
	if w < wideMinWidth || h < wideMinHeight || n > int(paneCount) {
		l.Tabs = Rect{0, 1, w, 1}
		body = Rect{0, 2, w, h - 3}
	}
	if w < wideMinWidth || h < wideMinHeight {
		// 80×24 over SSH: panes become tabs sharing the body.
		l.Tabbed = true
		for p := range l.Panes {
			l.Panes[p] = body
		}
		return l
	}
	l.Grid = true
	leftW := w * 45 / 100
	rightW := w - leftW
	composeH := body.H * 40 / 100
	l.Panes[PaneCompose] = Rect{0, body.Y, leftW, composeH}
	l.Panes[PaneChecks] = Rect{0, body.Y + composeH, leftW, body.H - composeH}
	transH := body.H * 60 / 100
	l.Panes[PaneTranscript] = Rect{leftW, body.Y, rightW, transH}
	tlsW := rightW / 2
	l.Panes[PaneTLS] = Rect{leftW, body.Y + transH, tlsW, body.H - transH}
	l.Panes[PaneDKIM] = Rect{leftW + tlsW, body.Y + transH, rightW - tlsW, body.H - transH}
	for p := int(paneCount); p < n; p++ {
		l.Panes[p] = body // an extra pane takes the body when focused
	}
	return l
}
