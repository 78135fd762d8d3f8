// Package tui is mailcred's workbench screen: compose, transcript, TLS,
// DKIM and checklist panes around one root model that only routes
// messages and lays panes out. Update never does I/O: DNS checks, sends and
// the demo world's events arrive as messages from tea.Cmds that re-arm
// themselves on their channels.
package tui

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnsx"
	"github.com/mailcred/mailcred/session"
	"github.com/mailcred/mailcred/session/compose"
	"github.com/mailcred/mailcred/session/smtpc"
	"github.com/mailcred/mailcred/themes"
	"github.com/mailcred/mailcred/tui/panes"
)

// World is the demo world as the screen sees it: fixes that can be applied
// to the simulated zone and servers, the world's news, and its
// mail-tester-like mailbox.
type World interface {
	// FixFor returns the fix the world can apply for a check id.
	FixFor(checkID string) (WorldFix, bool)
	Apply(id string) error
	Events() <-chan WorldEvent
	// Recipients are the provider mailboxes the draft can be sent to.
	Recipients() []string
	// TesterReport is the tester mailbox's report on the last message it
	// received; nil before the first.
	TesterReport() *TesterReport
}

// WorldFix is a fix the world can apply.
type WorldFix = panes.WorldFix

// WorldEvent is one piece of the world's news.
type WorldEvent struct {
	At   time.Time
	Text string
	// OfSend: a provider's own report of a send (accepted, refused). It
	// joins the transcript but leaves the status line to the send's
	// outcome, which it would otherwise replace within a second.
	OfSend bool
}

// TesterReport is the mail-tester-like mailbox's verdict on a message.
type TesterReport struct {
	MessageID  string
	Score      scoring.Score
	Deductions []string // "-1.2 headers.to: No To: header"
	// AuthenticationResults is the header a receiver would add.
	AuthenticationResults string
}

// Config is everything the screen needs; cmd/mailcred builds it from
// flags: a Bench (a real host from the profile, or the demo world) and
// how to show it.
type Config struct {
	Theme string
	Bench session.Bench
	// ReadOnly disables sending (s).
	ReadOnly bool
	Watch    time.Duration
	World    World // the demo world's fixes and news; nil outside the demo
	Now      func() time.Time
	// Extra are more panes (onboarding, …), after the built-in ones in
	// the Tab order; each gets the shared context and every non-key
	// message, and keys while it has the focus.
	Extra []func(*panes.Context) panes.Component
	// FocusExtra starts with the first Extra pane focused: the first-run
	// form leads into onboarding.
	FocusExtra bool
	// SaveReport writes the findings on screen (the checks, the score and
	// the last send, nil before one) as a report and says where; R calls
	// it off the update loop. nil disables R (the demo served over SSH
	// writes nothing on the server).
	SaveReport func(title string, results []scoring.Result, score scoring.Score, sent *session.Sent) (string, error)
}

// reportSavedMsg is SaveReport's answer.
type reportSavedMsg struct {
	path string
	err  error
}

// point is one entry of the score timeline.
type point struct {
	at    time.Time
	score float64
	note  string
}

// Model is the root model: it routes messages, owns the mode, and lays
// the panes out. Panes are components (panes.Component) sharing ctx.
type Model struct {
	cfg    Config
	ctx    *panes.Context
	help   help.Model
	layout Layout
	focus  Pane
	panes  []panes.Component // focus order: the built-in five, then Extra

	checks     *panes.Checklist
	compose    *panes.Compose
	transcript *panes.Transcript
	tls        *panes.TLS
	dkim       *panes.DKIM

	run      int // id of the current check run; stale results are dropped
	watching bool
	// mode is what keys and rendering switch on; helpOver is the mode
	// help returns to.
	mode     mode
	helpOver mode
	// asking numbers each request for a route description, so an answer
	// that arrives after a cancel opens no confirmation.
	asking  int
	confirm []string // the confirmation's lines (mode confirm)
	sending bool
	// cancelSend stops the send under way; waiting is what it waits for
	// (since waitingSince), for the live line.
	cancelSend   context.CancelFunc
	waiting      string
	waitingSince time.Time
	// tick re-arms the live line's refresh (tests drive it by hand).
	tick      func() tea.Cmd
	lastSend  *session.Sent
	title     string
	base      compose.Message // the starting draft: headers the form does not show
	dnsChecks []scoring.Check
	msgChecks []scoring.Check
	status    string
	timeline  []point
	// score is the last complete run's score (nil before one ended): the
	// header shows it, marked while a re-run streams in, so it never
	// flickers through the partial sums of a run.
	score *scoring.Score
	// noIP: the setup names no sending IP, so the IP checks are unknown.
	noIP      bool
	rcptIndex int
	draft     compose.Message
	rcpt      []string
	// rerunPending asks for another run when the current one ends (the
	// world changed while it ran).
	rerunPending bool
	// fixes are the demo world's applicable fixes by check id, refreshed
	// by fixesCmd; recipients its provider mailboxes.
	// heldNotes are world notes that arrived during a send: they are
	// shown after the wire lines they explain.
	heldNotes []string
	// lastReport is the tester report last shown.
	lastReport string
	recipients []string
}

