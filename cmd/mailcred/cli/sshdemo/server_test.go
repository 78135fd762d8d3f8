package sshdemo

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/time/rate"
)

// sizeModel shows the window size and TERM it was given; q quits.
type sizeModel struct {
	w, h int
	term string
}

func (m sizeModel) Init() tea.Cmd { return nil }
func (m sizeModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.w, m.h = msg.Width, msg.Height
	case tea.KeyPressMsg:
		if msg.String() == "q" {
			return m, tea.Quit
		}
	}
	return m, nil
}
func (m sizeModel) View() tea.View {
	return tea.NewView(fmt.Sprintf("size %dx%d term %s", m.w, m.h, m.term))
}

// testScreen counts worlds made and closed.
type testScreen struct {
	mu             sync.Mutex
	opened, closed int
}

func (s *testScreen) screen(_ context.Context, env []string) (tea.Model, func(), error) {
	s.mu.Lock()
	s.opened++
	s.mu.Unlock()
	term := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "TERM="); ok {
			term = v
		}
	}
	return sizeModel{term: term}, func() {
		s.mu.Lock()
		s.closed++
		s.mu.Unlock()
	}, nil
}

func (s *testScreen) counts() (int, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opened, s.closed
}

// start serves on a loopback port until the test ends.
func start(t testing.TB, o Options) (*Server, string) {
	t.Helper()
	if o.HostKeyPath == "" {
		o.HostKeyPath = filepath.Join(t.TempDir(), "host_ed25519")
	}
	srv, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("server did not stop within 10s")
		}
	})
	return srv, ln.Addr().String()
}

func dial(t testing.TB, addr string) *gossh.Client {
	t.Helper()
	c, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{
		User: "demo", HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// lockedBuffer collects a session's output from the client's goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// terminal is a client session with a PTY of the given size.
type terminal struct {
	sess *gossh.Session
	in   io.WriteCloser
	out  *lockedBuffer
	done chan error
}

func openTerminal(t testing.TB, c *gossh.Client, term string, w, h int) *terminal {
	t.Helper()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.RequestPty(term, h, w, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	tm := &terminal{sess: sess, out: &lockedBuffer{}, done: make(chan error, 1)}
	sess.Stdout, sess.Stderr = tm.out, tm.out
	if tm.in, err = sess.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	go func() { tm.done <- sess.Wait() }()
	return tm
}

// waitFor waits until the screen (escape sequences stripped) shows want.
func (tm *terminal) waitFor(t testing.TB, want string, within time.Duration) {
	t.Helper()
	deadline := time.After(within)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if strings.Contains(ansi.Strip(tm.out.String()), want) {
			return
		}
		select {
		case <-deadline:
			t.Fatalf("screen never showed %q; got %q", want, ansi.Strip(tm.out.String()))
		case <-tick.C:
		}
	}
}

func (tm *terminal) ended(t testing.TB, within time.Duration) error {
	t.Helper()
	select {
	case err := <-tm.done:
		return err
	case <-time.After(within):
		t.Fatalf("session still open after %s", within)
		return nil
	}
}

func TestSessionGetsItsSizeAndTermAndItsWorldIsClosed(t *testing.T) {
	scr := &testScreen{}
	_, addr := start(t, Options{Screen: scr.screen})
	tm := openTerminal(t, dial(t, addr), "xterm-256color", 80, 24)
	tm.waitFor(t, "size 80x24 term xterm-256color", 10*time.Second)
	if _, err := tm.in.Write([]byte("q")); err != nil {
		t.Fatal(err)
	}
	if err := tm.ended(t, 10*time.Second); err != nil {
		t.Errorf("session ended with %v, want a clean exit", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if o, c := scr.counts(); o == 1 && c == 1 {
			break
		}
		if time.Now().After(deadline) {
			o, c := scr.counts()
			t.Fatalf("worlds opened %d, closed %d; want 1 and 1", o, c)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestWithoutAPTYTheClientIsToldWhatToDo(t *testing.T) {
	scr := &testScreen{}
	_, addr := start(t, Options{Screen: scr.screen})
	sess, err := dial(t, addr).NewSession()
	if err != nil {
		t.Fatal(err)
	}
	out, err := sess.CombinedOutput("anything")
	var exit *gossh.ExitError
	if !strings.Contains(string(out), "needs a terminal: connect with ssh -t") || !asExit(err, &exit) || exit.ExitStatus() != 1 {
		t.Fatalf("no-PTY session: %q, %v", out, err)
	}
	if o, _ := scr.counts(); o != 0 {
		t.Errorf("a world was started for a session without a terminal")
	}
}

func asExit(err error, target **gossh.ExitError) bool {
	e, ok := err.(*gossh.ExitError)
	if ok {
		*target = e
	}
	return ok
}

func TestSessionCapTurnsTheNextOneAway(t *testing.T) {
	scr := &testScreen{}
	srv, addr := start(t, Options{Screen: scr.screen, MaxSessions: 2})
	c := dial(t, addr)
	for i := 0; i < 2; i++ {
		openTerminal(t, c, "xterm", 80, 24).waitFor(t, "size 80x24", 10*time.Second)
	}
	if srv.Active() != 2 {
		t.Fatalf("%d active, want 2", srv.Active())
	}
	third := openTerminal(t, c, "xterm", 80, 24)
	third.waitFor(t, "mailcred demo is full right now", 10*time.Second)
	if err := third.ended(t, 5*time.Second); err == nil {
		t.Error("the refused session exited 0")
	}
}

func TestRateLimitPerClient(t *testing.T) {
	scr := &testScreen{}
	_, addr := start(t, Options{Screen: scr.screen, Rate: rate.Every(time.Hour), Burst: 1})
	c := dial(t, addr)
	openTerminal(t, c, "xterm", 80, 24).waitFor(t, "size 80x24", 10*time.Second)
	second := openTerminal(t, c, "xterm", 80, 24)
	second.waitFor(t, "rate limit exceeded", 10*time.Second)
	second.ended(t, 5*time.Second)
}

func TestIdleAndMaxTimeoutsCloseSessions(t *testing.T) {
	for _, o := range []Options{{IdleTimeout: 300 * time.Millisecond}, {MaxTimeout: 500 * time.Millisecond}} {
		scr := &testScreen{}
		o.Screen = scr.screen
		_, addr := start(t, o)
		tm := openTerminal(t, dial(t, addr), "xterm", 80, 24)
		tm.waitFor(t, "size 80x24", 10*time.Second)
		tm.ended(t, 10*time.Second) // closed by the server, not by us
	}
}

func TestHostKeyIsCreatedOnceAndKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "host_ed25519")
	var keys []string
	for i := 0; i < 2; i++ {
		scr := &testScreen{}
		_, addr := start(t, Options{Screen: scr.screen, HostKeyPath: path})
		var got string
		c, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{User: "demo", Timeout: 5 * time.Second,
			HostKeyCallback: func(_ string, _ net.Addr, k gossh.PublicKey) error { got = gossh.FingerprintSHA256(k); return nil }})
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
		keys = append(keys, got)
	}
	if keys[0] == "" || keys[0] != keys[1] {
		t.Errorf("host key changed between runs: %v", keys)
	}
}
