package cli

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Paths a user gives must be regular files: a FIFO (which would block the
// open until a writer comes), a directory or a device is a clear usage
// error at once.
func TestInputPathsMustBeRegularFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	dns := world(t, false)
	for _, bad := range []struct{ path, kind string }{{fifo, "a FIFO"}, {dir, "a directory"}, {"/dev/zero", "a character device"}} {
		for name, args := range map[string][]string{
			"check --dkim-key": checkArgs(dns, "--dkim-key", bad.path),
			"send --dkim-key": {"send", "--resolver", dns, "--via", "127.0.0.1:1", "--from", "a@example.com", "--to", "b@example.net",
				"--dkim-key", bad.path, "--selector", "s1", "--yes"},
			"send --auth-password-file": {"send", "--resolver", dns, "--via", "127.0.0.1:1", "--from", "a@example.com", "--to", "b@example.net",
				"--auth-user", "a", "--auth-password-file", bad.path, "--yes"},
			"send --body-file": {"send", "--resolver", dns, "--via", "127.0.0.1:1", "--from", "a@example.com", "--to", "b@example.net",
				"--body-file", bad.path, "--yes"},
			"send --tls-ca": {"send", "--resolver", dns, "--via", "127.0.0.1:1", "--from", "a@example.com", "--to", "b@example.net",
				"--tls-ca", bad.path, "--yes"},
			"score":              {"score", bad.path, "--resolver", dns, "--ip", "192.0.2.10"},
			"receive --tls-cert": {"receive", "--listen", "127.0.0.1:0", "--resolver", dns, "--tls-cert", bad.path, "--tls-key", bad.path},
		} {
			if name == "score" && bad.kind == "a directory" {
				continue // a directory of messages is a batch
			}
			t.Run(name+" "+bad.kind, func(t *testing.T) {
				done := make(chan struct{})
				var code int
				var stderr string
				go func() {
					defer close(done)
					code, _, stderr = run(t, nil, args...)
				}()
				select {
				case <-done:
				case <-time.After(10 * time.Second):
					t.Fatal("hung on a path that is not a regular file")
				}
				if code != ExitError || !strings.Contains(stderr, bad.kind) || !strings.Contains(stderr, "not a regular file") {
					t.Fatalf("exit %d, stderr %q: want 2 naming %s", code, stderr, bad.kind)
				}
			})
		}
	}
}