type fixesMsg map[string]WorldFix

// fixesCmd asks the world which fixes apply to the listed checks, off the
// Update path (the world settles pending changes when asked).
func (m *Model) fixesCmd() tea.Cmd {
	w := m.cfg.World
	if w == nil {
		return nil
	}
	var ids []string
	for _, r := range m.checks.Rows {
		ids = append(ids, r.Result.ID)
	}
	return func() tea.Msg {
		out := fixesMsg{}
		for _, id := range ids {
			if f, ok := w.FixFor(id); ok {
				out[id] = f
			}
		}
		return out
	}
}

// needsIP lists the checks that do not apply to ev only because it has no
// sending IP: without one they are unknown, not "not applicable".
func needsIP(checks []scoring.Check, ev scoring.Evidence) map[string]bool {
	if len(ev.IPs) > 0 {
		return nil
	}
	probe := ev
	probe.IPs = []netip.Addr{netip.MustParseAddr("192.0.2.1")}
	out := map[string]bool{}
	for _, c := range checks {
		if c.Applies != nil && !c.Applies(ev) && c.Applies(probe) {
			out[c.ID] = true
		}
	}
	return out
}

// noIPResult turns a check skipped for want of a sending IP into an
// unknown one, which keeps the score from claiming a pass.
func noIPResult(r scoring.Result) scoring.Result {
	r.Status = scoring.Error
	r.Title = "Unknown: no sending IP is known"
	r.Detail = "Give your server's public addresses (ips in the profile, or --ip) so that this can be checked."
	return r
}

// rerun starts a run now, or right after the current one.
func (m *Model) rerun() tea.Cmd {
	if m.checks.Running {
		m.rerunPending = true
		return nil
	}
	return m.startRunCmd()
}

// New builds the root model.
func New(cfg Config) (*Model, error) {
	th, err := themes.New(cfg.Theme, true)
	if err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Bench == nil {
		return nil, errors.New("tui: no bench")
	}
	ctx := &panes.Context{Theme: th, Keys: panes.NewKeyMap(), Now: cfg.Now, Width: 80, Height: 24}
	draft, rcpt := cfg.Bench.Draft()
	m := &Model{
		cfg: cfg, ctx: ctx, help: help.New(),
		title: cfg.Bench.Title(), base: draft,
		dnsChecks: cfg.Bench.Checks(), msgChecks: cfg.Bench.MessageChecks(),
		compose:    panes.NewCompose(ctx, draft, rcpt),
		transcript: panes.NewTranscript(ctx),
		tls:        panes.NewTLS(ctx),
		dkim:       panes.NewDKIM(ctx),
		watching:   cfg.Watch > 0,
	}
	m.checks = panes.NewChecklist(ctx, m.dnsChecks)
	m.tick = sendTick
	m.panes = []panes.Component{m.checks, m.compose, m.transcript, m.tls, m.dkim}
	for _, f := range cfg.Extra {
		m.panes = append(m.panes, f(ctx))
	}
	if cfg.FocusExtra && len(cfg.Extra) > 0 {
		m.focus = Pane(paneCount)
	}
	m.help.Styles = helpStyles(th)
	if cfg.World != nil {
		m.recipients = cfg.World.Recipients()
	}
	keys := ctx.Keys
	if cfg.ReadOnly {
		keys.Send.SetEnabled(false)
	}
	if cfg.SaveReport == nil {
		keys.Report.SetEnabled(false)
	}
	m.run = 1
	m.checks.Reset()
	if cfg.World == nil {
		keys.Apply.SetEnabled(false)
		keys.Recipient.SetEnabled(false)
	}
	m.resize(80, 24)
	return m, nil
}

// resize computes the layout once and gives every pane its size.
func (m *Model) resize(w, h int) {
	m.ctx.Width, m.ctx.Height = w, h
	m.layout = NewLayout(w, h, len(m.panes))
	m.help.SetWidth(w)
	for i, p := range m.panes {
		r := m.layout.Panes[i]
		p.SetSize(max(0, r.W-2), max(0, r.H-2))
	}
}

// Init starts the first check run, asks the terminal's background colour
// (for the adaptive theme) and listens to the demo world.
func (m *Model) Init() tea.Cmd {
	// New already opened run 1.
	cmds := []tea.Cmd{tea.RequestBackgroundColor, m.runCmd(m.run)}
	if m.cfg.World != nil {
		cmds = append(cmds, waitWorld(m.cfg.World.Events()), m.fixesCmd())
	}
	if m.watching {
		cmds = append(cmds, watchTick(m.cfg.Watch))
	}
	for _, p := range m.panes {
		cmds = append(cmds, p.Init())
	}
	return tea.Batch(cmds...)
}

