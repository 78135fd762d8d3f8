package demo

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/mailcred/mailcred/scoring/smtpx"
	"github.com/mailcred/mailcred/session"
	"github.com/mailcred/mailcred/session/compose"
	"github.com/mailcred/mailcred/session/mta"
	"github.com/mailcred/mailcred/session/smtpc"
)

// LocalMTA is the demo sender's own MTA, exim-like, so the demo shows
// what `send --via mta` shows on a real host, offline: every message gets
// a queue ID; a deferral (a 4xx, or no answer) stays queued until its
// retry time on the world's clock (exim's default first rule, F,2h,15m);
// a refusal bounces, and the bounce to the sender's own address is frozen
// — the demo sender, like the story's VPS, has no mailbox to take it.
type LocalMTA struct {
	w    *World
	send func(ctx context.Context, id string, draft compose.Message, events func(smtpc.Event)) (*Sent, error)

	mu    sync.Mutex
	seq   int
	queue []*Queued
}

// Queued is a message in the local MTA's queue, as `exim -bp` lists it.
type Queued struct {
	ID       string
	Provider string
	Rcpt     string
	Status   mta.Status
	Reason   string
	Tries    int
	Since    time.Time
	NextTry  time.Time
	Frozen   bool
	draft    compose.Message
}

// The local MTA's retry rule: exim's default first rule, every 15
// minutes for 2 hours; after that it gives up (a shortened F,4d).
const (
	retryInterval = 15 * time.Minute
	retryFor      = 2 * time.Hour
)

// NewLocalMTA returns the world's sender MTA; it delivers with w.Send.
func NewLocalMTA(w *World) *LocalMTA { return &LocalMTA{w: w, send: w.Send} }

// Queue lists the queued messages, oldest first.
func (m *LocalMTA) Queue() []Queued {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Queued, len(m.queue))
	for i, q := range m.queue {
		out[i] = *q
	}
	return out
}

// Send submits draft for provider id and runs the first delivery at once,
// as exim -odf does. The Outcome carries the MTA's result.
func (m *LocalMTA) Send(ctx context.Context, id string, draft compose.Message, events func(smtpc.Event)) (*Sent, error) {
	now := m.w.opts.Clock()
	m.mu.Lock()
	m.seq++
	q := &Queued{ID: fmt.Sprintf("1%sX-%06d-%02d", now.UTC().Format("150405"), m.seq, m.seq%100), Provider: id, Since: now, draft: draft}
	m.mu.Unlock()
	say(events, "local MTA: <= %s id=%s (queued)", m.w.Sender().From, q.ID)
	return m.attempt(ctx, q, events)
}

// RunQueue retries every deferred message whose retry time has come, as
// a queue runner does, and returns what became of each.
func (m *LocalMTA) RunQueue(ctx context.Context, events func(smtpc.Event)) []*Sent {
	now := m.w.opts.Clock()
	m.mu.Lock()
	var due []*Queued
	for _, q := range m.queue {
		if q.Status == mta.StatusDeferred && !q.Frozen && !q.NextTry.After(now) {
			due = append(due, q)
		}
	}
	m.mu.Unlock()
	var out []*Sent
	for _, q := range due {
		say(events, "local MTA: queue run: retrying %s (try %d)", q.ID, q.Tries+1)
		if s, err := m.attempt(ctx, q, events); err == nil {
			out = append(out, s)
		}
	}
	return out
}

