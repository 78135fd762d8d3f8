package smtptest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mailcred/mailcred/scoring/smtpx"
)

// Options configure a server. The zero value is a server for "mx.test"
// with STARTTLS, no AUTH, accepting everything.
type Options struct {
	Domain      string       // name in the greeting; default "mx.test"
	CertNames   []string     // names in the certificate; default Domain, "localhost", "127.0.0.1"
	Certificate *Certificate // use this instead of generating one (a demo world shares one CA)
	DisableTLS  bool         // do not offer STARTTLS
	ImplicitTLS bool         // TLS from the first byte (RFC 8314), instead of STARTTLS

	Users             map[string]string // AUTH PLAIN/LOGIN credentials; nil: no AUTH
	AuthMechanisms    []string          // announced mechanisms; default PLAIN, LOGIN
	RequireAuth       bool              // MAIL before AUTH gets 530 5.7.0 (RFC 4954 §6)
	AllowInsecureAuth bool              // offer AUTH before TLS

	Policy          Policy
	MaxMessageBytes int64         // SIZE; default 10 MiB
	ReadTimeout     time.Duration // per command; default 30s
	Log             io.Writer     // go-smtp's error log; default discarded
}

// Message is an accepted message with its envelope.
type Message struct {
	Helo       string
	From       string
	To         []string
	Data       []byte // as received, dot-unstuffed
	TLS        bool
	User       string // the authenticated user, if any
	RemoteAddr string // the client's address: what its LocalAddr should be
}

// Server is a running go-smtp server on 127.0.0.1.
type Server struct {
	opts     Options
	cert     *Certificate
	srv      *smtp.Server
	track    *tracker
	served   chan struct{}
	closing  sync.Once
	closeErr error

	mu      sync.Mutex
	msgs    []Message
	changed chan struct{} // closed and replaced whenever a message arrives
}

// Start starts a server on 127.0.0.1 with a random port.
func Start(o Options) (*Server, error) {
	if o.Domain == "" {
		o.Domain = "mx.test"
	}
	if len(o.CertNames) == 0 {
		o.CertNames = []string{o.Domain, "localhost", "127.0.0.1"}
	}
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = 10 << 20
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = 30 * time.Second
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	s := &Server{opts: o, served: make(chan struct{}), changed: make(chan struct{})}
	if !o.DisableTLS || o.ImplicitTLS {
		s.cert = o.Certificate
		if s.cert == nil {
			var err error
			if s.cert, err = NewCertificate(o.CertNames...); err != nil {
				return nil, err
			}
		}
	}

	srv := smtp.NewServer(&backend{s: s})
	srv.Domain = o.Domain
	srv.MaxMessageBytes = o.MaxMessageBytes
	srv.MaxRecipients = 100
	srv.ReadTimeout = o.ReadTimeout
	srv.WriteTimeout = 10 * time.Second
	srv.AllowInsecureAuth = o.AllowInsecureAuth
	srv.EnableSMTPUTF8 = true
	srv.ErrorLog = log.New(o.Log, "smtptest: ", 0)
	var tlsConfig *tls.Config
	if s.cert != nil {
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{s.cert.TLS}}
	}
	if !o.DisableTLS && !o.ImplicitTLS {
		srv.TLSConfig = tlsConfig
	}
	s.srv = srv

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("smtptest: listen: %w", err)
	}
	s.track = newTracker(ln)
	var l net.Listener = s.track
	if o.ImplicitTLS {
		l = tls.NewListener(l, tlsConfig)
	}
	l = &greeter{Listener: l, refuse: s.refuseGreeting}
	go func() {
		defer close(s.served)
		srv.Serve(l)
	}()
	return s, nil
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.track.Addr().String() }

// Certificate is the server's certificate and CA; nil without TLS.
func (s *Server) Certificate() *Certificate { return s.cert }

// CertPool holds the CA a client must trust to verify the server; nil
// without TLS.
func (s *Server) CertPool() *x509.CertPool {
	if s.cert == nil {
		return nil
	}
	return s.cert.Pool
}

// Messages returns the messages accepted so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// WaitMessages waits until n messages were accepted, or ctx ends.
func (s *Server) WaitMessages(ctx context.Context, n int) ([]Message, error) {
	for {
		s.mu.Lock()
		msgs, changed := append([]Message(nil), s.msgs...), s.changed
		s.mu.Unlock()
		if len(msgs) >= n {
			return msgs, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return msgs, fmt.Errorf("smtptest: %d of %d messages: %w", len(msgs), n, ctx.Err())
		}
	}
}

func (s *Server) add(m Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	close(s.changed)
	s.changed = make(chan struct{})
}

// Close stops the server, ends every session, and returns once all of its
// goroutines are gone.
func (s *Server) Close() error {
	s.closing.Do(func() {
		// Stop accepting first, so go-smtp adds no session while we wait.
		s.track.closeAll()
		<-s.served
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := s.srv.Shutdown(ctx)
		if err != nil && !errors.Is(err, net.ErrClosed) {
			s.closeErr = fmt.Errorf("smtptest: close: %w", err)
		}
	})
	return s.closeErr
}

// policy asks the configured Policy.
func (s *Server) policy(c Command) *Reply {
	if s.opts.Policy == nil {
		return nil
	}
	return s.opts.Policy(c)
}

func (s *Server) refuseGreeting(c net.Conn) *Reply {
	return s.policy(Command{Stage: smtpx.Connect, RemoteAddr: c.RemoteAddr().String(), TLS: s.opts.ImplicitTLS})
}