// Messages.
type (
	runStartedMsg struct {
		run    int
		ch     <-chan scoring.Result
		ev     scoring.Evidence // what the run judges
		noIP   bool
		needIP map[string]bool // checks unknown for want of a sending IP
		cancel context.CancelFunc
	}
	checkResultMsg struct {
		run  int
		res  scoring.Result
		from runStartedMsg
	}
	checksDoneMsg struct{ run int }
	sendDoneMsg   struct {
		res *session.Sent
		err error
	}
	sendStartedMsg struct{ stream <-chan tea.Msg }
	describedMsg   struct {
		ask   int
		lines []string
	}
	watchTickMsg  struct{}
	worldEventMsg struct {
		text   string
		ofSend bool
		ch     <-chan WorldEvent
	}
	reportMsg   struct{ r *TesterReport }
	sendTickMsg struct{}
	appliedMsg  struct {
		title string
		err   error
	}
)

// startRunCmd starts a run of the checks; results stream in one message at
// a time (each message re-arms the read of the channel).
func (m *Model) startRunCmd() tea.Cmd {
	m.run++
	m.checks.Reset()
	return m.runCmd(m.run)
}

// runCmd runs the checks as run number run. The evidence is asked of the
// bench here, in the command (it may settle the demo world), and joined
// with what the last send saw.
func (m *Model) runCmd(run int) tea.Cmd {
	bench, last := m.cfg.Bench, m.lastSend
	checks := m.allChecks()
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		unable := func(title string, err error) tea.Msg {
			ch := make(chan scoring.Result, len(checks))
			for _, c := range checks {
				ch <- scoring.Result{ID: c.ID, Status: scoring.Error, Title: title, Detail: err.Error()}
			}
			close(ch)
			return runStartedMsg{run: run, ch: ch, noIP: true, cancel: cancel}
		}
		ev, err := bench.Evidence(ctx)
		if err != nil {
			return unable("The sending setup could not be read", err)
		}
		if last != nil {
			ev.Message, ev.SMTP = last.Evidence.Message, last.Evidence.SMTP
			if len(last.Evidence.IPs) > 0 {
				ev.IPs = last.Evidence.IPs
			}
		}
		r, err := bench.Resolver()
		if err != nil {
			return unable("No DNS resolver", err)
		}
		ch := scoring.Run(ctx, &scoring.Env{Evidence: ev, DNS: r}, checks)
		return runStartedMsg{run: run, ch: ch, ev: ev, noIP: len(ev.IPs) == 0,
			needIP: needsIP(checks, ev), cancel: cancel}
	}
}

// stop ends the run's context (its checks give up).
func (r runStartedMsg) stop() {
	if r.cancel != nil {
		r.cancel()
	}
}

// waitResult reads the run's next result straight from scoring.Run's
// channel; a check skipped only for want of a sending IP becomes unknown
// on the way.
func waitResult(r runStartedMsg) tea.Cmd {
	return func() tea.Msg {
		res, ok := <-r.ch
		if !ok {
			r.stop()
			return checksDoneMsg{run: r.run}
		}
		if res.Status == scoring.Skip && r.needIP[res.ID] {
			res = noIPResult(res)
		}
		return checkResultMsg{run: r.run, res: res, from: r}
	}
}

func waitWorld(ch <-chan WorldEvent) tea.Cmd {
	return func() tea.Msg {
		e, ok := <-ch
		if !ok {
			return nil
		}
		return worldEventMsg{text: e.At.Format("15:04:05") + " " + e.Text, ofSend: e.OfSend, ch: ch}
	}
}

func watchTick(d time.Duration) tea.Cmd {
	return tea.Tick(d, func(time.Time) tea.Msg { return watchTickMsg{} })
}

// allChecks is the DNS checks, plus the message checks once something
// has been sent (there is a message to judge only then).
func (m *Model) allChecks() []scoring.Check {
	if m.lastSend != nil {
		return append(append([]scoring.Check(nil), m.dnsChecks...), m.msgChecks...)
	}
	return m.dnsChecks
}

// Update routes messages; it never blocks and never does I/O. Keys go to
// the mode, then the focused pane; every other message also reaches every
// pane (an extra pane's own messages find it that way).
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		return m.key(k)
	}
	cmd := m.route(msg)
	var cmds []tea.Cmd
	for _, p := range m.panes[paneCount:] {
		cmds = append(cmds, p.Update(msg))
	}
	if len(cmds) == 0 {
		return m, cmd
	}
	return m, tea.Batch(append(cmds, cmd)...)
}