// attempt delivers q once and files the result.
func (m *LocalMTA) attempt(ctx context.Context, q *Queued, events func(smtpc.Event)) (*Sent, error) {
	tl := &timeline{events: events}
	sent, err := m.send(ctx, q.Provider, q.draft, tl.forward)
	if err != nil {
		return nil, err
	}
	now := m.w.opts.Clock()
	o := sent.Outcome
	res := mta.Result{Kind: mta.Exim, QueueID: q.ID, Host: o.Server, HELO: o.HELO, Stage: o.Stage, Reply: o.Reply}
	m.mu.Lock()
	defer m.mu.Unlock()
	q.Tries++
	if p, err := m.w.Provider(q.Provider); err == nil {
		q.Rcpt = p.Recipient
	}
	reason := strings.Join(o.Reply.Lines, " ")
	if reason == "" {
		reason = o.Err
	}
	switch o.Verdict {
	case smtpx.Accepted:
		res.Status = mta.StatusDelivered
		tl.say("local MTA: => %s H=%s C=%q", q.Rcpt, o.Server, reason)
		m.remove(q)
	case smtpx.Rejected:
		res.Status, res.Reason = mta.StatusBounced, reason
		tl.say("local MTA: ** %s: %s", q.Rcpt, reason)
		m.remove(q)
		m.seq++
		bounce := &Queued{ID: fmt.Sprintf("%s-bounce", q.ID), Rcpt: m.w.Sender().From, Status: mta.StatusFrozen,
			Reason: "delivery error message", Since: now, Frozen: true, Tries: 1}
		m.queue = append(m.queue, bounce)
		res.Notes = append(res.Notes, "the bounce "+bounce.ID+" to "+bounce.Rcpt+" was frozen: the sender has no mailbox for it, so no one learns of the failure unless they look at the queue")
		tl.say("local MTA: %s Frozen (delivery error message)", bounce.ID)
	default: // a 4xx or no answer: the MTA keeps it and tries again
		if now.Sub(q.Since) >= retryFor {
			res.Status, res.Reason = mta.StatusBounced, "retry timeout exceeded: all hosts have been failing for a long time"
			tl.say("local MTA: ** %s: %s", q.Rcpt, res.Reason)
			m.remove(q)
			break
		}
		res.Status, res.Reason = mta.StatusDeferred, reason
		q.Status, q.Reason, q.NextTry = mta.StatusDeferred, reason, now.Add(retryInterval)
		res.RetryAt, res.RetryNote = q.NextTry, "retry rule F,2h,15m"
		if !m.queued(q) {
			m.queue = append(m.queue, q)
		}
		tl.say("local MTA: == %s defer: %s; next try after %s", q.Rcpt, reason, q.NextTry.Format("15:04:05"))
	}
	o.MTA = &res
	if f, err := mta.LoadFailures(); err == nil {
		o.MTAFailure = f.Explain(res)
	}
	return sent, nil
}

func (m *LocalMTA) remove(q *Queued) {
	for i, e := range m.queue {
		if e == q {
			m.queue = append(m.queue[:i], m.queue[i+1:]...)
			return
		}
	}
}

func (m *LocalMTA) queued(q *Queued) bool {
	for _, e := range m.queue {
		if e == q {
			return true
		}
	}
	return false
}

// timeline keeps the local MTA's own lines in time with the wire lines
// they follow: a line is stamped with the latest offset seen so far, not 0.
type timeline struct {
	events func(smtpc.Event)
	last   time.Duration
}

func (t *timeline) forward(e smtpc.Event) {
	t.last = max(t.last, e.At)
	if t.events != nil {
		t.events(e)
	}
}

func (t *timeline) say(format string, args ...any) {
	t.forward(smtpc.Event{At: t.last, Kind: smtpc.KindInfo, Source: smtpc.FromWorld, Lines: []string{fmt.Sprintf(format, args...)}})
}

func say(events func(smtpc.Event), format string, args ...any) {
	if events != nil {
		events(smtpc.Event{Kind: smtpc.KindInfo, Source: smtpc.FromWorld, Lines: []string{fmt.Sprintf(format, args...)}})
	}
}

// MTABench is the workbench's view of the world when sends go through the
// sender's local MTA (`mailcred demo --via mta`).
func (w *World) MTABench() session.Bench {
	return mtaBench{worldBench: worldBench{w}, m: NewLocalMTA(w)}
}

type mtaBench struct {
	worldBench
	m *LocalMTA
}

func (b mtaBench) Describe(ctx context.Context, draft compose.Message, rcpt []string) (*session.Description, error) {
	d, err := b.worldBench.Describe(ctx, draft, rcpt)
	if err != nil {
		return nil, err
	}
	d.Notes = append(d.Notes, "Through the sender's own MTA (simulated, exim-like): queued, retried every 15 minutes on a deferral, a bounce to the sender frozen.")
	return d, nil
}

func (b mtaBench) Send(ctx context.Context, draft compose.Message, rcpt []string, events func(session.Event)) (*session.Sent, error) {
	p, err := b.provider(rcpt)
	if err != nil {
		return nil, err
	}
	b.m.RunQueue(ctx, events)
	sent, err := b.m.Send(ctx, p.ID, draft, events)
	if err != nil {
		return nil, err
	}
	pl, err := b.plan(draft, rcpt)
	if err != nil {
		return nil, err
	}
	s := b.w.Sender()
	ev := sent.Outcome.Evidence(pl, session.UniqueAddrs(append([]netip.Addr{s.SourceIP()}, s.IPs()...))...)
	ev.IPs = s.IPs()
	return &session.Sent{Outcome: sent.Outcome, Evidence: ev}, nil
}
