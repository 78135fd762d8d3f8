package inputfile

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestOnlyRegularFilesAreRead(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	plain := filepath.Join(dir, "key.pem")
	os.WriteFile(plain, []byte("data"), 0o600)
	for path, want := range map[string]string{
		fifo:        "a FIFO (named pipe), not a regular file",
		dir:         "a directory, not a regular file",
		"/dev/zero": "a character device, not a regular file",
		"/dev/null": "a character device, not a regular file",
	} {
		// A hang here would be the bug: the FIFO has no writer.
		_, err := ReadFile(path, 1<<20)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ReadFile(%s) = %v, want %q", path, err, want)
		}
	}
	if b, err := ReadFile(plain, 10); err != nil || string(b) != "data" {
		t.Fatalf("regular file: %q %v", b, err)
	}
	if _, err := ReadFile(plain, 2); err == nil || !strings.Contains(err.Error(), "larger than 2 bytes") {
		t.Fatalf("limit: %v", err)
	}
}