func (m *Model) route(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.resize(msg.Width, msg.Height)
		return nil
	case tea.BackgroundColorMsg:
		if th, err := themes.New(m.cfg.Theme, msg.IsDark()); err == nil {
			m.ctx.Theme = th
			m.help.Styles = helpStyles(th)
			m.compose.Restyle()
			m.resize(m.ctx.Width, m.ctx.Height) // cached styled text
		}
		return nil
	case runStartedMsg:
		if msg.run != m.run {
			msg.stop() // superseded before it started
			return nil
		}
		m.noIP = msg.noIP
		m.dkim.SetSetup(msg.ev)
		return waitResult(msg)
	case checkResultMsg:
		if msg.run != m.run {
			msg.from.stop() // a stale run
			return nil
		}
		// A changed verdict is marked in its row (with the time), not in
		// the status line, which keeps the last send's outcome.
		m.checks.Apply(msg.res, m.cfg.Now())
		m.dkim.Observe(msg.res)
		return waitResult(msg.from)
	case reportSavedMsg:
		if msg.err != nil {
			m.status = "report not saved: " + msg.err.Error()
		} else {
			m.status = "report saved to " + msg.path
		}
		return nil
	case checksDoneMsg:
		if msg.run != m.run {
			return nil
		}
		m.checks.Running = false
		m.recordScore()
		if silence, ok := dnsx.Silent(queriesOf(m.checks.Results())); ok {
			m.status = silence.Summary() // every check's own detail says the same
		}
		if m.rerunPending {
			m.rerunPending = false
			return tea.Batch(m.startRunCmd(), m.fixesCmd())
		}
		return m.fixesCmd()
	case watchTickMsg:
		if !m.watching {
			return nil
		}
		cmds := []tea.Cmd{watchTick(m.cfg.Watch)}
		if !m.checks.Running {
			cmds = append(cmds, m.startRunCmd())
		}
		return tea.Batch(cmds...)
	case worldEventMsg:
		if !msg.ofSend {
			m.status = msg.text
		}
		if m.sending {
			m.heldNotes = append(m.heldNotes, msg.text)
		} else {
			m.transcript.Note(smtpc.FromWorld, "demo world: "+msg.text)
		}
		// The world changed (a record became visible, a delisting came
		// through): show its effect without waiting for r.
		return tea.Batch(waitWorld(msg.ch), m.rerun(), m.fixesCmd())
	case fixesMsg:
		m.checks.SetFixable(msg)
		return nil
	case reportMsg:
		if r := msg.r; r != nil && r.MessageID != m.lastReport {
			m.lastReport = r.MessageID
			m.transcript.Note(smtpc.FromWorld, fmt.Sprintf("tester's report: %.1f/10", r.Score.Value))
			for _, d := range r.Deductions {
				m.transcript.Note(smtpc.FromWorld, "  "+d)
			}
			if r.AuthenticationResults != "" {
				m.transcript.Note(smtpc.FromWorld, "  Authentication-Results: "+r.AuthenticationResults)
			}
		}
		return nil
	case appliedMsg:
		if msg.err != nil {
			m.status = "could not apply: " + inWords(msg.err)
		} else {
			m.status = "applied: " + msg.title
		}
		return m.fixesCmd()
	case describedMsg:
		if m.mode != modeDescribing || msg.ask != m.asking {
			return nil // cancelled meanwhile
		}
		m.confirm = msg.lines
		m.mode = modeConfirm
		return nil
	case sendStartedMsg:
		return waitSend(msg.stream)
	case sendEventsMore:
		m.transcript.Append(msg.ev)
		m.tls.Observe(msg.ev)
		m.follow(msg.ev)
		return waitSend(msg.ch)
	case sendDoneMsg:
		return m.sendDone(msg)
	case sendTickMsg:
		if m.sending {
			return m.tick()
		}
		return nil
	}
	return nil
}

// queriesOf is every DNS question the results record.
func queriesOf(results []scoring.Result) []dnsx.Query {
	var qs []dnsx.Query
	for _, r := range results {
		qs = append(qs, r.Queries...)
	}
	return qs
}

func (m *Model) recordScore() {
	results := m.checks.Results()
	s := scoring.DefaultWeights.Compute(results)
	m.score = &s
	if !s.Judged {
		return // 10 minus nothing is not a point of the timeline
	}
	note := ""
	if n := len(m.timeline); n > 0 && m.timeline[n-1].score == s.Value {
		return
	}
	for _, r := range m.checks.Rows {
		if !r.Changed.IsZero() && m.cfg.Now().Sub(r.Changed) < 5*time.Second && r.Result.Status == scoring.Pass {
			note = r.Result.ID + " fixed"
		}
	}
	m.timeline = append(m.timeline, point{at: m.cfg.Now(), score: s.Value, note: note})
}

