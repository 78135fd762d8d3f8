package panes

import (
	"fmt"
	"net/mail"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textarea"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/mailcred/mailcred/session/compose"
)

// The compose fields, in display order.
const (
	FieldFrom = iota
	FieldTo
	FieldCc
	FieldRcpt
	FieldSubject
	FieldBody
	fieldCount
)

var fieldNames = [fieldCount]string{"From", "To", "Cc", "RCPT TO", "Subject", "Body"}

// Compose is the draft editor. It never throws the draft away: a draft
// that does not validate stays as typed, with the problems listed.
type Compose struct {
	ctx     *Context
	inputs  [FieldBody]textinput.Model
	body    textarea.Model
	field   int
	editing bool
	// problems are the validation errors of the last attempt to send.
	problems []string
	w, h     int
}

// NewCompose fills the editor from a draft and the envelope recipients.
func NewCompose(ctx *Context, m compose.Message, rcpt []string) *Compose {
	c := &Compose{ctx: ctx}
	for i := range c.inputs {
		ti := textinput.New()
		ti.Prompt = ""
		ti.CharLimit = 998 // RFC 5322 §2.1.1 line limit
		c.inputs[i] = ti
	}
	c.inputs[FieldFrom].SetValue(m.From.String())
	if !m.Omit["To"] { // the story's draft has no To: header
		c.inputs[FieldTo].SetValue(addrList(m.To))
	}
	c.inputs[FieldCc].SetValue(addrList(m.Cc))
	c.inputs[FieldRcpt].SetValue(strings.Join(rcpt, ", "))
	c.inputs[FieldSubject].SetValue(m.Subject)
	c.body = textarea.New()
	c.body.ShowLineNumbers = false
	c.body.Prompt = ""
	c.body.CharLimit = 64 * 1024
	c.body.SetValue(m.Body)
	c.body.MoveToBegin()
	c.Restyle()
	return c
}

// Title names the pane with its state.
func (c *Compose) Title() string {
	if c.editing {
		return "Compose (editing)"
	}
	return "Compose"
}

// Init does nothing.
func (c *Compose) Init() tea.Cmd { return nil }

// Problems are the validation errors of the last attempt to send.
func (c *Compose) Problems() []string { return c.problems }

// SetProblems lists validation errors under the form (nil clears them).
func (c *Compose) SetProblems(p []string) {
	c.problems = p
	c.SetSize(c.w, c.h)
}

// SetSize sizes the inputs and the body to the pane.
func (c *Compose) SetSize(w, h int) {
	c.w, c.h = w, h
	for f := range c.inputs {
		c.inputs[f].SetWidth(max(1, w-11))
	}
	c.body.SetWidth(max(1, w-2))
	// Fields, the Body label, problems and the hint line.
	c.body.SetHeight(max(1, h-FieldBody-2-len(c.problems)))
}

// ShortHelp lists the pane's keys.
func (c *Compose) ShortHelp() []key.Binding {
	k := c.ctx.Keys
	if c.editing { // esc (Done) is shown at the footer's right
		return []key.Binding{k.PrevField, k.Field}
	}
	return []key.Binding{k.Edit, k.Send}
}

// FullHelp lists the pane's keys in one column.
func (c *Compose) FullHelp() [][]key.Binding {
	k := c.ctx.Keys
	return [][]key.Binding{{k.Edit, k.Send, k.PrevField, k.Field, k.Done}}
}

func addrList(as []mail.Address) string {
	var out []string
	for _, a := range as {
		out = append(out, a.String())
	}
	return strings.Join(out, ", ")
}

// Restyle styles the inputs from the context's theme (the bubbles'
// defaults carry colours of their own, which the mono theme and NO_COLOR
// must not show).
func (c *Compose) Restyle() {
	th := c.ctx.Theme
	ts := textinput.DefaultStyles(true)
	for _, st := range []*textinput.StyleState{&ts.Focused, &ts.Blurred} {
		st.Text, st.Prompt, st.Placeholder, st.Suggestion = th.Pass.UnsetForeground(), th.Muted, th.Muted, th.Muted
	}
	for i := range c.inputs {
		c.inputs[i].SetStyles(ts)
	}
	as := textarea.DefaultStyles(true)
	for _, st := range []*textarea.StyleState{&as.Focused, &as.Blurred} {
		plain := th.Pass.UnsetForeground()
		st.Base, st.Text, st.CursorLine, st.CursorLineNumber, st.LineNumber = plain, plain, plain, th.Muted, th.Muted
		st.EndOfBuffer, st.Placeholder, st.Prompt = th.Muted, th.Muted, th.Muted
	}
	c.body.SetStyles(as)
}

// SetField sets one field's text (the demo's "add To:" fix uses it).
func (c *Compose) SetField(f int, v string) {
	if f == FieldBody {
		c.body.SetValue(v)
		c.body.MoveToBegin()
		return
	}
	c.inputs[f].SetValue(v)
}

// Field returns one field's text.
func (c *Compose) Field(f int) string {
	if f == FieldBody {
		return c.body.Value()
	}
	return c.inputs[f].Value()
}

