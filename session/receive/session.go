package receive

import (
	"crypto/tls"
	"io"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/receiver"
)

// backend makes a session for each client: go-smtp calls NewSession at
// EHLO/HELO, and again after STARTTLS (RFC 3207 §4.2: the client starts
// over).
type backend struct{ s *Server }

func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	if hasControl(c.Hostname()) {
		// go-smtp would echo the name in "250 Hello NAME".
		return nil, errControlEHLO
	}
	if lc, ok := c.Conn().(*limitedConn); ok {
		lc.hello()
	}
	sess := &session{s: b.s, conn: c}
	sess.hello = b.s.startHello(receiver.Connection{IP: peerAddrPort(c).Addr(), HELO: c.Hostname(), TLS: tlsSummary(c)})
	return sess, nil
}

var (
	errControlEHLO = &smtp.SMTPError{Code: 501, EnhancedCode: smtp.EnhancedCode{5, 5, 2},
		Message: "EHLO argument holds control characters: refused"}
	errControlAddress = &smtp.SMTPError{Code: 501, EnhancedCode: smtp.EnhancedCode{5, 1, 7},
		Message: "address holds control characters: refused"}
)

// hasControl reports whether s holds a C0 or C1 control character or
// DEL: nothing a host name or a mail address may carry (RFC 5321 §4.1.2,
// RFC 6531 §3.3), and what a terminal would act on if echoed.
func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) {
			return true
		}
	}
	return false
}

// session is one SMTP transaction at a time. It offers no AUTH, so
// nothing a client says can make it relay.
type session struct {
	s     *Server
	conn  *smtp.Conn
	from  string
	rcpts []string
	hello *early // the connection's DNS work started at EHLO
	early *early // the transaction's DNS work started at MAIL FROM
}

var _ smtp.Session = (*session)(nil)

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if hasControl(from) {
		return errControlAddress
	}
	s.early.stop()
	s.from, s.rcpts = from, nil
	s.early = s.s.startEarly(s.transaction().connection(), s.hello)
	return nil
}

// Rcpt accepts a recipient at a configured domain (any, when none is);
// any other gets 550 5.7.1 (RFC 3463 §3.8): a server that took mail for
// domains it does not serve would be a relay (RFC 5321 §3.6.2, §7.1).
// (The bare "<Postmaster>" of RFC 5321 §4.1.1.3 never gets here: go-smtp
// answers it 501 itself.)
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if hasControl(to) {
		return errControlAddress
	}
	if !s.s.accepts(to) {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1},
			Message: "relaying denied: this server takes mail for " + strings.Join(s.s.opts.Domains, ", ") + " only, and never relays"}
	}
	s.rcpts = append(s.rcpts, to)
	return nil
}

// Data reads the message (go-smtp stops it at MaxMessageBytes with 552
// 5.3.4: RFC 1870's SIZE limit, RFC 3463 §3.4), scores it, hands the
// report over and puts the score in the 250 reply.
func (s *session) Data(r io.Reader) error {
	msg, err := readCapped(s.paced(r))
	if err != nil {
		return err
	}
	tr := s.transaction()
	rep, err := s.s.score(tr, msg, s.early)
	if err != nil {
		if s.s.ctx.Err() != nil {
			return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "shutting down, message not scored"}
		}
		s.s.log.Printf("scoring a message from %s: %v", tr.peer, err)
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "cannot score the message now, try again later"}
	}
	s.s.opts.OnReport(rep)
	// go-smtp sends any *SMTPError Data returns as the reply, a 250 too:
	// the only way to choose the text of a success (RFC 5321 §4.2: the
	// text is free).
	return &smtp.SMTPError{Code: 250, EnhancedCode: smtp.EnhancedCode{2, 0, 0}, Message: rep.ReplyText()}
}

// Reset is also what go-smtp calls on a repeated EHLO, just before it
// echoes the new name: one with control characters ends the session
// instead (the reply then never goes out).
func (s *session) Reset() {
	s.early.stop()
	s.from, s.rcpts, s.early = "", nil, nil
	if hasControl(s.conn.Hostname()) {
		s.conn.Conn().SetWriteDeadline(time.Now().Add(time.Second))
		s.conn.Conn().Write([]byte("421 4.7.0 EHLO argument holds control characters: closing\r\n"))
		s.conn.Conn().Close()
	}
}

// paced makes the DATA transfer keep up a minimum rate: the read deadline
// starts a minute out and moves forward by one second for every
// MinDataRate bytes received, so a large message on a slow link is fine
// and a byte a second is cut off.
func (s *session) paced(r io.Reader) io.Reader {
	return &pacedReader{r: r, conn: s.conn.Conn(), start: time.Now(), rate: s.s.opts.MinDataRate}
}

type pacedReader struct {
	r     io.Reader
	conn  net.Conn
	start time.Time
	rate  int64
	n     int64
}

func (p *pacedReader) Read(b []byte) (int, error) {
	p.conn.SetReadDeadline(p.start.Add(time.Minute + time.Duration(p.n/p.rate)*time.Second))
	n, err := p.r.Read(b)
	p.n += int64(n)
	return n, err
}

func (s *session) Logout() error {
	s.early.stop()
	s.hello.stop()
	s.early, s.hello = nil, nil
	return nil
}

// transaction is what the session knows now.
func (s *session) transaction() transaction {
	return transaction{
		received: time.Now(),
		peer:     peerAddrPort(s.conn),
		helo:     s.conn.Hostname(),
		mailFrom: s.from,
		rcpts:    append([]string(nil), s.rcpts...),
		tls:      tlsSummary(s.conn),
	}
}

// accepts reports whether mail for the address is taken.
func (s *Server) accepts(addr string) bool {
	if len(s.opts.Domains) == 0 {
		return true
	}
	d := scoring.DomainOf(addr)
	for _, want := range s.opts.Domains {
		if d == want {
			return true
		}
	}
	return false
}

func peerAddrPort(c *smtp.Conn) netip.AddrPort {
	ap, err := netip.ParseAddrPort(c.Conn().RemoteAddr().String())
	if err != nil {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(ap.Addr().Unmap().WithZone(""), ap.Port())
}

// tlsSummary is "TLS 1.3 TLS_AES_128_GCM_SHA256", or "" in plaintext.
func tlsSummary(c *smtp.Conn) string {
	cs, ok := c.TLSConnectionState()
	if !ok {
		return ""
	}
	return tls.VersionName(cs.Version) + " " + tls.CipherSuiteName(cs.CipherSuite)
}
