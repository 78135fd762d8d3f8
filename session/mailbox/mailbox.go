// Package mailbox reads the messages of what a person points `mailcred
// score` at: message files, a directory of them, an mbox, or a Maildir.
// Every message is bounded in size, and an mbox is read as a stream, so a
// mailbox of any size costs the memory of one message at a time.
package mailbox

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mailcred/mailcred/scoring/inputfile"
)

// Message is one message read, or why it could not be.
type Message struct {
	// Name says where it came from: the file, or "FILE#N" for the N-th
	// message of an mbox (from 1).
	Name string
	Raw  []byte
	Err  error
}

// Kind is what a path holds.
type Kind int

// The kinds.
const (
	File    Kind = iota // one message
	MBox                // messages separated by "From " lines (RFC 4155)
	Maildir             // a directory with cur/ and new/ (maildir(5))
	Dir                 // a directory of message files
)

func (k Kind) String() string {
	return [...]string{"message file", "mbox", "Maildir", "directory"}[k]
}

// ErrTooBig is a message over the size limit.
var ErrTooBig = errors.New("message too big")

// Detect says what path holds: a directory is a Maildir when it has cur/
// and new/, else a directory of messages; a regular file is an mbox when
// its first line starts with "From " (no message header field can: a
// field name ends in a colon), else one message. Other files (devices,
// FIFOs) are refused.
func Detect(path string) (Kind, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	if fi.IsDir() {
		if isDir(filepath.Join(path, "cur")) && isDir(filepath.Join(path, "new")) {
			return Maildir, nil
		}
		return Dir, nil
	}
	f, err := inputfile.Open(path) // a FIFO, device or socket: a clear error, never a wait
	if err != nil {
		return 0, err
	}
	defer f.Close()
	head := make([]byte, 5)
	n, _ := io.ReadFull(f, head)
	if n == 5 && string(head) == "From " {
		return MBox, nil
	}
	return File, nil
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// Files lists the message files of a directory (regular files, not
// hidden, sorted by name) or of a Maildir (new/ then cur/; tmp/ holds
// messages still being written and is skipped).
func Files(dir string, k Kind) ([]string, error) {
	subdirs := []string{dir}
	if k == Maildir {
		subdirs = []string{filepath.Join(dir, "new"), filepath.Join(dir, "cur")}
	}
	var out []string
	for _, d := range subdirs {
		entries, err := os.ReadDir(d)
		if err != nil {
			return nil, err
		}
		var names []string
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") || !e.Type().IsRegular() {
				continue
			}
			names = append(names, filepath.Join(d, e.Name()))
		}
		slices.Sort(names)
		out = append(out, names...)
	}
	return out, nil
}

// ReadFile reads one message file of at most limit bytes.
func ReadFile(path string, limit int) ([]byte, error) {
	f, err := inputfile.Open(path) // opening a FIFO would wait for a writer
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	raw, err := ReadAll(f, fi.Size(), limit)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return raw, nil
}

// SplitMBox reads an mbox from r and calls yield for each message, in
// order, until yield returns false. A message starts at a line beginning
// "From " at the start of the file or after an empty line (RFC 4155); that
// separator line is not part of the message, and the ">From " quoting of
// mboxrd is undone (">>From " becomes ">From "). Lines end as they are in
// the file. A message over limit bytes is reported with ErrTooBig and
// skipped to its end; only one message is held in memory at a time.
func SplitMBox(r io.Reader, name string, limit int, yield func(Message) bool) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var cur bytes.Buffer
	n := 0
	started, tooBig, prevEmpty := false, false, true
	flush := func() bool {
		if !started {
			return true
		}
		m := Message{Name: fmt.Sprintf("%s#%d", name, n)}
		switch {
		case tooBig:
			m.Err = fmt.Errorf("%s: %w (over %d bytes)", m.Name, ErrTooBig, limit)
		default:
			// The empty line before the next separator belongs to the mbox.
			raw := cur.Bytes()
			if bytes.HasSuffix(raw, []byte("\r\n\r\n")) {
				raw = raw[:len(raw)-2]
			} else if bytes.HasSuffix(raw, []byte("\n\n")) {
				raw = raw[:len(raw)-1]
			}
			m.Raw = bytes.Clone(raw)
		}
		cur.Reset()
		tooBig = false
		return yield(m)
	}
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A line longer than the buffer: keep reading it in pieces.
			for errors.Is(err, bufio.ErrBufferFull) {
				add(&cur, line, &tooBig, limit)
				line, err = br.ReadSlice('\n')
			}
			add(&cur, line, &tooBig, limit)
			prevEmpty = false
			if err != nil && err != io.EOF {
				return err
			}
			if err == io.EOF {
				break
			}
			continue
		}
		if len(line) > 0 {
			switch {
			case prevEmpty && bytes.HasPrefix(line, []byte("From ")):
				if !flush() {
					return nil
				}
				started = true
				n++
			case !started:
				return fmt.Errorf("%s: not an mbox: the first line does not start with \"From \"", name)
			default:
				if unquoted, ok := unquoteFrom(line); ok {
					line = unquoted
				}
				add(&cur, line, &tooBig, limit)
			}
			trimmed := bytes.TrimRight(line, "\r\n")
			prevEmpty = len(trimmed) == 0
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	flush()
	return nil
}

func add(b *bytes.Buffer, line []byte, tooBig *bool, limit int) {
	if *tooBig {
		return
	}
	if b.Len()+len(line) > limit {
		*tooBig = true
		b.Reset()
		return
	}
	b.Write(line)
}

// unquoteFrom undoes mboxrd quoting: ">From ", ">>From ", … lose one ">".
func unquoteFrom(line []byte) ([]byte, bool) {
	i := 0
	for i < len(line) && line[i] == '>' {
		i++
	}
	if i == 0 || !bytes.HasPrefix(line[i:], []byte("From ")) {
		return nil, false
	}
	return line[1:], true
}

// ReadAll reads r to its end, at most limit bytes (ErrTooBig past that),
// into one buffer sized from hint (a file's size; 0 when unknown), so a
// message costs one copy of itself instead of io.ReadAll's doublings.
func ReadAll(r io.Reader, hint int64, limit int) ([]byte, error) {
	size := 512
	if hint > 0 {
		size = int(min(hint, int64(limit))) + 1 // +1: EOF is seen without growing
	}
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)] // grow: the hint was short
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if len(buf) > limit {
			return nil, fmt.Errorf("%w (over %d bytes)", ErrTooBig, limit)
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}
