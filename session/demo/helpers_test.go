package demo

import (
	"context"
	"crypto"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/catalog"
	"github.com/mailcred/mailcred/scoring/smtpx"
	"github.com/mailcred/mailcred/session/explain"
	"github.com/mailcred/mailcred/session/keygen"
)

// Test delays, on the hand-driven clock: long enough to prove "not yet".
const (
	testPropagation = 3 * time.Second
	testRamp        = 20 * time.Second
)

// clock is a hand-driven clock. It starts at the real time so that the
// Date: header checks (which read the real clock) see a fresh date.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Now().Truncate(time.Second)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// keyCache makes each RSA size once for the whole test binary: a 2048-bit
// key takes seconds under the race detector.
type keyCache struct {
	mu   sync.Mutex
	keys map[int]crypto.Signer
}

func (k *keyCache) get(bits int) (crypto.Signer, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if key, ok := k.keys[bits]; ok {
		return key, nil
	}
	key, err := keygen.Generate(keygen.Options{Bits: bits})
	if err == nil {
		k.keys[bits] = key
	}
	return key, err
}

// testKeys is shared by the tests (test code only; the package itself has
// no global state).
var testKeys = &keyCache{keys: map[int]crypto.Signer{}}

// startWorld starts a scenario on a hand-driven clock and, at cleanup,
// closes it and checks that every goroutine it started has ended.
func startWorld(t *testing.T, scenario string) (*World, *clock) {
	t.Helper()
	for _, bits := range []int{1024, 2048} { // made before counting goroutines
		if _, err := testKeys.get(bits); err != nil {
			t.Fatal(err)
		}
	}
	before := numGoroutines()
	clk := newClock()
	w, err := Start(context.Background(), Options{Scenario: scenario, Propagation: testPropagation, Ramp: testRamp,
		Clock: clk.Now, KeyGen: testKeys.get})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := w.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		noLeaks(t, before)
	})
	return w, clk
}

// numGoroutines counts goroutines once the key cache is warm.
func numGoroutines() int { return runtime.NumGoroutine() }

// noLeaks waits (boundedly) for the goroutine count to return to before.
func noLeaks(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= before {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Errorf("%d goroutines after Close, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// outcome is how one send ended, in the terms a test states.
type outcome struct {
	stage    smtpx.Stage
	code     int
	enhanced string
	text     string // the reply's lines joined with "\n"
	sent     *Sent
}

// send sends the world's draft to a provider and sums up the answer.
func send(t *testing.T, w *World, id string) outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sent, err := w.Send(ctx, id, w.Draft(), nil)
	if err != nil {
		t.Fatalf("send to %s: %v", id, err)
	}
	o := sent.Outcome
	if o.Verdict == smtpx.Failed {
		t.Fatalf("send to %s: no answer at %s: %s", id, o.Stage, o.Err)
	}
	return outcome{stage: o.Stage, code: o.Reply.Code, enhanced: o.Reply.Enhanced, text: strings.Join(o.Reply.Lines, "\n"), sent: sent}
}

// refusal is an expected refusal: where, which codes, a phrase of the
// text, and the session/explain entry that must explain it ("" for none).
type refusal struct {
	stage    smtpx.Stage
	code     int
	enhanced string
	phrase   string
	entry    string
}

// expectRefusal sends to a provider and checks the refusal.
func expectRefusal(t *testing.T, kb *explain.KB, w *World, id string, want refusal) outcome {
	t.Helper()
	got := send(t, w, id)
	if got.stage != want.stage || got.code != want.code || got.enhanced != want.enhanced || !strings.Contains(got.text, want.phrase) {
		t.Fatalf("%s: got %s %d %q:\n%s\nwant %s %d %q containing %q", id, got.stage, got.code, got.enhanced, got.text,
			want.stage, want.code, want.enhanced, want.phrase)
	}
	if want.entry != "" {
		ex := kb.Explain(explain.Reply{Code: got.code, Enhanced: got.enhanced, Lines: lines(got.text)}, got.stage)
		if ex.EntryID != want.entry {
			t.Errorf("%s: explain matched %q, want %q (%s)", id, ex.EntryID, want.entry, ex.Meaning)
		}
	}
	return got
}

// expectAccepted sends to a provider and checks that it took the message.
func expectAccepted(t *testing.T, w *World, id string) outcome {
	t.Helper()
	got := send(t, w, id)
	if got.stage != smtpx.EndOfData || got.code != 250 {
		t.Fatalf("%s: want 250 at end of data, got %s %d %q:\n%s", id, got.stage, got.code, got.enhanced, got.text)
	}
	return got
}

// checkCatalogue runs scoring/catalog's DNS checks for the world's sender
// against the world's DNS.
func checkCatalogue(t *testing.T, w *World) (map[string]scoring.Result, scoring.Score) {
	t.Helper()
	r, err := w.Resolver()
	if err != nil {
		t.Fatal(err)
	}
	results := scoring.RunAll(context.Background(), &scoring.Env{Evidence: w.Sender().Evidence(), DNS: r}, catalog.DNS())
	byID := map[string]scoring.Result{}
	for _, res := range results {
		byID[res.ID] = res
	}
	return byID, scoring.DefaultWeights.Compute(results)
}

// expectAllPass checks that the catalogue scores 10 with nothing failing.
func expectAllPass(t *testing.T, w *World) {
	t.Helper()
	results, score := checkCatalogue(t, w)
	for id, res := range results {
		if res.Status != scoring.Pass && res.Status != scoring.Info && res.Status != scoring.Skip {
			t.Errorf("%s: %s — %s\n%s", id, res.Status, res.Title, res.Detail)
		}
	}
	if score.Value != 10 || score.Incomplete {
		t.Errorf("catalogue score %+v, want 10 complete", score)
	}
}

// expectStatus checks the catalogue status of some checks.
func expectStatus(t *testing.T, w *World, want map[string]scoring.Status) {
	t.Helper()
	results, _ := checkCatalogue(t, w)
	for id, st := range want {
		if results[id].Status != st {
			t.Errorf("%s: %s (%s), want %s\n%s", id, results[id].Status, results[id].Title, st, results[id].Detail)
		}
	}
}

// apply applies a fix and lets the delay pass on the clock.
func apply(t *testing.T, w *World, clk *clock, id string, wait time.Duration) {
	t.Helper()
	if err := w.Apply(id); err != nil {
		t.Fatalf("Apply(%s): %v", id, err)
	}
	clk.Advance(wait)
	if err := w.Settle(); err != nil {
		t.Fatal(err)
	}
}

// testerScore sends to the tester and returns its report.
func testerScore(t *testing.T, w *World) *Report {
	t.Helper()
	expectAccepted(t, w, ProviderTester)
	rep := w.TesterReport()
	if rep == nil {
		t.Fatal("no tester report after a delivery")
	}
	return rep
}

// deductionIDs lists the ids of a report's deductions.
func deductionIDs(r *Report) []string {
	var ids []string
	for _, d := range r.Deductions {
		ids = append(ids, d.ID)
	}
	return ids
}

func loadKB(t *testing.T) *explain.KB {
	t.Helper()
	kb, err := explain.Load()
	if err != nil {
		t.Fatal(err)
	}
	return kb
}

// logHas reports whether some event's text contains s.
func logHas(w *World, s string) bool {
	for _, e := range w.Log() {
		if strings.Contains(e.Text, s) {
			return true
		}
	}
	return false
}

// lines splits reply text written with "\n" between its lines.
func lines(text string) []string { return strings.Split(text, "\n") }