func (m *Model) key(k tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	keys := m.ctx.Keys
	switch m.mode {
	case modeConfirm:
		// y acts only here, where the confirmation is on screen.
		switch {
		case key.Matches(k, keys.Confirm):
			m.confirm, m.mode = nil, modeBrowse
			return m, m.sendCmd()
		case key.Matches(k, keys.Cancel), k.String() == "q":
			m.confirm, m.mode = nil, modeBrowse
			m.status = "not sent"
		}
		return m, nil
	case modeDescribing:
		// Waiting for the route: only cancelling is possible, so nothing
		// (not even help) can cover the confirmation when it arrives.
		switch {
		case key.Matches(k, keys.Cancel), k.String() == "q":
			m.mode = modeBrowse
			m.status = "not sent"
		case k.String() == "ctrl+c":
			return m, tea.Quit
		default:
			m.status = "finding where the message would go… (esc cancels)"
		}
		return m, nil
	case modeEdit:
		switch {
		case k.String() == "ctrl+c":
			return m, tea.Quit
		case key.Matches(k, keys.Done):
			m.compose.StopEditing()
			m.mode = modeBrowse
			return m, nil
		}
		return m, m.compose.Update(k)
	case modeHelp:
		m.mode = m.helpOver
		return m, nil
	}
	switch {
	case m.sending && k.String() == "esc":
		m.cancelSend()
		m.status = "cancelling the send…"
		return m, nil
	case key.Matches(k, keys.Quit):
		if m.cancelSend != nil {
			m.cancelSend()
		}
		return m, tea.Quit
	case key.Matches(k, keys.Help):
		m.helpOver, m.mode = m.mode, modeHelp
	case key.Matches(k, keys.Next):
		m.focus = (m.focus + 1) % Pane(len(m.panes))
	case key.Matches(k, keys.Prev):
		m.focus = (m.focus + Pane(len(m.panes)) - 1) % Pane(len(m.panes))
	case key.Matches(k, keys.Rerun):
		if !m.checks.Running {
			return m, m.startRunCmd()
		}
	case key.Matches(k, keys.Watch):
		if m.cfg.Watch <= 0 {
			m.cfg.Watch = 10 * time.Second
		}
		m.watching = !m.watching
		if m.watching {
			m.status = fmt.Sprintf("watch mode: re-checking every %s", m.cfg.Watch)
			return m, watchTick(m.cfg.Watch)
		}
		m.status = "watch mode off"
	case key.Matches(k, keys.Edit):
		m.focus = PaneCompose
		m.mode = modeEdit
		return m, m.compose.StartEditing()
	case key.Matches(k, keys.Send):
		return m.askSend()
	case key.Matches(k, keys.Copy):
		if text := m.checks.FixText(); text != "" {
			m.status = "fix copied to the clipboard (OSC 52)"
			return m, tea.SetClipboard(text)
		}
		m.status = "the selected check has no fix to copy"
	case key.Matches(k, keys.Apply):
		return m.applyFix()
	case key.Matches(k, keys.Report):
		save, results, sent := m.cfg.SaveReport, m.checks.Results(), m.lastSend
		score := scoring.DefaultWeights.Compute(results)
		title := m.title
		m.status = "saving the report…"
		return m, func() tea.Msg {
			path, err := save(title, results, score, sent)
			return reportSavedMsg{path, err}
		}
	case key.Matches(k, keys.NextProblem):
		m.focus = PaneChecks
		if !m.checks.NextProblem() {
			m.status = "no failing check"
		}
	case key.Matches(k, keys.Recipient):
		if rs := m.recipients; len(rs) > 0 {
			m.rcptIndex = (m.rcptIndex + 1) % len(rs)
			// To: names the same mailbox as RCPT TO, unless the draft
			// deliberately has no To: (the story's missing header).
			m.compose.SetField(panes.FieldRcpt, rs[m.rcptIndex])
			if strings.TrimSpace(m.compose.Field(panes.FieldTo)) != "" {
				m.compose.SetField(panes.FieldTo, rs[m.rcptIndex])
			}
			m.status = "recipient: " + rs[m.rcptIndex]
		}
	default:
		return m, m.panes[m.focus].Update(k)
	}
	return m, nil
}

func (m *Model) applyFix() (tea.Model, tea.Cmd) {
	w := m.cfg.World
	if w == nil {
		return m, nil
	}
	r, ok := m.checks.Current()
	if !ok {
		return m, nil
	}
	fix, ok := m.checks.WorldFix()
	if !ok && r.Status == scoring.Pass {
		m.status = r.ID + " passes: nothing to fix"
		return m, nil
	}
	if !ok {
		m.status = "no demo fix for " + r.ID
		return m, nil
	}
	id, title := fix.ID, fix.Title
	if fix.Draft { // a fix of the draft, not of the world
		m.compose.SetField(panes.FieldTo, m.compose.Field(panes.FieldRcpt))
		// The verdict judged the message sent before: it says nothing of
		// the draft until the draft is sent.
		m.checks.MarkStale(r.ID, "the draft changed: send it again to check")
		m.status = "added To: to the draft (send again to check it)"
		return m, nil
	}
	m.status = "applying: " + title
	return m, func() tea.Msg { return appliedMsg{title: title, err: w.Apply(id)} }
}

