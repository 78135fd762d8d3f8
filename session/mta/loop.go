package mta

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mailcred/mailcred/scoring/dkim"
	"github.com/mailcred/mailcred/scoring/dnsx"
	"github.com/mailcred/mailcred/scoring/headers"
	"github.com/mailcred/mailcred/scoring/safetext"
)

// The closed loop. A test message sent through the MTA to a real mailbox
// shows only what the receiver chooses to report, days later. Instead the
// MTA is pointed, for one test domain, at a capture server mailcred runs
// on loopback (a one-time router or transport line the user adds and can
// remove): the MTA's own transport — its DKIM signing, its HELO, the
// headers it adds — runs exactly as for real mail, and the capture sees
// the bytes it put on the wire. What loopback cannot show is which source
// address the MTA picks on the internet; that comes from the MTA's own
// transcript of a real delivery (the remote address family it connected
// to, and its outgoing interface when it logs one).

// CaptureDomain is the recipient domain routed to the capture: under
// .invalid (RFC 2606), so no real mail can ever go there.
const CaptureDomain = "capture.mailcred.invalid"

// Captured is one message as the capture received it.
type Captured struct {
	HELO    string
	From    string
	To      []string
	Peer    netip.AddrPort // the MTA's source address and port
	Message []byte
}

// Capture is an SMTP server on loopback that accepts one kind of message —
// to CaptureDomain — and keeps it. It never relays; every session and
// message is bounded.
type Capture struct {
	srv *smtp.Server
	ln  net.Listener

	mu   sync.Mutex
	msgs []Captured
	got  chan struct{}
}

// maxCaptured bounds what a Capture keeps.
const (
	maxCaptured     = 16
	maxCaptureBytes = 10 << 20
)

// StartCapture listens on addr ("127.0.0.1:2525"; port 0 for any) and
// serves until Close. addr must be a loopback address.
func StartCapture(addr string) (*Capture, error) {
	host, _, err := net.SplitHostPort(addr)
	if ip, perr := netip.ParseAddr(host); err != nil || perr != nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("capture: %q is not a loopback address and port", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	c := &Capture{ln: ln, got: make(chan struct{}, maxCaptured)}
	s := smtp.NewServer(&captureBackend{c: c})
	s.Domain = "capture.mailcred"
	s.MaxMessageBytes = maxCaptureBytes
	s.MaxRecipients = 10
	s.ReadTimeout, s.WriteTimeout = time.Minute, time.Minute
	s.ErrorLog = discardLog{}
	c.srv = s
	go s.Serve(ln)
	return c, nil
}

// Addr is the capture's address, "127.0.0.1:2525".
func (c *Capture) Addr() netip.AddrPort {
	ap, _ := netip.ParseAddrPort(c.ln.Addr().String())
	return ap
}

// Close stops the server and its sessions.
func (c *Capture) Close() error { return c.srv.Close() }

// Wait returns the next message captured, or ctx's error.
func (c *Capture) Wait(ctx context.Context) (Captured, error) {
	select {
	case <-c.got:
	case <-ctx.Done():
		return Captured{}, fmt.Errorf("capture: no message arrived: %w", ctx.Err())
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.msgs[0]
	c.msgs = c.msgs[1:]
	return m, nil
}

type discardLog struct{}

func (discardLog) Printf(string, ...any) {}
func (discardLog) Println(...any)        {}

type captureBackend struct{ c *Capture }

func (b *captureBackend) NewSession(conn *smtp.Conn) (smtp.Session, error) {
	peer, _ := netip.ParseAddrPort(conn.Conn().RemoteAddr().String())
	return &captureSession{c: b.c, m: Captured{HELO: safetext.Line(conn.Hostname(), 255), Peer: peer}}, nil
}

type captureSession struct {
	c *Capture
	m Captured
}

func (s *captureSession) Mail(from string, _ *smtp.MailOptions) error {
	s.m.From = safetext.Line(from, 320)
	return nil
}

func (s *captureSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if !strings.HasSuffix(strings.ToLower(to), "@"+CaptureDomain) {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "the mailcred capture takes mail for " + CaptureDomain + " only"}
	}
	s.m.To = append(s.m.To, safetext.Line(to, 320))
	return nil
}

func (s *captureSession) Data(r io.Reader) error {
	b, err := io.ReadAll(io.LimitReader(r, maxCaptureBytes+1))
	if err != nil {
		return err
	}
	if len(b) > maxCaptureBytes {
		return &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 3, 4}, Message: "too big for the capture"}
	}
	m := s.m
	m.Message = b
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	if len(s.c.msgs) >= maxCaptured {
		return &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 3, 1}, Message: "the capture is full"}
	}
	s.c.msgs = append(s.c.msgs, m)
	s.c.got <- struct{}{}
	return nil
}

