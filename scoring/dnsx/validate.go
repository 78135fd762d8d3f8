package dnsx

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// maxChain is how many CNAMEs a name may go through before the lookup is
// given up as "could not check" (BIND and Unbound stop at a similar depth).
const maxChain = 8

// errOversize marks a UDP reply larger than the buffer we advertised that
// did not set TC: a middlebox or a hostile server; TCP gets the whole one.
var errOversize = errors.New("UDP reply larger than the advertised buffer without TC")

// exchangeUDP sends m and reads until a reply that answers it arrives or
// the context ends. A datagram with another ID, another question or
// records for names off the CNAME chain is not the answer — on UDP anyone
// can send one — so it is dropped and the wait goes on; if nothing better
// comes, the lookup fails with what was wrong with it (could not check),
// never with the forged content.
func (r *Resolver) exchangeUDP(ctx context.Context, m *dns.Msg, server string) (*dns.Msg, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "udp", server)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	out, err := m.Pack()
	if err != nil {
		return nil, err
	}
	if _, err := conn.Write(out); err != nil {
		return nil, err
	}
	m = asSent(m, out)
	// One byte more than we advertised is enough to see a reply break
	// the limit; such a reply is asked again over TCP, never parsed.
	buf := make([]byte, int(r.cfg.UDPSize)+1)
	var rejected error
	// A datagram lost (the query or its reply) would cost the whole
	// attempt; the query is sent again, on the same socket with the same
	// ID, after Retransmit, then after twice as long, and so on, any reply
	// to any copy being the answer.
	rto := r.cfg.Retransmit
	final, hasFinal := ctx.Deadline()
	resendAt := func() (time.Time, bool) {
		if rto <= 0 {
			return time.Time{}, false
		}
		at := time.Now().Add(rto)
		return at, !hasFinal || at.Before(final)
	}
	at, resend := resendAt()
	if resend {
		conn.SetReadDeadline(at)
	}
	for {
		n, err := conn.Read(buf)
		if err != nil {
			if ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil, ctx.Err()
			}
			var ne net.Error
			if resend && errors.As(err, &ne) && ne.Timeout() {
				if _, err := conn.Write(out); err != nil {
					return nil, err
				}
				rto *= 2
				if at, resend = resendAt(); resend {
					conn.SetReadDeadline(at)
				} else if hasFinal {
					conn.SetReadDeadline(final)
				} else {
					conn.SetReadDeadline(time.Time{})
				}
				if ctx.Err() != nil { // cancelled while the deadline moved: its own deadline may be lost
					return nil, ctx.Err()
				}
				continue
			}
			if rejected != nil && errors.As(err, &ne) && ne.Timeout() {
				return nil, fmt.Errorf("no valid reply, only a rejected one: %w", rejected)
			}
			return nil, err
		}
		if n > int(r.cfg.UDPSize) && n >= 12 && uint16(buf[0])<<8|uint16(buf[1]) == m.Id && buf[2]&0x80 != 0 {
			return nil, errOversize
		}
		reply := new(dns.Msg)
		if uerr := reply.Unpack(buf[:n]); uerr != nil {
			if truncatedHeader(buf[:n], m.Id) {
				return &dns.Msg{MsgHdr: dns.MsgHdr{Id: m.Id, Truncated: true}}, nil
			}
			rejected = fmt.Errorf("malformed reply: %v", uerr)
			continue
		}
		if err := matches(m, reply); err != nil {
			rejected = err
			continue
		}
		if reply.Truncated {
			return reply, nil
		}
		if err := ownersOnChain(reply); err != nil {
			rejected = err
			continue
		}
		return reply, nil
	}
}

// asSent is the query as it went on the wire, read back: names then have
// the same escaping ("\032" for a space) as the reply's names will.
func asSent(m *dns.Msg, wire []byte) *dns.Msg {
	sent := new(dns.Msg)
	if sent.Unpack(wire) != nil {
		return m
	}
	return sent
}

// truncatedHeader reports whether a reply that did not parse is at least
// ours with TC set (some servers cut a record in half when truncating).
func truncatedHeader(b []byte, id uint16) bool {
	return len(b) >= 12 && uint16(b[0])<<8|uint16(b[1]) == id && b[2]&0x80 != 0 && b[2]&0x02 != 0
}

