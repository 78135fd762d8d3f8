package smtptest

import (
	"net"
	"sync"
	"time"
)

// tracker is a listener that remembers its connections so Close can end
// every session, which go-smtp's own Close does without waiting and its
// Shutdown does not do at all.
type tracker struct {
	net.Listener
	mu     sync.Mutex
	conns  map[*trackedConn]struct{}
	closed bool
}

func newTracker(l net.Listener) *tracker {
	return &tracker{Listener: l, conns: map[*trackedConn]struct{}{}}
}

func (t *tracker) Accept() (net.Conn, error) {
	for {
		c, err := t.Listener.Accept()
		if err != nil {
			return nil, err
		}
		tc := &trackedConn{Conn: c, t: t}
		t.mu.Lock()
		closed := t.closed
		if !closed {
			t.conns[tc] = struct{}{}
		}
		t.mu.Unlock()
		if closed {
			c.Close()
			continue
		}
		return tc, nil
	}
}

// closeAll closes the listener and every connection, now and later.
func (t *tracker) closeAll() {
	t.Listener.Close()
	t.mu.Lock()
	t.closed = true
	conns := t.conns
	t.conns = map[*trackedConn]struct{}{}
	t.mu.Unlock()
	for c := range conns {
		c.Conn.Close()
	}
}

type trackedConn struct {
	net.Conn
	t *tracker
}

func (c *trackedConn) Close() error {
	c.t.mu.Lock()
	delete(c.t.conns, c)
	c.t.mu.Unlock()
	return c.Conn.Close()
}

// greeter refuses connections at the greeting when the policy says so,
// writing the reply itself: go-smtp's 220 greeting cannot be changed.
type greeter struct {
	net.Listener
	refuse func(net.Conn) *Reply
}

func (g *greeter) Accept() (net.Conn, error) {
	for {
		c, err := g.Listener.Accept()
		if err != nil {
			return nil, err
		}
		r := g.refuse(c)
		if r == nil {
			return c, nil
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		c.Write([]byte(r.wire()))
		c.Close()
	}
}