// askSend validates the draft and asks where it will go; the send starts
// only after an explicit y.
func (m *Model) askSend() (tea.Model, tea.Cmd) {
	if m.cfg.ReadOnly {
		m.status = "sending is not configured"
		return m, nil
	}
	if m.sending {
		m.status = "a send is in progress"
		return m, nil
	}
	draft, rcpt, problems := m.compose.Draft(m.base)
	m.compose.SetProblems(problems)
	if len(problems) > 0 {
		m.focus = PaneCompose
		m.status = "the draft has problems (kept as typed)"
		return m, nil
	}
	m.draft, m.rcpt = draft, rcpt
	m.asking++
	m.mode = modeDescribing
	ask := m.asking
	bench := m.cfg.Bench
	return m, func() tea.Msg {
		lines := []string{"To: " + strings.Join(rcpt, ", ")}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		d, err := bench.Describe(ctx, draft, rcpt)
		if err != nil {
			lines = append(lines, "route: "+inWords(err))
		} else {
			lines = append(lines, strings.Split(d.Destination.Summary(), "\n")...)
			lines = append(lines, d.Notes...)
		}
		return describedMsg{ask: ask, lines: lines}
	}
}

type sendEventsMore struct {
	ev smtpc.Event
	ch <-chan tea.Msg
}

// waitSend reads the send's stream: transcript events, then its end. One
// channel keeps them in order, so the outcome's notes follow the last
// line of the conversation.
func waitSend(ch <-chan tea.Msg) tea.Cmd {
	return func() tea.Msg { return <-ch }
}

func (m *Model) sendCmd() tea.Cmd {
	m.sending = true
	m.transcript.Clear()
	m.tls.Begin()
	m.status = "sending…"
	bench, draft, rcpt := m.cfg.Bench, m.draft, m.rcpt
	// The context is made here so that esc can cancel the send at any
	// stage; creating it does no I/O.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	m.cancelSend = cancel
	m.waiting, m.waitingSince = "signing and finding the route", m.cfg.Now()
	return tea.Batch(m.tick(), func() tea.Msg {
		stream := make(chan tea.Msg, 256)
		go func() {
			defer cancel()
			res, err := bench.Send(ctx, draft, rcpt, func(e smtpc.Event) { stream <- sendEventsMore{ev: e, ch: stream} })
			stream <- sendDoneMsg{res: res, err: err}
		}()
		return sendStartedMsg{stream: stream}
	})
}

// sendTick refreshes the live "waiting for …" line once a second.
func sendTick() tea.Cmd {
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return sendTickMsg{} })
}

// follow notes what the send waits for after event e.
func (m *Model) follow(e smtpc.Event) {
	m.waitingSince = m.cfg.Now()
	switch e.Kind {
	case smtpc.KindConnect:
		m.waiting = "waiting for the greeting"
		if len(e.Lines) > 0 && strings.HasPrefix(e.Lines[0], "Trying ") {
			m.waiting = "connecting to " + strings.TrimSuffix(strings.TrimPrefix(e.Lines[0], "Trying "), "...")
		}
	case smtpc.KindSent:
		cmd := ""
		if len(e.Lines) > 0 {
			cmd, _, _ = strings.Cut(e.Lines[len(e.Lines)-1], " ")
		}
		switch {
		case cmd == "." || strings.HasPrefix(cmd, "[message"):
			m.waiting = "waiting for the reply to the message"
		case cmd != "":
			m.waiting = "waiting for the reply to " + strings.ToUpper(strings.TrimRight(cmd, ":"))
		}
	case smtpc.KindReceived, smtpc.KindTLS, smtpc.KindDone, smtpc.KindError:
		m.waiting = ""
	}
}

// liveLine is what the send is doing now, with how long it has waited.
func (m *Model) liveLine() string {
	what := m.waiting
	if what == "" {
		what = "sending"
	}
	secs := int(m.cfg.Now().Sub(m.waitingSince).Seconds())
	return fmt.Sprintf("%s (%d s) · esc cancels", what, secs)
}

func (m *Model) sendDone(msg sendDoneMsg) tea.Cmd {
	m.sending, m.waiting = false, ""
	if m.cancelSend != nil {
		m.cancelSend()
		m.cancelSend = nil
	}
	if msg.err != nil && msg.res == nil {
		m.tls.Abort()
		text := "send failed: " + inWords(msg.err)
		if errors.Is(msg.err, context.Canceled) {
			text = "send cancelled: nothing more was sent"
		}
		m.status = text
		m.transcript.Note(smtpc.FromClient, text)
		m.flushHeld()
		return nil
	}
	res, o := msg.res, msg.res.Outcome
	first := m.lastSend == nil
	m.lastSend = res
	m.status = textInWords(o.Summary())
	if e := o.Explanation; e != nil && e.Meaning != "" {
		m.transcript.Note(smtpc.FromClient, e.Meaning)
		if e.RulesOut != "" {
			m.transcript.Note(smtpc.FromClient, e.RulesOut)
		}
		if e.Fix != "" {
			m.transcript.Note(smtpc.FromClient, "Fix: "+e.Fix)
		}
		if e.Link != "" {
			m.transcript.Note(smtpc.FromClient, "See "+e.Link)
		}
	}
	var info *smtpc.TLSInfo
	if d := o.Delivery; d != nil {
		info = d.TLS
	}
	m.tls.Finish(o.Facts.StartTLSOffered, info, o.Facts.Route)
	m.dkim.Signed, m.dkim.Offline, m.dkim.Published = o.SignInfo, o.OfflineDKIM, o.PublishedDKIM
	m.flushHeld()
	m.checks.ClearStale()
	if first {
		m.checks.SetRows(m.allChecks())
	}
	return tea.Batch(m.startRunCmd(), m.reportCmd())
}

