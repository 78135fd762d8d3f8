package mailbox

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func split(t *testing.T, mbox string, limit int) []Message {
	t.Helper()
	var out []Message
	if err := SplitMBox(strings.NewReader(mbox), "box", limit, func(m Message) bool {
		out = append(out, m)
		return true
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSplitMBox(t *testing.T) {
	mbox := "From a@example.com Sat Jan  1 00:00:00 2000\n" +
		"Subject: one\n\nbody one\n>From the start\n>>From quoted twice\nFrom inside a paragraph is not a separator\n\n" +
		"From b@example.com Sat Jan  1 00:00:01 2000\r\n" +
		"Subject: two\r\n\r\nbody two\r\n"
	got := split(t, mbox, 1<<20)
	if len(got) != 2 {
		t.Fatalf("%d messages, want 2: %q", len(got), got)
	}
	want1 := "Subject: one\n\nbody one\nFrom the start\n>From quoted twice\nFrom inside a paragraph is not a separator\n"
	if got[0].Name != "box#1" || string(got[0].Raw) != want1 {
		t.Errorf("first: %s %q, want box#1 %q", got[0].Name, got[0].Raw, want1)
	}
	if got[1].Name != "box#2" || string(got[1].Raw) != "Subject: two\r\n\r\nbody two\r\n" {
		t.Errorf("second: %s %q", got[1].Name, got[1].Raw)
	}
}

func TestSplitMBoxBounds(t *testing.T) {
	big := "From a Sat Jan  1 00:00:00 2000\nSubject: big\n\n" + strings.Repeat("x", 200) + "\n\n" +
		"From b Sat Jan  1 00:00:00 2000\nSubject: small\n\nok\n"
	got := split(t, big, 100)
	if len(got) != 2 || !errors.Is(got[0].Err, ErrTooBig) || got[0].Raw != nil || got[1].Err != nil {
		t.Fatalf("got %+v; want the big one refused with ErrTooBig, the small one read", got)
	}
	// A line longer than the reader's buffer is read in pieces and counted.
	long := "From a Sat Jan  1 00:00:00 2000\nSubject: long\n\n" + strings.Repeat("y", 200<<10) + "\n"
	if got := split(t, long, 1<<20); len(got) != 1 || len(got[0].Raw) != len("Subject: long\n\n")+200<<10+1 {
		t.Errorf("long line: %d messages", len(got))
	}
	if got := split(t, long, 100<<10); len(got) != 1 || !errors.Is(got[0].Err, ErrTooBig) {
		t.Errorf("long line over the limit not refused")
	}
	// Stopping early stops reading.
	n := 0
	SplitMBox(strings.NewReader(big), "box", 1<<20, func(Message) bool { n++; return false })
	if n != 1 {
		t.Errorf("yield returned false but was called %d times", n)
	}
	if err := SplitMBox(strings.NewReader("Subject: not an mbox\n\nbody\n"), "box", 1<<20, func(Message) bool { return true }); err == nil {
		t.Error("a message file was read as an mbox")
	}
}

func TestDetectAndFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(p, s string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dir, "one.eml"), "Subject: x\n\nbody\n")
	write(filepath.Join(dir, "box"), "From a Sat Jan  1 00:00:00 2000\nSubject: x\n\nbody\n")
	md := filepath.Join(dir, "Maildir")
	write(filepath.Join(md, "new", "2"), "Subject: new\n\n")
	write(filepath.Join(md, "cur", "1:2,S"), "Subject: cur\n\n")
	write(filepath.Join(md, "tmp", "3"), "Subject: being written\n\n")
	write(filepath.Join(md, "cur", ".hidden"), "x")
	for path, want := range map[string]Kind{filepath.Join(dir, "one.eml"): File, filepath.Join(dir, "box"): MBox, md: Maildir, dir: Dir} {
		if k, err := Detect(path); err != nil || k != want {
			t.Errorf("Detect(%s) = %v, %v; want %v", path, k, err, want)
		}
	}
	files, err := Files(md, Maildir)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 || filepath.Base(files[0]) != "2" || filepath.Base(files[1]) != "1:2,S" {
		t.Errorf("Maildir files %v, want new/2 then cur/1:2,S (tmp/ and hidden files skipped)", files)
	}
	if _, err := Detect("/dev/null"); err == nil {
		t.Error("a device was accepted")
	}
	if _, err := ReadFile(filepath.Join(dir, "one.eml"), 4); !errors.Is(err, ErrTooBig) {
		t.Errorf("ReadFile over the limit: %v", err)
	}
}

func FuzzSplitMBox(f *testing.F) {
	f.Add("From a Sat Jan  1 00:00:00 2000\nSubject: x\n\n>From y\n\nFrom b\n\nz\n", 64)
	f.Add("From \n\nFrom \r\n\r\n", 3)
	f.Fuzz(func(t *testing.T, s string, limit int) {
		if limit < 1 || limit > 1<<16 {
			return
		}
		total := 0
		SplitMBox(strings.NewReader(s), "f", limit, func(m Message) bool {
			if len(m.Raw) > limit {
				t.Fatalf("a message of %d bytes passed the limit of %d", len(m.Raw), limit)
			}
			if m.Err != nil && m.Raw != nil {
				t.Fatal("an error with a message")
			}
			total += len(m.Raw)
			return true
		})
		if total > len(s) {
			t.Fatalf("%d bytes of messages out of %d of input", total, len(s))
		}
	})
}

func TestReadAll(t *testing.T) {
	data := strings.Repeat("x", 1000)
	for _, hint := range []int64{0, 10, 1000, 5000} {
		got, err := ReadAll(strings.NewReader(data), hint, 1000)
		if err != nil || string(got) != data {
			t.Errorf("hint %d: %d bytes, %v", hint, len(got), err)
		}
		if hint == 1000 && cap(got) != 1001 {
			t.Errorf("an exact hint grew the buffer to %d", cap(got))
		}
		if _, err := ReadAll(strings.NewReader(data), hint, 999); !errors.Is(err, ErrTooBig) {
			t.Errorf("hint %d: over the limit gave %v", hint, err)
		}
	}
}
