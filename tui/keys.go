package tui

import "charm.land/bubbles/v2/key"

// keyMap is every binding of the workbench; the same map drives the help
// line and the full help view. Built per program (no package-level map).
type keyMap struct {
	Next, Prev       key.Binding
	Up, Down         key.Binding
	PageUp, PageDown key.Binding
	Edit, Send       key.Binding
	Confirm, Cancel  key.Binding
	Rerun, Watch     key.Binding
	Copy, Apply      key.Binding
	Recipient        key.Binding
	NextProblem      key.Binding
	Help, Quit       key.Binding
}

func newKeyMap() keyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return keyMap{
		Next:        b("tab", "next pane", "tab"),
		Prev:        b("shift+tab", "previous pane", "shift+tab"),
		Up:          b("↑/k", "up", "up", "k"),
		Down:        b("↓/j", "down", "down", "j"),
		PageUp:      b("pgup", "page up", "pgup", "b"),
		PageDown:    b("pgdn", "page down", "pgdown", "space"),
		Edit:        b("e", "edit draft", "e"),
		Send:        b("s", "send…", "s"),
		Confirm:     b("y", "confirm", "y"),
		Cancel:      b("esc/n", "cancel", "esc", "n"),
		Rerun:       b("r", "re-run checks", "r"),
		Watch:       b("w", "watch mode", "w"),
		Copy:        b("c", "copy fix", "c"),
		Apply:       b("a", "apply fix (demo)", "a"),
		Recipient:   b("p", "next recipient (demo)", "p"),
		NextProblem: b("f", "next problem", "f"),
		Help:        b("?", "help", "?"),
		Quit:        b("q", "quit", "q", "ctrl+c"),
	}
}

// ShortHelp is the one-line help.
func (k keyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Next, k.NextProblem, k.Apply, k.Send, k.Recipient, k.Rerun, k.Copy, k.Watch, k.Help, k.Quit}
}

// FullHelp is the help view.
func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Next, k.Prev, k.Up, k.Down, k.PageUp, k.PageDown, k.NextProblem},
		{k.Edit, k.Send, k.Confirm, k.Cancel, k.Recipient},
		{k.Rerun, k.Watch, k.Copy, k.Apply, k.Help, k.Quit},
	}
}
