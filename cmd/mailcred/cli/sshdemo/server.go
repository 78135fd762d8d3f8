// Package sshdemo serves the offline demo world over SSH (charm.land/wish
// with its bubbletea middleware), so a room can try mailcred with nothing
// but an ssh client. Every session gets its own world and its own screen:
// nothing is shared between sessions, and the real workbench — which
// would send from the server's address — is never reachable.
//
// Guards, outermost first: a per-IP rate limit on new sessions, a cap on
// sessions at once, a clear message (and exit 1) without a PTY, idle and
// maximum session timeouts.
package sshdemo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/ssh"
	"charm.land/wish/v2"
	bm "charm.land/wish/v2/bubbletea"
	"charm.land/wish/v2/ratelimiter"
	"golang.org/x/time/rate"
)

// NewScreen builds one session's world and screen. close releases the
// world; it is called once the session ends, whatever the screen did.
type NewScreen func(ctx context.Context, env []string) (m tea.Model, close func(), err error)

// Options configure the server. Zero values take the defaults.
type Options struct {
	Addr        string // host:port to listen on
	HostKeyPath string // created (ed25519) when missing
	// MaxSessions bounds the sessions at once (each runs a world: a few
	// loopback servers); default 20.
	MaxSessions int
	// IdleTimeout closes a session with no input or output for this long
	// (default 10m); MaxTimeout closes any session after this long
	// (default 30m).
	IdleTimeout, MaxTimeout time.Duration
	// Rate and Burst limit new sessions per client IP (default 1 every
	// 2s, bursts of 5).
	Rate  rate.Limit
	Burst int
	// Screen builds a session's screen.
	Screen NewScreen
	// Log receives one line per session event (start, refusal, end).
	Log func(string)
}

func (o *Options) defaults() {
	if o.MaxSessions <= 0 {
		o.MaxSessions = 20
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 10 * time.Minute
	}
	if o.MaxTimeout <= 0 {
		o.MaxTimeout = 30 * time.Minute
	}
	if o.Rate <= 0 {
		o.Rate = rate.Every(2 * time.Second)
	}
	if o.Burst <= 0 {
		o.Burst = 5
	}
	if o.Log == nil {
		o.Log = func(string) {}
	}
}

// Messages a client sees when it is turned away.
const (
	NoPTYMessage = "mailcred demo needs a terminal: connect with ssh -t (and a terminal of at least 80x24).\n"
	BusyMessage  = "mailcred demo is full right now; try again in a minute.\n"
)

// Server is a running demo server.
type Server struct {
	srv    *ssh.Server
	ln     net.Listener
	active atomic.Int64
	opts   Options
	// closers holds each running session's world closer, taken by
	// closeWorld when the screen ends.
	closers sync.Map // ssh.Session -> func()
}

// New prepares a server; Serve or ServeListener runs it.
func New(o Options) (*Server, error) {
	o.defaults()
	if o.Screen == nil {
		return nil, errors.New("sshdemo: no Screen")
	}
	s := &Server{opts: o}
	srv, err := wish.NewServer(
		wish.WithAddress(o.Addr),
		wish.WithHostKeyPath(o.HostKeyPath),
		wish.WithIdleTimeout(o.IdleTimeout),
		wish.WithMaxTimeout(o.MaxTimeout),
		// The last middleware runs first.
		wish.WithMiddleware(
			s.closeWorld,
			bm.MiddlewareWithProgramHandler(s.program),
			s.needPTY,
			s.capSessions,
			ratelimiter.Middleware(ratelimiter.NewRateLimiter(o.Rate, o.Burst, 1024)),
		),
	)
	if err != nil {
		return nil, fmt.Errorf("sshdemo: %w", err)
	}
	s.srv = srv
	return s, nil
}

// Active is the number of sessions running now.
func (s *Server) Active() int { return int(s.active.Load()) }

// capSessions refuses a session beyond MaxSessions.
func (s *Server) capSessions(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		if n := s.active.Add(1); n > int64(s.opts.MaxSessions) {
			s.active.Add(-1)
			s.opts.Log(fmt.Sprintf("refused %s: %d sessions already", sess.RemoteAddr(), s.opts.MaxSessions))
			wish.Fatal(sess, BusyMessage)
			return
		}
		defer s.active.Add(-1)
		start := time.Now()
		s.opts.Log(fmt.Sprintf("session from %s", sess.RemoteAddr()))
		next(sess)
		s.opts.Log(fmt.Sprintf("session from %s ended after %s", sess.RemoteAddr(), time.Since(start).Round(time.Second)))
	}
}

// needPTY explains what to do when the client asked for no terminal
// (ssh host some-command, or ssh -T).
func (s *Server) needPTY(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		if _, _, ok := sess.Pty(); !ok {
			wish.Fatal(sess, NoPTYMessage)
			return
		}
		next(sess)
	}
}

// program builds the session's own world and screen; the world closes
// when the session's context ends (the program has ended by then, or is
// ended by the middleware).
func (s *Server) program(sess ssh.Session) *tea.Program {
	pty, _, _ := sess.Pty()
	env := append(sess.Environ(), "TERM="+pty.Term)
	m, closeWorld, err := s.opts.Screen(sess.Context(), env)
	if err != nil {
		wish.Fatalln(sess, "mailcred demo could not start:", err)
		return nil
	}
	var once sync.Once
	closer := func() { once.Do(closeWorld) }
	s.closers.Store(sess, closer)
	go func() { // a dropped connection may skip the middleware's return path
		<-sess.Context().Done()
		closer()
	}()
	return tea.NewProgram(m, append(bm.MakeOptions(sess), tea.WithContext(sess.Context()))...)
}

// closeWorld runs after the screen's program has ended (the bubbletea
// middleware calls it next) and closes the session's world.
func (s *Server) closeWorld(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		if c, ok := s.closers.LoadAndDelete(sess); ok {
			c.(func())()
		}
		next(sess)
	}
}

// ListenAndServe listens on Options.Addr and serves until ctx ends.
func (s *Server) ListenAndServe(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return err
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln until ctx ends, then closes every session.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	s.ln = ln
	done := make(chan error, 1)
	go func() { done <- s.srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.srv.Shutdown(shutdown); err != nil {
			s.srv.Close()
		}
		<-done
		return nil
	}
}

// Addr is the address it listens on (after Serve has started).
func (s *Server) Addr() net.Addr {
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}
