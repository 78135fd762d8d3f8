package tui

// Pane identifies a pane.
type Pane int

// The panes, in focus (Tab) order.
const (
	PaneChecks Pane = iota
	PaneCompose
	PaneTranscript
	PaneTLS
	PaneDKIM
	paneCount
)

var paneTitles = [paneCount]string{"Checks", "Compose", "Transcript", "TLS", "DKIM"}

func (p Pane) String() string { return paneTitles[p] }

// Rect is a pane's place on the screen.
type Rect struct{ X, Y, W, H int }

// Layout is where everything goes for one terminal size. It is a pure
// function of the size, tested at several sizes.
type Layout struct {
	Width, Height int
	Tabbed        bool // narrow terminal: one pane at a time, with a tab bar
	Header        Rect
	Tabs          Rect
	Panes         [paneCount]Rect
	Footer        Rect
}

// minimum sizes for the side-by-side layout.
const (
	wideMinWidth  = 120
	wideMinHeight = 32
)

// NewLayout computes the layout for a w×h terminal.
func NewLayout(w, h int) Layout {
	w, h = max(w, 20), max(h, 8)
	l := Layout{Width: w, Height: h, Header: Rect{0, 0, w, 1}, Footer: Rect{0, h - 1, w, 1}}
	body := Rect{0, 1, w, h - 2}
	if w < wideMinWidth || h < wideMinHeight {
		// 80×24 over SSH: panes become tabs sharing the body.
		l.Tabbed = true
		l.Tabs = Rect{0, 1, w, 1}
		full := Rect{0, 2, w, h - 3}
		for p := range l.Panes {
			l.Panes[p] = full
		}
		return l
	}
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
	return l
}
