package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailcred/mailcred/scoring/dnstest"
)

// TestScoreBatch scores a directory, an mbox and a Maildir in one process:
// JSON Lines in input order, each line the single-message report with its
// index; a message that cannot be read is a line with its error and exit 2.
func TestScoreBatch(t *testing.T) {
	resolver := world(t, false)
	good, story := goodMessage(t), storyMessage()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "1-good.eml"), good, 0o644)
	os.WriteFile(filepath.Join(dir, "2-story.eml"), story, 0o644)

	type line struct {
		Index int      `json:"index"`
		File  string   `json:"file"`
		Score *float64 `json:"score"`
		Error string   `json:"error"`
	}
	decode := func(out string) []line {
		t.Helper()
		var ls []line
		for _, s := range strings.Split(strings.TrimSpace(out), "\n") {
			var l line
			if err := json.Unmarshal([]byte(s), &l); err != nil {
				t.Fatalf("not a JSON line: %v\n%s", err, s)
			}
			ls = append(ls, l)
		}
		return ls
	}

	code, out, stderr := run(t, nil, scoreArgs(resolver, dir, "--format", "json")...)
	ls := decode(out)
	if code != ExitFailed || len(ls) != 2 {
		t.Fatalf("directory: exit %d, %d lines (want 1: the story's message fails a check, 2 lines)\n%s%s", code, len(ls), out, stderr)
	}
	if ls[0].Index != 0 || !strings.HasSuffix(ls[0].File, "1-good.eml") || *ls[0].Score != 10 ||
		ls[1].Index != 1 || !strings.HasSuffix(ls[1].File, "2-story.eml") || *ls[1].Score >= 10 {
		t.Errorf("lines out of order or wrong: %+v", ls)
	}

	// The same two messages as an mbox, with a quoted "From " line in the body.
	var mbox bytes.Buffer
	for _, m := range [][]byte{good, good} {
		mbox.WriteString("From alice@example.com Sat Jan  1 00:00:00 2000\n")
		mbox.Write(bytes.ReplaceAll(m, []byte("\r\n"), []byte("\n")))
		mbox.WriteString("\n")
	}
	box := writeFile(t, "box.mbox", mbox.Bytes())
	code, out, stderr = run(t, nil, scoreArgs(resolver, box, "--format", "json")...)
	ls = decode(out)
	if code != ExitOK || len(ls) != 2 || ls[1].File != box+"#2" || *ls[1].Score != 10 {
		t.Fatalf("mbox: exit %d, lines %+v\n%s", code, ls, stderr)
	}

	// A Maildir and a file that is not there among the messages: text mode.
	md := t.TempDir()
	for _, sub := range []string{"cur", "new", "tmp"} {
		os.Mkdir(filepath.Join(md, sub), 0o755)
	}
	os.WriteFile(filepath.Join(md, "new", "1"), good, 0o644)
	os.WriteFile(filepath.Join(md, "cur", "2"), []byte("   \n"), 0o644)
	code, out, _ = run(t, []string{"NO_COLOR=1"}, scoreArgs(resolver, md)...)
	if code != ExitError {
		t.Errorf("an empty message in the Maildir: exit %d, want %d", code, ExitError)
	}
	for _, w := range []string{"10.0  " + filepath.Join(md, "new", "1"), "empty: want a whole message", "1 message(s) scored", "1 unreadable"} {
		if !strings.Contains(out, w) {
			t.Errorf("%q missing from\n%s", w, out)
		}
	}

	// Files that are not messages (a source file, a JSON report) in a
	// scored directory are named as such, not scored as headerless mail.
	mixed := t.TempDir()
	os.WriteFile(filepath.Join(mixed, "1-good.eml"), good, 0o644)
	os.WriteFile(filepath.Join(mixed, "2-main.go"), []byte("// Package main.\npackage main\n"), 0o644)
	os.WriteFile(filepath.Join(mixed, "3-report.json"), []byte(`{"schema_version": 1}`+"\n"), 0o644)
	code, out, _ = run(t, []string{"NO_COLOR=1"}, scoreArgs(resolver, mixed)...)
	for _, w := range []string{"1 message(s) scored", "2-main.go: not a message", "3-report.json: not a message", "2 unreadable"} {
		if !strings.Contains(out, w) {
			t.Errorf("mixed directory (exit %d): %q missing from\n%s", code, w, out)
		}
	}

	if code, _, stderr := run(t, nil, scoreArgs(resolver, dir, "-")...); code != ExitError || !strings.Contains(stderr, "cannot be mixed") {
		t.Errorf("- among other inputs: exit %d %s", code, stderr)
	}
}

// TestScoreBatchLinesMatchTheSchema validates every line of a batch, a
// scored message and an unreadable one, against schemas/score-batch.json.
func TestScoreBatchLinesMatchTheSchema(t *testing.T) {
	schemas := compileSchemas(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "1.eml"), goodMessage(t), 0o644)
	os.WriteFile(filepath.Join(dir, "2.eml"), []byte("\n"), 0o644)
	_, out, _ := run(t, nil, scoreArgs(world(t, false), dir, "--format", "json")...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2:\n%s", len(lines), out)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, `{"schema_version":1,`) {
			t.Errorf("line does not start with schema_version: %.60s", l)
		}
		if err := matchSchema(schemas["score-batch"], l); err != nil {
			t.Errorf("line does not match schemas/score-batch.json: %v\n%.300s", err, l)
		}
	}
}

// A message that fails a check and could not be fully checked counts in
// both: its line names what was not checked, and the total says it is
// incomplete (its score is an upper bound).
func TestScoreBatchFailedAndIncomplete(t *testing.T) {
	srv := worldServer(t, false)
	srv.SetFault("mail.example.com", dnstest.ServFail) // the HELO name: rdns.helo cannot be checked
	dir := t.TempDir()
	for _, n := range []string{"1.eml", "2.eml"} {
		os.WriteFile(filepath.Join(dir, n), storyMessage(), 0o644)
	}
	code, out, stderr := run(t, []string{"NO_COLOR=1"}, scoreArgs(srv.Addr, dir, "--timeout", "300ms")...)
	if code != ExitFailed {
		t.Fatalf("exit %d, want %d (a check failed)\n%s%s", code, ExitFailed, out, stderr)
	}
	for _, w := range []string{"not checked: ", "rdns.helo", "2 with a failed check, 2 incomplete"} {
		if !strings.Contains(out, w) {
			t.Errorf("%q missing from\n%s", w, out)
		}
	}
}
