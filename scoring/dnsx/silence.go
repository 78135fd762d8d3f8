package dnsx

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"time"
)

// NoReply is a question that got no reply at all from Server: the
// exchange failed before any answer came (nothing listens there, the
// network is unreachable, the reply never arrived). Its message is for a
// person; Err is what the socket said.
type NoReply struct {
	Server  string
	Timeout time.Duration // how long each attempt waited, when it timed out
	Err     error
}

func (e *NoReply) Error() string {
	var ne net.Error
	switch {
	case errors.Is(e.Err, syscall.ECONNREFUSED):
		return fmt.Sprintf("nothing answers DNS at %s (connection refused)", e.Server)
	case errors.Is(e.Err, syscall.ENETUNREACH), errors.Is(e.Err, syscall.EHOSTUNREACH):
		return fmt.Sprintf("cannot reach %s (no route to it)", e.Server)
	case errors.As(e.Err, &ne) && ne.Timeout():
		return fmt.Sprintf("no reply from %s within %s", e.Server, e.Timeout)
	}
	return fmt.Sprintf("no reply from %s: %v", e.Server, e.Err)
}

func (e *NoReply) Unwrap() error { return e.Err }

// Silence is a resolver that replied to nothing during a run.
type Silence struct {
	Servers   []string // who was asked
	Questions int      // how many questions went out
	Cause     string   // the first failure, in words
}

// Silent reports whether log shows a resolver that gave no reply at all:
// at least one question went out and every one failed for want of a reply
// (a reply of any rcode, SERVFAIL or REFUSED included, is a reply). Then
// every check fails alike, and one sentence about the resolver says more
// than each check's "could not check".
func Silent(log []Query) (Silence, bool) {
	var s Silence
	seen := map[string]bool{}
	asked := map[[3]string]bool{} // a question recorded by several checks counts once
	for _, q := range log {
		if q.Cached {
			continue
		}
		if k := [3]string{q.Name, q.Type, q.Server}; asked[k] {
			continue
		} else {
			asked[k] = true
		}
		if !q.noReply {
			return Silence{}, false
		}
		s.Questions++
		if s.Cause == "" {
			s.Cause = q.Error
		}
		if q.Server != "" && !seen[q.Server] {
			seen[q.Server] = true
			s.Servers = append(s.Servers, q.Server)
		}
	}
	return s, s.Questions > 0
}

// String is the sentence for a person.
func (s Silence) String() string {
	return "The " + s.Summary() + ". No check that needs DNS could be made; " +
		"make sure the resolver (--resolver, or /etc/resolv.conf) is running and reachable, then run again."
}

// Summary is the fact alone, for a status line.
func (s Silence) Summary() string {
	servers := strings.Join(s.Servers, ", ")
	if s.Questions == 1 {
		return fmt.Sprintf("resolver %s did not reply to the one question asked: %s", servers, s.Cause)
	}
	return fmt.Sprintf("resolver %s replied to none of %d questions: %s", servers, s.Questions, s.Cause)
}