// exchangeTCP makes one exchange over TCP. A stream is ours alone, so a
// reply that does not match is an error rather than something to skip.
func (r *Resolver) exchangeTCP(ctx context.Context, m *dns.Msg, server string) (*dns.Msg, error) {
	c := &dns.Client{Net: "tcp", Timeout: r.cfg.Timeout}
	conn, err := c.DialContext(ctx, server)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()
	reply, _, err := c.ExchangeWithConnContext(ctx, m, conn)
	if err != nil {
		if ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, ctx.Err()
		}
		return nil, err
	}
	if out, err := m.Pack(); err == nil {
		m = asSent(m, out)
	}
	if err := matches(m, reply); err != nil {
		return nil, err
	}
	if reply.Truncated {
		return nil, errors.New("reply truncated even over TCP")
	}
	if err := ownersOnChain(reply); err != nil {
		return nil, err
	}
	return reply, nil
}

// matches reports whether reply answers query: same ID, a response, the
// same single question (name compared without case, as servers may echo
// it in another case), and the same type and class.
func matches(query, reply *dns.Msg) error {
	if reply.Id != query.Id {
		return fmt.Errorf("reply ID %d, asked with %d", reply.Id, query.Id)
	}
	if !reply.Response {
		return errors.New("reply is not a response")
	}
	if len(reply.Question) != 1 {
		return fmt.Errorf("reply has %d questions, want the one asked", len(reply.Question))
	}
	q, a := query.Question[0], reply.Question[0]
	if !strings.EqualFold(a.Name, q.Name) || a.Qtype != q.Qtype || a.Qclass != q.Qclass {
		return fmt.Errorf("reply is for %s %s %s, asked %s %s %s",
			strings.TrimSuffix(a.Name, "."), dns.ClassToString[a.Qclass], dns.TypeToString[a.Qtype],
			strings.TrimSuffix(q.Name, "."), dns.ClassToString[q.Qclass], dns.TypeToString[q.Qtype])
	}
	return nil
}

// chain is the CNAME chain a reply gives for its question: the names from
// the question on, with loop and length problems noted.
type chain struct {
	names []string // lower case; names[0] is the question
	loop  bool     // a CNAME pointed back into the chain
	long  bool     // more than maxChain CNAMEs
}

// err says why the chain cannot be read through, or nil.
func (c chain) err() error {
	switch {
	case c.loop:
		return fmt.Errorf("CNAME loop: %s", strings.Join(trimDots(c.names), " → "))
	case c.long:
		return fmt.Errorf("CNAME chain from %s longer than %d", strings.TrimSuffix(c.names[0], "."), maxChain)
	}
	return nil
}

func trimDots(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = strings.TrimSuffix(n, ".")
	}
	return out
}

func (c chain) end() string { return c.names[len(c.names)-1] }

func (c chain) has(name string) bool {
	for _, n := range c.names {
		if n == name {
			return true
		}
	}
	return false
}

// chainOf follows the CNAMEs of the answer section from the question name.
func chainOf(reply *dns.Msg) chain {
	q := reply.Question[0]
	c := chain{names: []string{strings.ToLower(q.Name)}}
	if q.Qtype == dns.TypeCNAME {
		return c
	}
	for {
		var next string
		for _, rr := range reply.Answer {
			if cn, ok := rr.(*dns.CNAME); ok && strings.EqualFold(cn.Hdr.Name, c.end()) {
				next = strings.ToLower(cn.Target)
				break
			}
		}
		if next == "" {
			return c
		}
		if c.has(next) {
			c.loop = true
			c.names = append(c.names, next) // shown in the error
			return c
		}
		if len(c.names) > maxChain {
			c.long = true
			return c
		}
		c.names = append(c.names, next)
	}
}

// ownersOnChain checks that every CNAME in the answer section belongs to
// the chain from the question, and every record of the type asked to its
// end: a record for another name answers nobody's question here.
func ownersOnChain(reply *dns.Msg) error {
	c := chainOf(reply)
	qtype := reply.Question[0].Qtype
	for _, rr := range reply.Answer {
		h := rr.Header()
		owner := strings.ToLower(h.Name)
		switch {
		case h.Rrtype == qtype:
			if owner != c.end() && !(c.loop || c.long) {
				return fmt.Errorf("answer has a %s record for %s, asked about %s",
					dns.TypeToString[qtype], strings.TrimSuffix(owner, "."), strings.TrimSuffix(c.names[0], "."))
			}
		case h.Rrtype == dns.TypeCNAME:
			if !c.has(owner) && !(c.loop || c.long) {
				return fmt.Errorf("answer has a CNAME for %s, off the chain from %s",
					strings.TrimSuffix(owner, "."), strings.TrimSuffix(c.names[0], "."))
			}
		}
	}
	return nil
}
