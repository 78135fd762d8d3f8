package panes

import "charm.land/bubbles/v2/key"

// KeyMap is every binding of the workbench; the same map drives the help
// line and the full help view. Built per program (no package-level map)
// and shared by the root and the panes through Context.
type KeyMap struct {
	Next, Prev       key.Binding
	Up, Down         key.Binding
	PageUp, PageDown key.Binding
	Top, Bottom      key.Binding
	Edit, Send       key.Binding
	Confirm, Cancel  key.Binding
	Rerun, Watch     key.Binding
	Copy, Apply      key.Binding
	Report           key.Binding
	Recipient        key.Binding
	NextProblem      key.Binding
	Help, Quit       key.Binding
	// Editing the draft.
	Field, PrevField, Done key.Binding
}

// NewKeyMap returns the workbench's bindings.
func NewKeyMap() *KeyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return &KeyMap{
		Next:        b("tab", "next pane", "tab"),
		Prev:        b("shift+tab", "previous pane", "shift+tab"),
		Up:          b("↑/k", "up", "up", "k"),
		Down:        b("↓/j", "down", "down", "j"),
		PageUp:      b("pgup/b", "page up", "pgup", "b"),
		PageDown:    b("pgdn/space", "page down", "pgdown", "space"),
		Top:         b("home/g", "top", "home", "g"),
		Bottom:      b("end/G", "bottom", "end", "G"),
		Edit:        b("e", "edit draft", "e"),
		Send:        b("s", "send…", "s"),
		Confirm:     b("y", "confirm", "y"),
		Cancel:      b("esc/n", "cancel", "esc", "n"),
		Rerun:       b("r", "re-run checks", "r"),
		Watch:       b("w", "watch mode", "w"),
		Copy:        b("c", "copy fix", "c"),
		Apply:       b("a", "apply fix (demo)", "a"),
		Report:      b("R", "save report", "R"),
		Recipient:   b("p", "next recipient (demo)", "p"),
		NextProblem: b("f", "next problem", "f"),
		Help:        b("?", "help", "?"),
		Quit:        b("q", "quit", "q", "ctrl+c"),
		Field:       b("↓/enter", "next field", "down", "enter", "ctrl+n"),
		PrevField:   b("↑", "previous field", "up", "ctrl+p"),
		Done:        b("esc", "done editing", "esc"),
	}
}

// ShortHelp is the workbench's one-line help (the focused pane's own keys
// come first; ? and q are always shown at the right of the footer).
func (k *KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Next, k.NextProblem, k.Apply, k.Send, k.Recipient, k.Rerun, k.Copy, k.Watch}
}

// FullHelp is the help view's workbench columns.
func (k *KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Next, k.Prev, k.NextProblem, k.Edit, k.Send, k.Confirm, k.Cancel},
		{k.Recipient, k.Rerun, k.Watch, k.Copy, k.Apply, k.Report, k.Help, k.Quit},
	}
}
