// Package dnstest is an in-process DNS server on 127.0.0.1 for tests and
// the offline demo world: zones from master-file text or RRs, injected
// latency, SERVFAIL / REFUSED / timeout / truncation per name, and a query
// counter. It answers authoritatively over UDP and TCP on one port.
package dnstest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/miekg/dns"
)

// Fault is a misbehaviour injected for one name.
type Fault int

// The faults.
const (
	NoFault   Fault = iota
	ServFail        // answer SERVFAIL
	Refused         // answer REFUSED
	Timeout         // never answer
	Truncate        // over UDP, answer with TC set and no records (TCP works)
	LoseFirst       // over UDP, lose the first query for the name (a dropped datagram); answer the rest
)

// Server is a running in-process DNS server. Its zone can change while it
// runs (the demo world publishes records through it).
type Server struct {
	// Addr is host:port, the same for UDP and TCP.
	Addr string

	udp, tcp *dns.Server
	closed   chan struct{}
	queries  atomic.Int64

	mu      sync.RWMutex
	rrs     map[string][]dns.RR // owner (fqdn, lower case) → records
	names   map[string]bool     // owners that exist, even with no records
	faults  map[string]Fault    // owner → fault
	lost    map[string]bool     // owners whose first query LoseFirst has lost
	hold    *hold               // answers wait until enough questions came (HoldUntil)
	signed  map[string]bool     // owners answered with AD set, as a validating resolver would
	latency time.Duration
	log     []dns.Question
}

// Start starts a server on 127.0.0.1 with a random port, loaded with zone
// (master-file text; may be empty).
func Start(zone string) (*Server, error) {
	return StartOn("127.0.0.1:0", zone)
}

// StartOn starts a server on the given loopback address. With port 0 a
// free port is chosen for UDP and the same number taken for TCP, retrying
// when another socket already holds it for TCP.
func StartOn(addr, zone string) (*Server, error) {
	var err error
	for attempt := 0; attempt < 20; attempt++ {
		var s *Server
		s, err = startOn(addr, zone)
		if err == nil {
			return s, nil
		}
		if _, port, _ := net.SplitHostPort(addr); port != "0" || !errors.Is(err, syscall.EADDRINUSE) {
			return nil, err
		}
	}
	return nil, err
}

func startOn(addr, zone string) (*Server, error) {
	s := &Server{
		rrs: map[string][]dns.RR{}, names: map[string]bool{}, faults: map[string]Fault{}, lost: map[string]bool{}, signed: map[string]bool{},
		closed: make(chan struct{}),
	}
	if err := s.AddZone(zone); err != nil {
		return nil, err
	}
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("dnstest: listen udp: %w", err)
	}
	// Same port for TCP, as a real server has.
	ln, err := net.Listen("tcp", pc.LocalAddr().String())
	if err != nil {
		pc.Close()
		return nil, fmt.Errorf("dnstest: listen tcp: %w", err)
	}
	s.Addr = pc.LocalAddr().String()
	s.udp = &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(s.serveUDP)}
	s.tcp = &dns.Server{Listener: ln, Handler: dns.HandlerFunc(s.serveTCP)}
	started := make(chan error, 4)
	s.udp.NotifyStartedFunc = func() { started <- nil }
	s.tcp.NotifyStartedFunc = func() { started <- nil }
	serve := func(srv *dns.Server) {
		if err := srv.ActivateAndServe(); err != nil {
			started <- err
		}
	}
	go serve(s.udp)
	go serve(s.tcp)
	for i := 0; i < 2; i++ {
		if err := <-started; err != nil {
			s.udp.Shutdown()
			s.tcp.Shutdown()
			return nil, fmt.Errorf("dnstest: serve: %w", err)
		}
	}
	return s, nil
}

// Close stops the server.
func (s *Server) Close() error {
	select {
	case <-s.closed:
		return nil
	default:
	}
	close(s.closed)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	err1 := s.udp.ShutdownContext(ctx)
	err2 := s.tcp.ShutdownContext(ctx)
	if err1 != nil {
		return err1
	}
	return err2
}

// AddZone parses master-file text ($ORIGIN and $TTL allowed; default TTL
// 300) and adds its records.
func (s *Server) AddZone(text string) error {
	if strings.TrimSpace(text) == "" {
		return nil
	}
	zp := dns.NewZoneParser(strings.NewReader(text), ".", "zone")
	zp.SetDefaultTTL(300)
	var rrs []dns.RR
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		rrs = append(rrs, rr)
	}
	if err := zp.Err(); err != nil {
		return fmt.Errorf("dnstest: zone: %w", err)
	}
	s.Add(rrs...)
	return nil
}

