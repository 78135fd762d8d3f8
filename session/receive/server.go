package receive

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mailcred/mailcred/scoring/safetext"
)

// shutdownGrace bounds how long Close waits for sessions after ending
// them; they only have to notice their closed connection.
const shutdownGrace = 10 * time.Second

// Server is a running receive server. Close it, or cancel the context it
// was started with.
type Server struct {
	opts       Options
	srv        *smtp.Server
	ln         *limitListener
	leaf       *x509.Certificate
	selfSigned bool
	log        *lineLog

	// ctx is cancelled by Close: scoring in progress stops with it.
	ctx    context.Context
	cancel context.CancelFunc

	served   chan struct{} // closed when go-smtp's Serve returns
	stopping chan struct{} // closed when Close starts: ends the context watch
	done     chan struct{} // closed when Close has finished
	closing  sync.Once
	closeErr error
}

// Listen starts a server on addr ("host:port"; port 0 picks one). It
// serves until ctx is cancelled or Close is called.
func Listen(ctx context.Context, addr string, o Options) (*Server, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Server{opts: o, log: &lineLog{w: o.ErrorLog},
		served: make(chan struct{}), stopping: make(chan struct{}), done: make(chan struct{})}
	var tlsConfig *tls.Config
	if !o.DisableTLS {
		cert := o.Certificate
		if cert == nil {
			if cert, err = selfSigned(o.Hostname); err != nil {
				return nil, err
			}
			s.selfSigned = true
		}
		if s.leaf, err = leafOf(cert); err != nil {
			return nil, err
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{*cert}}
	}

	srv := smtp.NewServer(&backend{s: s})
	srv.Domain = o.Hostname
	srv.TLSConfig = tlsConfig
	srv.MaxMessageBytes = o.MaxMessageBytes
	srv.MaxRecipients = o.MaxRecipients
	srv.ReadTimeout = o.ReadTimeout
	srv.WriteTimeout = o.WriteTimeout
	srv.EnableSMTPUTF8 = true // RFC 6531: the checks read UTF-8 headers and addresses
	srv.ErrorLog = s.log
	s.srv = srv

	if len(o.Domains) == 0 && !loopbackListen(addr) {
		return nil, fmt.Errorf("receive: listening on %s (not loopback) needs the recipient domains to take mail for (--domain): "+
			"taking any recipient there looks like an open relay to every scanner", addr)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("receive: listen: %w", err)
	}
	s.ln = newLimitListener(l, o)
	s.ctx, s.cancel = context.WithCancel(ctx)
	go func() {
		defer close(s.served)
		srv.Serve(s.ln)
	}()
	go func() {
		select {
		case <-ctx.Done():
			s.Close()
		case <-s.stopping:
		}
	}()
	return s, nil
}

// loopbackListen reports whether a listen address is on loopback only:
// "localhost" or a loopback IP. An empty host is every address.
func loopbackListen(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Hostname is the name in the greeting and the Authentication-Results.
func (s *Server) Hostname() string { return s.opts.Hostname }

// Domains are the recipient domains accepted; empty means any (loopback
// only).
func (s *Server) Domains() []string { return append([]string(nil), s.opts.Domains...) }

// MaxMessageBytes is the largest message accepted.
func (s *Server) MaxMessageBytes() int64 { return s.opts.MaxMessageBytes }

// Certificate is the certificate offered after STARTTLS; nil when TLS is
// disabled.
func (s *Server) Certificate() *x509.Certificate { return s.leaf }

// SelfSigned reports whether the certificate was generated at start
// because none was given.
func (s *Server) SelfSigned() bool { return s.selfSigned }

// Sessions returns the number of sessions open now.
func (s *Server) Sessions() int { return s.ln.sessions() }

// Done is closed once the server has stopped and all its goroutines are
// gone.
func (s *Server) Done() <-chan struct{} { return s.done }

// Close stops accepting, ends every session (scoring in progress is
// abandoned and no report is made for it) and returns once every goroutine
// of the server is gone. It is safe to call more than once.
func (s *Server) Close() error {
	s.closing.Do(func() {
		close(s.stopping)
		s.cancel()
		// Stop accepting first, so go-smtp adds no session while we wait.
		s.ln.closeAll()
		<-s.served
		ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		if err := s.srv.Shutdown(ctx); err != nil && !errors.Is(err, net.ErrClosed) {
			s.closeErr = fmt.Errorf("receive: close: %w", err)
		}
		close(s.done)
	})
	return s.closeErr
}

// lineLog is go-smtp's Logger, writing each entry as one sanitised line:
// its errors quote what clients sent.
type lineLog struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lineLog) Printf(format string, v ...any) { l.line(fmt.Sprintf(format, v...)) }

func (l *lineLog) Println(v ...any) { l.line(strings.TrimSuffix(fmt.Sprintln(v...), "\n")) }

func (l *lineLog) line(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintln(l.w, "receive: "+safetext.Line(strings.TrimRight(s, "\r\n"), 2000))
}
