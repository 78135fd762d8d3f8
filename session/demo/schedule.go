package demo

import (
	"slices"
	"time"

	"github.com/mailcred/mailcred/scoring"
)

// change is an applied fix waiting to take effect at due.
type change struct {
	fixID   string
	due     time.Time
	mutate  func(*state)
	records []scoring.DNSRecord
	visible string // event text when it takes effect
	delayed bool   // it was not immediate: announce when it takes effect
}

// The bounds of the background loop's sleep. It sleeps until the next
// change is due by the world's clock, but a test clock does not move with
// real time, so it looks again at least every pollMax.
const (
	pollMin = 10 * time.Millisecond
	pollMax = time.Second
)

// Settle makes every change that is due by the clock take effect now. The
// world does this itself before answering any call and on a timer; tests
// that move a hand-driven clock call it to publish at once.
func (w *World) Settle() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.settleLocked()
}

// settleLocked applies the due changes in the order they fell due, then
// republishes the zone once. w.mu must be held.
func (w *World) settleLocked() error {
	if len(w.pending) == 0 {
		return nil
	}
	now := w.opts.Clock()
	slices.SortStableFunc(w.pending, func(a, b change) int { return a.due.Compare(b.due) })
	n := 0
	for n < len(w.pending) && !w.pending[n].due.After(now) {
		n++
	}
	if n == 0 {
		return nil
	}
	due := w.pending[:n:n]
	w.pending = slices.Clone(w.pending[n:])
	for _, c := range due {
		c.mutate(&w.st)
	}
	err := w.publishLocked()
	for _, c := range due {
		if c.delayed && c.visible != "" {
			w.emitLocked(Event{At: c.due, Kind: EventEffective, Fix: c.fixID, Text: c.visible})
		}
	}
	return err
}

// pendingFor is the change of a fix not yet in effect, or nil.
func (w *World) pendingFor(id string) *change {
	for i := range w.pending {
		if w.pending[i].fixID == id {
			return &w.pending[i]
		}
	}
	return nil
}

// nextWait is how long the loop may sleep: until the next change is due,
// within [pollMin, pollMax]; false when nothing is pending.
func (w *World) nextWait() (time.Duration, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.pending) == 0 {
		return 0, false
	}
	next := w.pending[0].due
	for _, c := range w.pending[1:] {
		if c.due.Before(next) {
			next = c.due
		}
	}
	return min(max(next.Sub(w.opts.Clock()), pollMin), pollMax), true
}

// wake tells the loop that something was scheduled.
func (w *World) wake() {
	select {
	case w.poke <- struct{}{}:
	default:
	}
}

// loop applies changes as they fall due, so that a world on the real clock
// moves on its own (a UI watching Events sees "SPF record is visible"
// without calling anything). It ends when Close closes w.stop.
func (w *World) loop() {
	defer close(w.loopDone)
	timer := time.NewTimer(pollMax)
	defer timer.Stop()
	for {
		if err := w.Settle(); err != nil {
			w.emit(Event{At: w.opts.Clock(), Kind: EventError, Text: err.Error()})
		}
		if d, ok := w.nextWait(); ok {
			timer.Reset(d)
		} else {
			timer.Stop()
		}
		select {
		case <-w.stop:
			return
		case <-w.poke:
		case <-timer.C:
		}
	}
}
