package demo

import "time"

// EventKind says what an Event reports.
type EventKind string

// The kinds of event.
const (
	EventFix       EventKind = "fix"       // a fix was applied (and when it takes effect)
	EventEffective EventKind = "effective" // a delayed fix took effect: a record is visible, a delisting approved
	EventState     EventKind = "state"     // the presenter changed the world (IPv6 on or off)
	EventAccepted  EventKind = "accepted"  // a provider accepted a message
	EventRefused   EventKind = "refused"   // a provider refused a connection, a command or a message
	EventError     EventKind = "error"     // the world itself failed (never expected)
)

// Event is one change of the world, in words for a timeline:
// "SPF record published at example.com: v=spf1 ... (propagating,
// effective at 14:02:10)", "message received by tester.example: score
// 7.8/10".
type Event struct {
	At       time.Time // by the world's clock
	Kind     EventKind
	Fix      string // the fix id, for EventFix and EventEffective
	Provider string // the provider id, for EventAccepted and EventRefused
	Text     string
}

// eventBuffer is how many events Events holds for a slow reader; older
// ones are dropped from the channel (never from Log).
const eventBuffer = 256

// maxLog bounds the history Log keeps.
const maxLog = 10000

// Events is a stream of the world's changes. It never blocks the world: a
// reader that falls more than a few hundred events behind misses some (Log
// has them all). It is closed by Close.
func (w *World) Events() <-chan Event { return w.events }

// Log returns every event so far, oldest first (the last 10,000).
func (w *World) Log() []Event {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Event(nil), w.log...)
}

// emit records an event.
func (w *World) emit(e Event) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.emitLocked(e)
}

// emitLocked records an event; w.mu must be held. After Close it does
// nothing: the channel is closed under the same lock.
func (w *World) emitLocked(e Event) {
	if w.closed {
		return
	}
	if len(w.log) == maxLog {
		w.log = append(w.log[:0], w.log[1:]...)
	}
	w.log = append(w.log, e)
	for {
		select {
		case w.events <- e:
			return
		default:
			// Full: drop the oldest. Only emitLocked sends, under w.mu, so
			// the room made here is still there on the next pass.
			select {
			case <-w.events:
			default:
			}
		}
	}
}