// AddRecord adds one record in master-file form ("name TTL IN TYPE data").
func (s *Server) AddRecord(line string) error {
	rr, err := dns.NewRR(line)
	if err != nil {
		return fmt.Errorf("dnstest: record %q: %w", line, err)
	}
	if rr == nil {
		return fmt.Errorf("dnstest: record %q: empty", line)
	}
	s.Add(rr)
	return nil
}

// AddTXT adds one TXT record at name made of the given character-strings,
// given as raw bytes, with a TTL of 300. miekg/dns keeps TXT strings in
// presentation form (it reads \" and \DDD when packing), so they are
// escaped here: a quote or backslash arrives as itself.
func (s *Server) AddTXT(name string, strs ...string) {
	esc := make([]string, len(strs))
	for i, str := range strs {
		var b strings.Builder
		for j := 0; j < len(str); j++ {
			switch c := str[j]; {
			case c == '"' || c == '\\':
				b.WriteByte('\\')
				b.WriteByte(c)
			case c < ' ' || c > '~':
				fmt.Fprintf(&b, "\\%03d", c)
			default:
				b.WriteByte(c)
			}
		}
		esc[i] = b.String()
	}
	s.Add(&dns.TXT{Hdr: dns.RR_Header{Name: dns.Fqdn(name), Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 300}, Txt: esc})
}

// Add adds records.
func (s *Server) Add(rrs ...dns.RR) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rr := range rrs {
		owner := strings.ToLower(dns.Fqdn(rr.Header().Name))
		s.rrs[owner] = append(s.rrs[owner], rr)
		s.names[owner] = true
	}
}

// Touch makes a name exist without records (queries get NODATA, not
// NXDOMAIN).
func (s *Server) Touch(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.names[key(name)] = true
}

// Remove deletes the records of one type at name (all types for 0). The name
// keeps existing only if records of other types remain.
func (s *Server) Remove(name string, qtype uint16) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := key(name)
	var keep []dns.RR
	for _, rr := range s.rrs[k] {
		if qtype != 0 && rr.Header().Rrtype != qtype {
			keep = append(keep, rr)
		}
	}
	if len(keep) == 0 {
		delete(s.rrs, k)
		delete(s.names, k)
		return
	}
	s.rrs[k] = keep
}

// Replace swaps the records of one type at name for rrs.
func (s *Server) Replace(name string, qtype uint16, rrs ...dns.RR) {
	s.Remove(name, qtype)
	s.Add(rrs...)
}

// SetAuthenticated makes answers about name carry the AD bit, as a
// validating resolver gives for a DNSSEC-signed zone (off by default).
func (s *Server) SetAuthenticated(name string, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.signed[key(name)] = on
}

// SetFault injects a fault for every query about name (NoFault clears it).
func (s *Server) SetFault(name string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.lost, key(name)) // LoseFirst set again loses the next first query
	if f == NoFault {
		delete(s.faults, key(name))
		return
	}
	s.faults[key(name)] = f
}

// hold keeps answers back until n questions have arrived.
type hold struct {
	n, seen int
	open    chan struct{}
}

// HoldUntil holds every answer back until n questions (counted from this
// call) have arrived, then lets them all go: a test can tell questions
// asked together from questions asked one after another without timing
// anything (asked in turn, the first is never answered, and its asker's
// timeout says so).
func (s *Server) HoldUntil(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hold = &hold{n: n, open: make(chan struct{})}
}

// SetLatency delays every answer by d.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// Queries returns how many queries the server has received.
func (s *Server) Queries() int64 { return s.queries.Load() }

// Log returns the questions received, in arrival order.
func (s *Server) Log() []dns.Question {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]dns.Question(nil), s.log...)
}

// ResetLog clears the question log and the counter.
func (s *Server) ResetLog() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = nil
	s.queries.Store(0)
}