// flushHeld shows the world's notes that arrived during the send.
func (m *Model) flushHeld() {
	for _, t := range m.heldNotes {
		m.transcript.Note(smtpc.FromWorld, "demo world: "+t)
	}
	m.heldNotes = nil
}

// reportCmd fetches the tester mailbox's report (shown when it is new).
func (m *Model) reportCmd() tea.Cmd {
	w := m.cfg.World
	if w == nil {
		return nil
	}
	return func() tea.Msg { return reportMsg{r: w.TesterReport()} }
}

// Screen renders the whole screen as text (View wraps it for the
// terminal); tests read it.
func (m *Model) Screen() string { return m.render() }

// View renders the whole screen.
func (m *Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "mailcred"
	return v
}

func (m *Model) render() string {
	l := m.layout
	header := m.header(l.Width)
	footer := m.footer(l.Width)
	bodyH := l.Height - 2
	var body string
	switch {
	case m.mode == modeHelp:
		body = m.helpView(l.Width, bodyH)
	case m.mode == modeConfirm:
		body = m.confirmView(l.Width, bodyH)
	case m.mode == modeDescribing:
		body = m.describingView(l.Width, bodyH)
	case l.Grid && m.focus < paneCount:
		body = m.grid()
		if l.Tabs.H > 0 {
			body = m.tabBar(l.Width) + "\n" + body
		}
	default:
		body = m.tabBar(l.Width) + "\n" + strings.Join(m.pane(m.focus), "\n")
	}
	return header + "\n" + body + "\n" + footer
}

// grid composes the built-in panes at their rectangles: each screen row
// is the rows of the panes that cross it, left to right (the layout tiles
// the body, and every pane is exactly its rectangle's size).
func (m *Model) grid() string {
	l := m.layout
	top := l.Panes[PaneCompose].Y
	bottom := l.Panes[PaneChecks].Y + l.Panes[PaneChecks].H
	rows := make([]strings.Builder, bottom-top)
	// Left to right: the left column, then the right column's panes.
	for _, p := range []Pane{PaneCompose, PaneChecks, PaneTranscript, PaneTLS, PaneDKIM} {
		r := l.Panes[p]
		for i, line := range m.pane(p) {
			rows[r.Y-top+i].WriteString(line)
		}
	}
	out := make([]string, len(rows))
	for i := range rows {
		out[i] = rows[i].String()
	}
	return strings.Join(out, "\n")
}

func (m *Model) pane(p Pane) []string {
	r := m.layout.Panes[p]
	c := m.panes[p]
	return panes.FrameLines(m.ctx.Theme, c.Title(), c.View(), r.W, r.H, m.focus == p)
}

func (m *Model) header(w int) string {
	th := m.ctx.Theme
	var score string
	style := th.Muted
	if s := m.score; s == nil {
		score = "Score: checking…"
	} else if !s.Judged {
		score, style = fmt.Sprintf("No score: nothing checked (%d unknown)", len(s.Unchecked)), th.Fail
		if m.checks.Running {
			score += " ⟳"
		}
	} else {
		score = fmt.Sprintf("Score %.1f/10", s.Value)
		style = th.Pass
		switch {
		case s.Value < 5:
			style = th.Fail
		case s.Value < 8:
			style = th.Warn
		}
		if s.Incomplete {
			// An upper bound, not a verdict: say how much is unknown, and
			// never in green.
			score += fmt.Sprintf("* (%d unknown)", len(s.Unchecked))
			if s.Value >= 5 {
				style = th.Warn
			}
		}
		if m.checks.Running {
			score += " ⟳"
		}
	}
	right := style.Render(score) + " " + m.sparkline(12)
	if m.watching {
		right += th.Muted.Render(" watch")
	}
	left := th.Title.Render("mailcred") + " " + th.Muted.Render(m.title)
	gap := w - ansi.StringWidth(left) - ansi.StringWidth(right)
	if gap < 1 {
		left = ansi.Truncate(left, max(0, w-ansi.StringWidth(right)-1), "…")
		gap = max(1, w-ansi.StringWidth(left)-ansi.StringWidth(right))
	}
	return ansi.Truncate(left+strings.Repeat(" ", gap)+right, w, "")
}

