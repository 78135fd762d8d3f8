package receive

import (
	"net"
	"net/netip"
	"sync"
	"time"
)

// limitListener bounds concurrent sessions in all and per client address
// and the lifetime of each, and remembers its connections so Close can end
// every session: go-smtp's Shutdown waits for sessions without ending
// them, and its Close ends them without waiting.
type limitListener struct {
	net.Listener
	max, perIP int
	lifetime   time.Duration
	hostname   string

	mu     sync.Mutex
	conns  map[*limitedConn]struct{}
	perIPn map[netip.Addr]int
	closed bool
}

func newLimitListener(l net.Listener, o Options) *limitListener {
	return &limitListener{
		Listener: l, max: o.MaxSessions, perIP: o.MaxSessionsPerIP, lifetime: o.SessionTimeout, hostname: o.Hostname,
		conns: map[*limitedConn]struct{}{}, perIPn: map[netip.Addr]int{},
	}
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
		ip := peerIP(c.RemoteAddr())
		var refusal string
		l.mu.Lock()
		switch {
		case l.closed:
			refusal = "421 4.3.2 " + l.hostname + " shutting down\r\n"
		case len(l.conns) >= l.max:
			refusal = "421 4.7.0 " + l.hostname + " too many connections, try again later\r\n"
		case l.perIPn[ip] >= l.perIP:
			refusal = "421 4.7.0 " + l.hostname + " too many connections from your address, try again later\r\n"
		}
		if refusal != "" {
			l.mu.Unlock()
			refuse(c, refusal)
			continue
		}
		lc := &limitedConn{Conn: c, l: l, ip: ip}
		l.conns[lc] = struct{}{}
		l.perIPn[ip]++
		lc.timer = time.AfterFunc(l.lifetime, func() { c.Close() })
		l.mu.Unlock()
		return lc, nil
	}
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

// limitedConn gives its slot back when closed, however often.
type limitedConn struct {
	net.Conn
	l     *limitListener
	ip    netip.Addr
	timer *time.Timer
	once  sync.Once
}

func (c *limitedConn) Close() error {
	c.once.Do(func() {
		c.timer.Stop()
		c.l.mu.Lock()
		delete(c.l.conns, c)
		if c.l.perIPn[c.ip]--; c.l.perIPn[c.ip] <= 0 {
			delete(c.l.perIPn, c.ip)
		}
		c.l.mu.Unlock()
	})
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