// Records returns the records at name, sorted for stable output.
func (s *Server) Records(name string) []dns.RR {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := append([]dns.RR(nil), s.rrs[key(name)]...)
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

func key(name string) string { return strings.ToLower(dns.Fqdn(name)) }

func (s *Server) serveUDP(w dns.ResponseWriter, req *dns.Msg) { s.serve(w, req, true) }
func (s *Server) serveTCP(w dns.ResponseWriter, req *dns.Msg) { s.serve(w, req, false) }

func (s *Server) serve(w dns.ResponseWriter, req *dns.Msg, udp bool) {
	s.queries.Add(1)
	if len(req.Question) != 1 {
		m := new(dns.Msg)
		m.SetRcode(req, dns.RcodeFormatError)
		w.WriteMsg(m)
		return
	}
	q := req.Question[0]
	s.mu.Lock()
	s.log = append(s.log, q)
	latency := s.latency
	fault := s.faults[key(q.Name)]
	ad := s.signed[key(q.Name)]
	lose := fault == LoseFirst && udp && !s.lost[key(q.Name)]
	if lose {
		s.lost[key(q.Name)] = true
	}
	var open chan struct{}
	if h := s.hold; h != nil {
		if h.seen++; h.seen == h.n {
			close(h.open)
		}
		open = h.open
	}
	s.mu.Unlock()
	if lose {
		return
	}
	if open != nil {
		select {
		case <-open:
		case <-s.closed:
			return
		}
	}

	if latency > 0 {
		select {
		case <-time.After(latency):
		case <-s.closed:
			return
		}
	}
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	switch fault {
	case Timeout:
		return // say nothing; the client's timeout is what is under test
	case ServFail:
		m.Rcode = dns.RcodeServerFailure
		w.WriteMsg(m)
		return
	case Refused:
		m.Rcode = dns.RcodeRefused
		w.WriteMsg(m)
		return
	case Truncate:
		if udp {
			m.Truncated = true
			w.WriteMsg(m)
			return
		}
	}
	s.answer(m, q)
	m.AuthenticatedData = ad && m.Rcode == dns.RcodeSuccess
	if udp {
		size := dns.MinMsgSize
		if opt := req.IsEdns0(); opt != nil {
			size = int(opt.UDPSize())
			m.SetEdns0(opt.UDPSize(), false)
		}
		m.Truncate(size)
	}
	w.WriteMsg(m)
}

// answer fills in the reply: records of the type asked, CNAMEs followed
// within the zone (RFC 1034 §4.3.2), NXDOMAIN vs NODATA, wildcards.
func (s *Server) answer(m *dns.Msg, q dns.Question) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	name := key(q.Name)
	for hop := 0; hop < 8; hop++ {
		rrs, exists := s.lookup(name)
		if !exists {
			m.Rcode = dns.RcodeNameError
			s.addSOA(m, name)
			return
		}
		var cname *dns.CNAME
		found := false
		for _, rr := range rrs {
			if rr.Header().Rrtype == q.Qtype || q.Qtype == dns.TypeANY {
				m.Answer = append(m.Answer, withName(rr, name))
				found = true
			} else if c, ok := rr.(*dns.CNAME); ok {
				cname = c
			}
		}
		if found || cname == nil {
			if !found {
				s.addSOA(m, name)
			}
			return
		}
		m.Answer = append(m.Answer, withName(cname, name))
		name = key(cname.Target)
	}
}

// lookup returns the records at name, or at the wildcard covering it; the
// bool says whether the name exists at all (empty non-terminals do).
func (s *Server) lookup(name string) ([]dns.RR, bool) {
	if rrs, ok := s.rrs[name]; ok {
		return rrs, true
	}
	if s.names[name] {
		return nil, true
	}
	for owner := range s.names {
		if strings.HasSuffix(owner, "."+name) {
			return nil, true // empty non-terminal
		}
	}
	for p := name; p != "."; {
		i := strings.IndexByte(p, '.')
		p = p[i+1:]
		if p == "" {
			break
		}
		if rrs, ok := s.rrs["*."+p]; ok {
			return rrs, true
		}
		if s.names[p] {
			break // closest encloser exists without a wildcard
		}
	}
	return nil, false
}

func withName(rr dns.RR, name string) dns.RR {
	if strings.HasPrefix(rr.Header().Name, "*.") {
		rr = dns.Copy(rr)
		rr.Header().Name = name
	}
	return rr
}

// addSOA puts the enclosing zone's SOA in the authority section of a
// negative answer, as resolvers expect for negative caching.
func (s *Server) addSOA(m *dns.Msg, name string) {
	for p := name; p != ""; {
		for _, rr := range s.rrs[p] {
			if rr.Header().Rrtype == dns.TypeSOA {
				m.Ns = append(m.Ns, rr)
				return
			}
		}
		i := strings.IndexByte(p, '.')
		if i < 0 || i == len(p)-1 {
			return
		}
		p = p[i+1:]
	}
}