func (s *captureSession) Reset()        { s.m.From, s.m.To = "", nil }
func (s *captureSession) Logout() error { return nil }

// EximCaptureRouter is the exim router that sends mail for CaptureDomain
// to the capture through the remote_smtp transport — the one real mail
// leaves by, so its DKIM options are used. In Debian's split
// configuration it goes in /etc/exim4/conf.d/router/150_mailcred_capture
// (before dnslookup); in one file, first in the routers section.
func EximCaptureRouter(capture netip.AddrPort, transport string) string {
	if transport == "" {
		transport = "remote_smtp"
	}
	return fmt.Sprintf(`mailcred_capture:
  driver = manualroute
  domains = %s
  route_list = * %s::%d byname
  self = send
  transport = %s
  no_more
`, CaptureDomain, capture.Addr(), capture.Port(), transport)
}

// EximLoopbackTransport are the smtp transport options exim needs to
// deliver to a server on its own host (allow_localhost); for a copy of
// remote_smtp used only by the capture router.
const EximLoopbackTransport = "  allow_localhost\n"

// PostfixCaptureTransport is the transport_maps line that sends mail for
// CaptureDomain to the capture through postfix's smtp client (and so its
// milters, OpenDKIM among them): in /etc/postfix/transport, then postmap.
func PostfixCaptureTransport(capture netip.AddrPort) string {
	return fmt.Sprintf("%s  smtp:[%s]:%d\n", CaptureDomain, capture.Addr(), capture.Port())
}

// Observed is what the closed loop verified about the MTA's message.
type Observed struct {
	HELO   string
	Source netip.AddrPort
	// Family is "IPv4" or "IPv6": the source address's.
	Family string
	// Signatures are the DKIM signatures the message arrived with,
	// verified against DNS (d=, s=, a= and the result of each).
	Signatures []dkim.SignatureResult
	// SignErr says why the signatures could not be checked at all.
	SignErr string
	// Added are the header fields the MTA added, by name, in order.
	Added []string
}

// Observe compares the message as submitted with the copy the capture
// received and verifies the signatures through r.
func Observe(ctx context.Context, sent []byte, c Captured, r *dnsx.Resolver) Observed {
	o := Observed{HELO: c.HELO, Source: c.Peer, Family: "IPv4"}
	if c.Peer.Addr().Unmap().Is6() {
		o.Family = "IPv6"
	}
	o.Added = addedFields(sent, c.Message)
	res, err := dkim.VerifyPublished(ctx, c.Message, r)
	switch {
	case err != nil:
		o.SignErr = err.Error()
	case len(res) == 0:
		o.SignErr = "the message arrived without a DKIM-Signature: the MTA did not sign it"
	}
	o.Signatures = res
	return o
}

// Signed reports whether some signature verified.
func (o Observed) Signed() bool { return dkim.Verified(o.Signatures) == nil }

// addedFields lists the names of fields in got that sent lacks, counting
// repeats (a second Received is added too).
func addedFields(sent, got []byte) []string {
	count := map[string]int{}
	for _, f := range headers.Parse(sent).Fields {
		count[strings.ToLower(f.Name)]++
	}
	var added []string
	for _, f := range headers.Parse(got).Fields {
		k := strings.ToLower(f.Name)
		if count[k] > 0 {
			count[k]--
			continue
		}
		if len(added) < 50 {
			added = append(added, safetext.Line(f.Name, 80))
		}
	}
	return added
}
