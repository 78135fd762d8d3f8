package onboard

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Action is a change onboarding can make on this host. Nothing happens
// until Apply is called, which the UI does only after showing Preview and
// getting an explicit yes.
type Action struct {
	Title string
	// Preview is everything that will change: files with their mode and
	// owner, a diff of each edited file, and what to run afterwards.
	Preview string
	// After are the commands the person runs afterwards (reload the MTA);
	// they are shown, never run.
	After []string
	apply func() (Applied, error)
}

// Applied is what an Action did.
type Applied struct {
	Changes []Change
	// Lines report what happened (a test send's outcome).
	Lines []string
}

// Apply makes the change.
func (a *Action) Apply() (Applied, error) {
	if a == nil || a.apply == nil {
		return Applied{}, fmt.Errorf("nothing to apply")
	}
	return a.apply()
}

// Change is one write to the host, with how to undo it.
type Change struct {
	Path string
	What string // "created, mode 0600, owner Debian-exim", "edited"
	// Backup is the copy of the file before the change; "" when the file
	// was created.
	Backup string
	// Undo is the shell command that reverses the change.
	Undo string
}

// String is one line for the summary.
func (c Change) String() string {
	return fmt.Sprintf("%s: %s (undo: %s)", c.Path, c.What, c.Undo)
}

// writeFile replaces path's content with data, keeping a backup of the old
// file next to it (PATH.mailcred-TIMESTAMP.bak, same mode) and writing
// through a temporary file and a rename, so a crash leaves the old or the
// new file, never half of one. A new file is created with mode.
func writeFile(path string, data []byte, mode fs.FileMode, now time.Time) (Change, error) {
	c := Change{Path: path}
	old, err := os.ReadFile(path)
	switch {
	case err == nil:
		fi, serr := os.Stat(path)
		if serr != nil {
			return c, serr
		}
		if !fi.Mode().IsRegular() {
			return c, fmt.Errorf("%s is not a regular file", path)
		}
		mode = fi.Mode().Perm()
		c.Backup = path + ".mailcred-" + now.UTC().Format("20060102T150405") + ".bak"
		if err := os.WriteFile(c.Backup, old, mode); err != nil {
			return c, fmt.Errorf("backup of %s: %w", path, err)
		}
		c.What, c.Undo = "edited; backup "+c.Backup, "cp -p "+c.Backup+" "+path
	case os.IsNotExist(err):
		c.What, c.Undo = fmt.Sprintf("created, mode %04o", mode), "rm "+path
	default:
		return c, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".mailcred-*")
	if err != nil {
		return c, err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return c, err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return c, err
	}
	if err := tmp.Close(); err != nil {
		return c, err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return c, err
	}
	return c, nil
}

// insertionDiff shows new as a unified diff against old, for changes
// that only insert lines (all onboarding's edits do): three lines of
// context around each inserted block.
func insertionDiff(path string, old, new []byte) string {
	a := strings.Split(strings.TrimSuffix(string(old), "\n"), "\n")
	b := strings.Split(strings.TrimSuffix(string(new), "\n"), "\n")
	if len(old) == 0 {
		a = nil
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, "--- %s\n+++ %s (after)\n", path, path)
	i, j := 0, 0
	for j < len(b) {
		if i < len(a) && a[i] == b[j] {
			i, j = i+1, j+1
			continue
		}
		start := j
		for j < len(b) && (i >= len(a) || a[i] != b[j]) {
			j++
		}
		from := max(i-3, 0)
		fmt.Fprintf(&out, "@@ -%d,%d +%d,%d @@\n", from+1, i-from+min(3, len(a)-i), from+1, i-from+(j-start)+min(3, len(a)-i))
		for _, l := range a[from:i] {
			out.WriteString(" " + l + "\n")
		}
		for _, l := range b[start:j] {
			out.WriteString("+" + l + "\n")
		}
		for _, l := range a[i:min(i+3, len(a))] {
			out.WriteString(" " + l + "\n")
		}
	}
	return out.String()
}

// insertAfter returns text with block inserted after the first line for
// which match is true, or false when no line matches.
func insertAfter(text, block string, match func(line string) bool) (string, bool) {
	lines := strings.SplitAfter(text, "\n")
	for i, l := range lines {
		if match(strings.TrimSpace(l)) {
			if !strings.HasSuffix(l, "\n") {
				lines[i] = l + "\n"
			}
			if !strings.HasSuffix(block, "\n") {
				block += "\n"
			}
			return strings.Join(lines[:i+1], "") + block + strings.Join(lines[i+1:], ""), true
		}
	}
	return text, false
}

// NewAction makes an Action from its parts: the demo world's stand-ins
// for host changes, and tests of the screens that show actions.
func NewAction(title, preview string, after []string, apply func() (Applied, error)) *Action {
	return &Action{Title: title, Preview: preview, After: after, apply: apply}
}
