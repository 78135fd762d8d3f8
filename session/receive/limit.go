package receive

import (
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// limitListener bounds concurrent sessions in all and per client network
// (an IPv4 address, an IPv6 /64: one customer's allocation), the time a
// client has to say EHLO, and the lifetime of each session. When every
// slot is taken, a client from a network with fewer sessions than the
// busiest one takes the slot of that network's least active session (the
// fewest bytes sent; one that never said EHLO first): ten addresses
// holding fifty slowloris connections cannot lock everyone else out. It
// remembers its connections so Close can end every session: go-smtp's
// Shutdown waits for sessions without ending them, and its Close ends
// them without waiting.
type limitListener struct {
	net.Listener
	max, perNet int
	lifetime    time.Duration
	greeting    time.Duration
	hostname    string

	mu      sync.Mutex
	conns   map[*limitedConn]struct{}
	perNetN map[netip.Prefix]int
	closed  bool
}

func newLimitListener(l net.Listener, o Options) *limitListener {
	return &limitListener{
		Listener: l, max: o.MaxSessions, perNet: o.MaxSessionsPerIP, lifetime: o.SessionTimeout,
		greeting: o.GreetingTimeout, hostname: o.Hostname,
		conns: map[*limitedConn]struct{}{}, perNetN: map[netip.Prefix]int{},
	}
}

// clientNet is the network a limit counts: the address itself for IPv4,
// its /64 for IPv6 (RFC 6177: a site gets at least a /64, so one client
// has 2^64 addresses to rotate through).
func clientNet(ip netip.Addr) netip.Prefix {
	if !ip.IsValid() {
		return netip.Prefix{}
	}
	bits := 32
	if ip.Is6() {
		bits = 64
	}
	p, _ := ip.Prefix(bits)
	return p
}

// Accept returns the next connection within the limits. One over a limit
// is answered 421 4.7.0 and closed here (RFC 5321 §3.8: a server may close
// with 421 at any time), so it never reaches go-smtp.
func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		n := clientNet(peerIP(c.RemoteAddr()))
		var refusal string
		var evicted *limitedConn
		l.mu.Lock()
		switch {
		case l.closed:
			refusal = "421 4.3.2 " + l.hostname + " shutting down\r\n"
		case l.perNetN[n] >= l.perNet:
			refusal = "421 4.7.0 " + l.hostname + " too many connections from your network, try again later\r\n"
		case len(l.conns) >= l.max:
			if evicted = l.victimLocked(n); evicted == nil {
				refusal = "421 4.7.0 " + l.hostname + " too many connections, try again later\r\n"
			}
		}
		if refusal != "" {
			l.mu.Unlock()
			refuse(c, refusal)
			continue
		}
		lc := &limitedConn{Conn: c, l: l, network: n, since: time.Now()}
		l.conns[lc] = struct{}{}
		l.perNetN[n]++
		lc.timer = time.AfterFunc(l.lifetime, func() { c.Close() })
		lc.greet = time.AfterFunc(l.greeting, func() { c.Close() })
		l.mu.Unlock()
		if evicted != nil {
			evicted.Conn.Close()
		}
		return lc, nil
	}
}

// victimLocked picks the session to end for a newcomer from network n:
// the least active session of the network holding the most, provided that
// network holds at least two more than n (so eviction only ever evens the
// shares out). The victim is released here; the caller closes it.
func (l *limitListener) victimLocked(n netip.Prefix) *limitedConn {
	var busiest netip.Prefix
	most := 0
	for p, k := range l.perNetN {
		if k > most {
			busiest, most = p, k
		}
	}
	if most < l.perNetN[n]+2 {
		return nil
	}
	var victim *limitedConn
	for c := range l.conns {
		if c.network == busiest && (victim == nil || c.lessActive(victim)) {
			victim = c
		}
	}
	if victim != nil {
		l.releaseLocked(victim)
	}
	return victim
}

// refuse writes the reply with a short deadline and closes the connection.
func refuse(c net.Conn, reply string) {
	c.SetWriteDeadline(time.Now().Add(time.Second))
	c.Write([]byte(reply))
	c.Close()
}

// closeAll closes the listener and every connection, now and later.
func (l *limitListener) closeAll() {
	l.Listener.Close()
	l.mu.Lock()
	l.closed = true
	conns := make([]*limitedConn, 0, len(l.conns))
	for c := range l.conns {
		conns = append(conns, c)
	}
	l.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

// sessions returns the number of open sessions.
func (l *limitListener) sessions() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns)
}

// releaseLocked gives c's slot back, once.
func (l *limitListener) releaseLocked(c *limitedConn) {
	if c.released {
		return
	}
	c.released = true
	c.timer.Stop()
	c.greet.Stop()
	delete(l.conns, c)
	if l.perNetN[c.network]--; l.perNetN[c.network] <= 0 {
		delete(l.perNetN, c.network)
	}
}

// limitedConn gives its slot back when closed, however often, and counts
// what the client sent.
type limitedConn struct {
	net.Conn
	l       *limitListener
	network netip.Prefix
	since   time.Time
	timer   *time.Timer // the session's lifetime
	greet   *time.Timer // the time left to say EHLO

	read    atomic.Int64
	greeted atomic.Bool

	released bool // guarded by l.mu
}

func (c *limitedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	return n, err
}

// hello marks the EHLO done: the greeting timeout no longer applies.
func (c *limitedConn) hello() {
	c.greeted.Store(true)
	c.greet.Stop()
}

// lessActive orders eviction candidates: one that never said EHLO first,
// then the fewest bytes sent, then the oldest.
func (c *limitedConn) lessActive(o *limitedConn) bool {
	if a, b := c.greeted.Load(), o.greeted.Load(); a != b {
		return !a
	}
	if a, b := c.read.Load(), o.read.Load(); a != b {
		return a < b
	}
	return c.since.Before(o.since)
}

func (c *limitedConn) Close() error {
	c.l.mu.Lock()
	c.l.releaseLocked(c)
	c.l.mu.Unlock()
	return c.Conn.Close()
}

// peerIP is the client's IP address, IPv4-mapped addresses unmapped;
// invalid for a non-IP address.
func peerIP(a net.Addr) netip.Addr {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.AddrPort().Addr().Unmap().WithZone("")
	}
	if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		return ap.Addr().Unmap().WithZone("")
	}
	return netip.Addr{}
}