// sparkline draws the score timeline: one block per change.
func (m *Model) sparkline(n int) string {
	blocks := []rune("▁▂▃▄▅▆▇█")
	pts := m.timeline
	if len(pts) > n {
		pts = pts[len(pts)-n:]
	}
	var b strings.Builder
	for _, p := range pts {
		b.WriteRune(blocks[min(len(blocks)-1, int(p.score/10*float64(len(blocks)-1)+0.5))])
	}
	return m.ctx.Theme.Accent.Render(b.String())
}

func (m *Model) tabBar(w int) string {
	var parts []string
	for i, c := range m.panes {
		name := " " + c.Title() + " "
		if Pane(i) == m.focus {
			parts = append(parts, m.ctx.Theme.Selected.Render("["+c.Title()+"]"))
		} else {
			parts = append(parts, m.ctx.Theme.Muted.Render(name))
		}
	}
	return ansi.Truncate(strings.Join(parts, "│"), w, "…")
}

// footer is the status (or the focused pane's and the workbench's keys)
// with "? help · q quit" always at the right, whatever the width.
func (m *Model) footer(w int) string {
	keys := m.ctx.Keys
	fixed := m.help.ShortHelpView([]key.Binding{keys.Help, keys.Quit})
	var bindings []key.Binding
	switch m.mode {
	case modeEdit:
		fixed = m.help.ShortHelpView([]key.Binding{keys.Done})
		bindings = m.compose.ShortHelp()
	case modeConfirm:
		fixed = m.help.ShortHelpView([]key.Binding{keys.Confirm, keys.Cancel})
	case modeDescribing:
		fixed = m.help.ShortHelpView([]key.Binding{keys.Cancel})
	case modeHelp:
		fixed = m.ctx.Theme.Muted.Render("any key closes help")
	default:
		bindings = append(keys.ShortHelp(), m.panes[m.focus].ShortHelp()...)
	}
	room := max(0, w-ansi.StringWidth(fixed)-2)
	left := m.help.ShortHelpView(bindings)
	switch {
	case m.sending && m.mode == modeBrowse:
		left = m.ctx.Theme.Accent.Render(m.liveLine())
	case m.status != "":
		left = m.ctx.Theme.Accent.Render(m.status)
	}
	left = ansi.Truncate(left, room, "…")
	gap := max(1, w-ansi.StringWidth(left)-ansi.StringWidth(fixed))
	return ansi.Truncate(left+strings.Repeat(" ", gap)+fixed, w, "")
}

func (m *Model) helpView(w, h int) string {
	keys := m.ctx.Keys
	lines := []string{m.ctx.Theme.Title.Render("Keys"), ""}
	lines = append(lines, strings.Split(m.help.FullHelpView(append(m.panes[m.focus].FullHelp(), keys.FullHelp()...)), "\n")...)
	lines = append(lines, "", m.ctx.Theme.Title.Render("Score timeline"))
	for _, p := range m.timeline {
		lines = append(lines, fmt.Sprintf("  %s  %4.1f  %s", p.at.Format("15:04:05"), p.score, p.note))
	}
	lines = append(lines, "", m.ctx.Theme.Muted.Render("Statuses: ✓ pass  ! warn  ✗ fail  i info  - skip  ? unknown (could not check)  … pending"))
	return strings.Join(panes.Fit(lines, w, h), "\n")
}

func (m *Model) describingView(w, h int) string {
	return m.box(w, h, []string{m.ctx.Theme.Title.Render("Finding where the message would go…"), "",
		"To: " + strings.Join(m.rcpt, ", "), "",
		m.ctx.Theme.Accent.Render("n/esc cancel")})
}

func (m *Model) confirmView(w, h int) string {
	body := []string{m.ctx.Theme.Title.Render("Send this message?"), ""}
	body = append(body, m.confirm...)
	body = append(body, "", m.ctx.Theme.Accent.Render("y send · n/esc cancel"))
	return m.box(w, h, body)
}

// box centres a bordered dialog.
func (m *Model) box(w, h int, body []string) string {
	boxW := min(w-4, 76)
	var wrapped []string
	for _, l := range body {
		wrapped = append(wrapped, panes.Wrap(l, boxW-4)...)
	}
	box := lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).Padding(0, 1).Width(boxW).Render(strings.Join(wrapped, "\n"))
	return lipgloss.Place(w, h, lipgloss.Center, lipgloss.Center, box)
}

// helpStyles takes the help bubble's styles from the theme, so the mono
// theme and NO_COLOR stay colourless there too.
func helpStyles(th themes.Theme) help.Styles {
	return help.Styles{
		Ellipsis: th.Muted, ShortKey: th.Accent, ShortDesc: th.Muted, ShortSeparator: th.Muted,
		FullKey: th.Accent, FullDesc: th.Muted, FullSeparator: th.Muted,
	}
}

// mode is what the screen is doing; keys and rendering switch on it alone.
type mode int

const (
	modeBrowse     mode = iota // panes, focus, scrolling
	modeEdit                   // typing into the draft
	modeDescribing             // s pressed: waiting for where the message would go
	modeConfirm                // the confirmation is on screen; y sends
	modeHelp                   // the full help covers the panes
)
