package cli

import (
	"context"
	"io"
	"net"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	gossh "golang.org/x/crypto/ssh"

	"github.com/mailcred/mailcred/cmd/mailcred/cli/sshdemo"
)

// serveDemo runs the real demo screen over SSH on loopback.
func serveDemo(tb testing.TB, maxSessions int) string {
	tb.Helper()
	g := &globals{theme: "default"}
	f := &demoFlags{scenario: "story", propagation: -1, ramp: -1}
	srv, err := sshdemo.New(sshdemo.Options{HostKeyPath: filepath.Join(tb.TempDir(), "host"), MaxSessions: maxSessions, Burst: 100,
		Screen: demoScreen(g, f)})
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	tb.Cleanup(func() { cancel(); <-done })
	return ln.Addr().String()
}

// demoSession opens an 80x24 xterm-256color session, waits for the
// workbench's first frame on the demo world, presses q and waits for the
// end. It returns the screen text seen.
func demoSession(tb testing.TB, addr string) (string, error) {
	c, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{User: "guest", HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second})
	if err != nil {
		return "", err
	}
	defer c.Close()
	sess, err := c.NewSession()
	if err != nil {
		return "", err
	}
	if err := sess.RequestPty("xterm-256color", 24, 80, gossh.TerminalModes{}); err != nil {
		return "", err
	}
	out := &lockedBuffer{}
	sess.Stdout, sess.Stderr = out, out
	in, err := sess.StdinPipe()
	if err != nil {
		return "", err
	}
	if err := sess.Shell(); err != nil {
		return "", err
	}
	done := make(chan error, 1)
	go func() { done <- sess.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(ansi.Strip(out.String()), "demo: story") {
		if time.Now().After(deadline) {
			return ansi.Strip(out.String()), io.ErrUnexpectedEOF
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := in.Write([]byte("q")); err != nil {
		return "", err
	}
	select {
	case err := <-done:
		return ansi.Strip(out.String()), err
	case <-time.After(30 * time.Second):
		return ansi.Strip(out.String()), io.ErrNoProgress
	}
}

// Ten people at once, each at 80x24: each sees the demo world's
// workbench (never the real one), quits with q, and the session ends
// cleanly.
func TestDemoOverSSHTenConcurrentSessions(t *testing.T) {
	if testing.Short() {
		t.Skip("starts ten demo worlds")
	}
	addr := serveDemo(t, 20)
	var wg sync.WaitGroup
	errs := make([]error, 10)
	screens := make([]string, 10)
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			screens[i], errs[i] = demoSession(t, addr)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("session %d: %v\n%s", i, err, screens[i])
			continue
		}
		for _, want := range []string{"mailcred example.com", "demo: story", "Checks"} {
			if !strings.Contains(screens[i], want) {
				t.Errorf("session %d screen lacks %q:\n%s", i, want, screens[i])
			}
		}
	}
}

// BenchmarkDemoSSHSession measures one demo session over SSH (connect,
// first frame, quit) and the heap it holds while ten run at once.
func BenchmarkDemoSSHSession(b *testing.B) {
	addr := serveDemo(b, 50)
	for b.Loop() {
		if out, err := demoSession(b, addr); err != nil {
			b.Fatalf("%v\n%s", err, out)
		}
	}
	// Heap with ten sessions open at once, over the idle server's.
	runtime.GC()
	var before, during runtime.MemStats
	runtime.ReadMemStats(&before)
	type held struct {
		c    *gossh.Client
		sess *gossh.Session
	}
	var open []held
	for range 10 {
		c, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{User: "guest", HostKeyCallback: gossh.InsecureIgnoreHostKey()})
		if err != nil {
			b.Fatal(err)
		}
		sess, _ := c.NewSession()
		sess.RequestPty("xterm-256color", 24, 80, gossh.TerminalModes{})
		out := &lockedBuffer{}
		sess.Stdout = out
		sess.Shell()
		for !strings.Contains(ansi.Strip(out.String()), "demo: story") {
			time.Sleep(20 * time.Millisecond)
		}
		open = append(open, held{c, sess})
	}
	runtime.GC()
	runtime.ReadMemStats(&during)
	b.ReportMetric(float64(int64(during.HeapAlloc)-int64(before.HeapAlloc))/10/(1<<20), "heap-MiB/session") // server and in-process client together
	for _, h := range open {
		h.sess.Close()
		h.c.Close()
	}
}

// The session's TERM decides the colours: 256-colour escapes for
// xterm-256color, none at all for a dumb terminal.
func TestDemoOverSSHColoursFollowTERM(t *testing.T) {
	addr := serveDemo(t, 5)
	raw := func(term string) string {
		c, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{User: "guest", HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		sess, err := c.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		defer sess.Close()
		if err := sess.RequestPty(term, 24, 80, gossh.TerminalModes{}); err != nil {
			t.Fatal(err)
		}
		out := &lockedBuffer{}
		sess.Stdout = out
		if err := sess.Shell(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(60 * time.Second)
		for !strings.Contains(ansi.Strip(out.String()), "spf.record") {
			if time.Now().After(deadline) {
				t.Fatalf("%s: no first frame: %q", term, ansi.Strip(out.String()))
			}
			time.Sleep(20 * time.Millisecond)
		}
		return out.String()
	}
	sgrColour := regexp.MustCompile(`\x1b\[[0-9;]*(38|48);[25];`)
	if s := raw("xterm-256color"); !sgrColour.MatchString(s) {
		t.Errorf("xterm-256color: no colour escapes in %q", s[:min(len(s), 400)])
	}
	if s := raw("dumb"); sgrColour.MatchString(s) {
		t.Errorf("dumb: colour escapes sent: %q", sgrColour.FindString(s))
	}
}
