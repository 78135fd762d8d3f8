package demo

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mailcred/mailcred/scoring/smtpx"
	"github.com/mailcred/mailcred/session"
	"github.com/mailcred/mailcred/session/compose"
	"github.com/mailcred/mailcred/session/mta"
	"github.com/mailcred/mailcred/session/smtpc"
)

// In the story, Gmail refuses the unauthenticated message: through the
// sender's MTA that is a bounce, never "accepted", and the bounce to the
// sender is frozen in the queue — the story's exim, offline.
func TestLocalMTABouncesAndFreezesTheBounce(t *testing.T) {
	w, _ := startWorld(t, ScenarioStory)
	m := NewLocalMTA(w)
	var lines []string
	var world []string // the simulated MTA's own lines, marked as the world's
	var last time.Duration
	sent, err := m.Send(context.Background(), ProviderGmail, w.Draft(), func(e smtpc.Event) {
		// The MTA's lines follow the wire lines they report, in time too.
		if e.At < last {
			t.Errorf("%q at %v after a line at %v", e.Lines, e.At, last)
		}
		last = e.At
		lines = append(lines, e.Lines...)
		if e.Source == smtpc.FromWorld {
			world = append(world, e.Lines...)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if w := strings.Join(world, "\n"); !strings.Contains(w, "** alice@gmail.example") || !strings.Contains(w, "Frozen") {
		t.Errorf("the local MTA's own lines are not marked as the demo world's:\n%s", w)
	}
	r := sent.Outcome.MTA
	if r == nil || r.Status != mta.StatusBounced || sent.Outcome.Verdict != smtpx.Rejected || r.Reply.Code != 550 {
		t.Fatalf("outcome %v, mta %+v", sent.Outcome.Verdict, r)
	}
	q := m.Queue()
	if len(q) != 1 || !q[0].Frozen || q[0].Status != mta.StatusFrozen || q[0].Rcpt != w.Sender().From {
		t.Fatalf("queue %+v, want the frozen bounce to the sender", q)
	}
	joined := strings.Join(lines, "\n")
	for _, want := range []string{"<= you@example.com id=", "** alice@gmail.example", "Frozen (delivery error message)"} {
		if !strings.Contains(joined, want) {
			t.Errorf("transcript lacks %q:\n%s", want, joined)
		}
	}
	if len(r.Notes) == 0 || !strings.Contains(r.Notes[0], "frozen") {
		t.Errorf("notes %q", r.Notes)
	}
}

// A deferral stays queued until its retry time on the world's clock; the
// queue run before it is due does nothing, the one after retries; past
// the retry rule's two hours the message bounces.
func TestLocalMTAQueueRetriesOnTheWorldsClock(t *testing.T) {
	w, clk := startWorld(t, ScenarioStory)
	m := NewLocalMTA(w)
	tries := 0
	// The delivery itself is the world's (a real session to the tester),
	// with its verdict turned into a 451, as a greylisting receiver answers.
	m.send = func(ctx context.Context, id string, d compose.Message, ev func(smtpc.Event)) (*Sent, error) {
		tries++
		s, err := w.Send(ctx, ProviderTester, d, ev)
		if err != nil {
			return nil, err
		}
		s.Outcome.Verdict = smtpx.Deferred
		s.Outcome.Reply = smtpc.Reply{Code: 451, Enhanced: "4.7.1", Lines: []string{"451 4.7.1 greylisted, try again later"}}
		return s, nil
	}
	sent, err := m.Send(context.Background(), ProviderTester, w.Draft(), nil)
	if err != nil {
		t.Fatal(err)
	}
	r := sent.Outcome.MTA
	if r.Status != mta.StatusDeferred || !r.RetryAt.Equal(clk.Now().Add(15*time.Minute)) || len(m.Queue()) != 1 {
		t.Fatalf("first try: %+v, queue %d", r, len(m.Queue()))
	}
	if got := m.RunQueue(context.Background(), nil); len(got) != 0 || tries != 1 {
		t.Errorf("a queue run before the retry time retried (%d tries)", tries)
	}
	clk.Advance(15 * time.Minute)
	if got := m.RunQueue(context.Background(), nil); len(got) != 1 || tries != 2 {
		t.Fatalf("the queue run at the retry time: %d results, %d tries", len(got), tries)
	}
	clk.Advance(2 * time.Hour)
	got := m.RunQueue(context.Background(), nil)
	if len(got) != 1 || got[0].Outcome.MTA.Status != mta.StatusBounced || !strings.Contains(got[0].Outcome.MTA.Reason, "all hosts have been failing") {
		t.Fatalf("after the retry rule: %+v", got)
	}
	if f := got[0].Outcome.MTAFailure; f == nil || f.ID != "exim.all-hosts-failing" {
		t.Errorf("explanation %+v", f)
	}
	if len(m.Queue()) != 0 {
		t.Errorf("queue %+v after the bounce", m.Queue())
	}
}

// The workbench seam: the MTA bench delivers to the tester through the
// local MTA and says so in the confirmation.
func TestMTABenchDelivers(t *testing.T) {
	w, _ := startWorld(t, ScenarioStory)
	b := w.MTABench()
	var tester Provider
	for _, p := range w.Providers() {
		if p.ID == ProviderTester {
			tester = p
		}
	}
	d, err := b.Describe(context.Background(), w.Draft(), []string{tester.Recipient})
	if err != nil || !strings.Contains(strings.Join(d.Notes, " "), "own MTA") {
		t.Fatalf("describe: %v %+v", err, d)
	}
	s, err := b.Send(context.Background(), w.Draft(), []string{tester.Recipient}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Outcome.MTA == nil || s.Outcome.MTA.Status != mta.StatusDelivered || s.Outcome.Verdict != smtpx.Accepted {
		t.Fatalf("%v %+v", s.Outcome.Verdict, s.Outcome.MTA)
	}
	var _ session.Bench = b
}
