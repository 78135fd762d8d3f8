package onboard

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/mailcred/mailcred/session/onboard"
	"github.com/mailcred/mailcred/tui/panes"
)

// Pane is the onboarding path as a workbench pane (tui.Config.Extra): the
// same steps, previews and explicit yes as `mailcred onboard`. The
// workbench keeps its own keys (a, r, s, tab, q); here enter opens the
// selected step's change, y applies it, any other key cancels.
type Pane struct {
	m   *Model
	ctx *panes.Context

	open, apply, move key.Binding
}

// NewPane returns the pane; its first check starts with Init.
func NewPane(ctx *panes.Context, o Options) *Pane {
	o.Theme = ctx.Theme
	return &Pane{m: New(o), ctx: ctx,
		open:  key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "preview the step's change")),
		apply: key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "apply the previewed change")),
		move:  key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑↓", "step")),
	}
}

// Changes are the writes made so far.
func (p *Pane) Changes() []onboard.Change { return p.m.Changes() }

// ShortHelp names the pane's keys.
func (p *Pane) ShortHelp() []key.Binding {
	if p.m.mode == modeConfirm {
		return []key.Binding{p.apply}
	}
	return []key.Binding{p.move, p.open}
}

// FullHelp names every key of the pane.
func (p *Pane) FullHelp() [][]key.Binding { return [][]key.Binding{{p.move, p.open, p.apply}} }

// Title is "Onboarding", with how many steps are left.
func (p *Pane) Title() string {
	r := p.m.report
	if r == nil || p.m.running {
		return "Onboarding (checking…)"
	}
	todo := 0
	for _, s := range r.Steps {
		if s.Status == onboard.Todo {
			todo++
		}
	}
	if todo == 0 {
		return "Onboarding (all done)"
	}
	return fmt.Sprintf("Onboarding (%d to do)", todo)
}

// Init starts the first check.
func (p *Pane) Init() tea.Cmd { return p.m.Init() }

// Update takes the pane's own messages and, while it has the focus, keys.
func (p *Pane) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		return nil // the workbench sizes the pane (SetSize)
	case tea.KeyPressMsg:
		switch msg.String() {
		case "q", "ctrl+c", "esc":
			if p.m.mode != modeBrowse {
				p.m.mode, p.m.note = modeBrowse, "nothing changed"
			}
			return nil
		case "enter":
			if p.m.mode == modeBrowse {
				msg = tea.KeyPressMsg{Code: 'a', Text: "a"}
			}
		case "a", "s", "r": // the workbench's; never reaches here, never means yes
			return nil
		}
		p.m.opts.Theme = p.ctx.Theme
		_, cmd := p.m.key(msg)
		return cmd
	}
	p.m.opts.Theme = p.ctx.Theme
	_, cmd := p.m.Update(msg)
	return cmd
}

// SetSize gives the pane its inner size.
func (p *Pane) SetSize(w, h int) { p.m.w, p.m.h = w, h }

// View renders exactly the size given.
func (p *Pane) View() string { return strings.Join(p.m.body(p.m.h), "\n") }

var _ panes.Component = (*Pane)(nil)