// Draft builds the message from the fields. Parse problems are returned
// as a list; the fields are left exactly as typed. An empty To field means
// the draft has no To: header (the story's case), which is allowed.
func (c *Compose) Draft(base compose.Message) (compose.Message, []string, []string) {
	m := base
	m.To, m.Cc = nil, nil
	var problems []string
	if a, err := mail.ParseAddress(c.Field(FieldFrom)); err != nil {
		problems = append(problems, addressProblem(fieldNames[FieldFrom], c.Field(FieldFrom), err))
	} else {
		m.From = *a
	}
	parseList := func(f int) []mail.Address {
		v := strings.TrimSpace(c.Field(f))
		if v == "" {
			return nil
		}
		list, err := mail.ParseAddressList(v)
		if err != nil {
			problems = append(problems, addressProblem(fieldNames[f], v, err))
			return nil
		}
		var out []mail.Address
		for _, a := range list {
			out = append(out, *a)
		}
		return out
	}
	m.To = parseList(FieldTo)
	m.Cc = parseList(FieldCc)
	var rcpt []string
	for _, a := range parseList(FieldRcpt) {
		rcpt = append(rcpt, a.Address)
	}
	if len(rcpt) == 0 && len(problems) == 0 {
		for _, a := range append(append([]mail.Address(nil), m.To...), m.Cc...) {
			rcpt = append(rcpt, a.Address)
		}
	}
	if len(rcpt) == 0 {
		problems = append(problems, "RCPT TO: no recipient (fill To or RCPT TO)")
	}
	m.Subject = c.Field(FieldSubject)
	m.Body = c.Field(FieldBody)
	if m.Omit == nil {
		m.Omit = map[string]bool{}
	}
	m.Omit["To"] = len(m.To) == 0
	if len(problems) == 0 {
		for _, err := range m.Validate() {
			problems = append(problems, err.Error())
		}
	}
	return m, rcpt, problems
}

// Editing reports whether the fields have the keyboard.
func (c *Compose) Editing() bool { return c.editing }

// addressProblem says in words what net/mail found wrong with an address
// ("mail: no angle-addr" means nothing to a person).
func addressProblem(field, value string, err error) string {
	why := "is not an address, as you@example.com"
	switch msg := err.Error(); {
	case strings.TrimSpace(value) == "" || strings.Contains(msg, "no address"):
		why = "is empty"
	case strings.Contains(msg, "no angle-addr"):
		why = "has a name without its address: write Name <you@example.com>"
	case strings.Contains(msg, "missing '@'") || strings.Contains(msg, "missing @"):
		why = "needs an @, as you@example.com"
	case strings.Contains(msg, "expected single address"):
		why = "holds more than one address"
	case strings.Contains(msg, "unclosed angle-addr"):
		why = "has a < without its >"
	case strings.Contains(msg, "no domain"):
		why = "has nothing after the @"
	}
	return fmt.Sprintf("%s: %q %s", field, value, why)
}

// StartEditing focuses the current field.
func (c *Compose) StartEditing() tea.Cmd {
	c.editing = true
	return c.focus()
}

// StopEditing leaves the fields as they are.
func (c *Compose) StopEditing() {
	c.editing = false
	for i := range c.inputs {
		c.inputs[i].Blur()
	}
	c.body.Blur()
}

func (c *Compose) focus() tea.Cmd {
	for i := range c.inputs {
		c.inputs[i].Blur()
	}
	c.body.Blur()
	if c.field == FieldBody {
		return c.body.Focus()
	}
	return c.inputs[c.field].Focus()
}

// Update handles keys while editing (the root sends them only then, and
// handles esc itself): ↑/↓ move between fields, and out of the body from
// its first or last line, as the hint says; enter moves on from a field.
func (c *Compose) Update(msg tea.Msg) tea.Cmd {
	if k, ok := msg.(tea.KeyPressMsg); ok && c.editing {
		keys := c.ctx.Keys
		inBody := c.field == FieldBody
		switch {
		case key.Matches(k, keys.Field) && (!inBody || k.String() == "ctrl+n" || (k.String() == "down" && c.atBodyEnd())):
			c.field = (c.field + 1) % fieldCount
			return c.focus()
		case key.Matches(k, keys.PrevField) && (!inBody || k.String() == "ctrl+p" || c.atBodyStart()):
			c.field = (c.field + fieldCount - 1) % fieldCount
			return c.focus()
		}
	}
	if !c.editing {
		return nil
	}
	var cmd tea.Cmd
	if c.field == FieldBody {
		c.body, cmd = c.body.Update(msg)
	} else {
		c.inputs[c.field], cmd = c.inputs[c.field].Update(msg)
	}
	return cmd
}

func (c *Compose) atBodyStart() bool { return c.body.Line() == 0 && c.body.LineInfo().RowOffset == 0 }

func (c *Compose) atBodyEnd() bool {
	li := c.body.LineInfo()
	return c.body.Line() == c.body.LineCount()-1 && li.RowOffset >= li.Height-1
}

// View renders the form.
func (c *Compose) View() string {
	th := c.ctx.Theme
	label := func(f int) string {
		name := fmt.Sprintf("%-8s", fieldNames[f])
		if c.editing && c.field == f {
			return th.Accent.Render("›" + name)
		}
		return th.Muted.Render(" " + name)
	}
	var l []string
	for f := 0; f < FieldBody; f++ {
		v := c.inputs[f].View()
		if !c.editing && c.inputs[f].Value() == "" {
			v = th.Muted.Render("(none)")
			if f == FieldTo {
				v = th.Warn.Render("(none: the message will have no To: header)")
			}
		}
		l = append(l, label(f)+" "+v)
	}
	l = append(l, label(FieldBody))
	for _, bl := range strings.Split(c.body.View(), "\n") {
		l = append(l, "  "+bl)
	}
	for _, p := range c.problems {
		st, sym := th.Status("fail")
		l = append(l, st.Render(sym+" "+p))
	}
	if !c.editing {
		l = append(l, th.Muted.Render("e edit · s send"))
	} else {
		l = append(l, th.Muted.Render("↑/↓ field · esc done"))
	}
	return strings.Join(Fit(l, c.w, c.h), "\n")
}
