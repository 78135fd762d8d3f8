package dnstest

import (
	"errors"
	"net"
	"sync"

	"github.com/miekg/dns"
)

// Replier writes a hostile server's replies: given each query (and whether
// it came over UDP) it returns the messages to send back, in order — none,
// several, with a wrong ID or question, oversized, truncated. The server
// sends them as they are: nothing is fixed up, truncated or checked.
type Replier func(q *dns.Msg, udp bool) []*dns.Msg

// Hostile is a DNS server on 127.0.0.1 (UDP and TCP on one port) that
// answers with whatever its Replier says, for tests of what a resolver
// accepts.
type Hostile struct {
	Addr string

	reply Replier
	pc    net.PacketConn
	ln    net.Listener
	wg    sync.WaitGroup

	mu    sync.Mutex
	conns map[net.Conn]bool // open TCP connections, closed by Close
}

// StartHostile starts a hostile server; it stops with t.Cleanup or Close.
func StartHostile(reply Replier) (*Hostile, error) {
	var lastErr error
	for attempt := 0; attempt < 20; attempt++ {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ln, err := net.Listen("tcp", pc.LocalAddr().String())
		if err != nil {
			pc.Close()
			lastErr = err
			continue // the port is taken for TCP; try another
		}
		h := &Hostile{Addr: pc.LocalAddr().String(), reply: reply, pc: pc, ln: ln, conns: map[net.Conn]bool{}}
		h.wg.Add(2)
		go h.serveUDP()
		go h.serveTCP()
		return h, nil
	}
	return nil, lastErr
}

// Close stops the server and waits for its goroutines.
func (h *Hostile) Close() error {
	h.pc.Close()
	h.ln.Close()
	h.mu.Lock()
	for c := range h.conns {
		c.Close()
	}
	h.mu.Unlock()
	h.wg.Wait()
	return nil
}

func (h *Hostile) serveUDP() {
	defer h.wg.Done()
	buf := make([]byte, 65535)
	for {
		n, from, err := h.pc.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		q := new(dns.Msg)
		if q.Unpack(buf[:n]) != nil {
			continue
		}
		for _, m := range h.reply(q, true) {
			if b, err := m.Pack(); err == nil {
				h.pc.WriteTo(b, from)
			}
		}
	}
}

func (h *Hostile) serveTCP() {
	defer h.wg.Done()
	for {
		c, err := h.ln.Accept()
		if err != nil {
			return
		}
		h.mu.Lock()
		h.conns[c] = true
		h.mu.Unlock()
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			defer func() {
				h.mu.Lock()
				delete(h.conns, c)
				h.mu.Unlock()
				c.Close()
			}()
			conn := &dns.Conn{Conn: c}
			for {
				q, err := conn.ReadMsg()
				if err != nil {
					return
				}
				for _, m := range h.reply(q, false) {
					if conn.WriteMsg(m) != nil {
						return
					}
				}
			}
		}()
	}
}

// Reply is the start of an honest reply to q: ID, question and flags set,
// no records. Hostile repliers change what they need.
func Reply(q *dns.Msg) *dns.Msg {
	m := new(dns.Msg)
	m.SetReply(q)
	m.Authoritative = true
	m.RecursionAvailable = true
	return m
}

// RR parses one record in master-file form, panicking on a typo (for
// tests and fixed corpora only).
func RR(s string) dns.RR {
	rr, err := dns.NewRR(s)
	if err != nil {
		panic(err)
	}
	return rr
}
