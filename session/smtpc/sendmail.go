package smtpc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/mailcred/mailcred/scoring/safetext"
)

// DefaultSendmail is where sendmail(8) lives on Debian and most systems.
const DefaultSendmail = "/usr/sbin/sendmail"

// SendmailArgs returns sendmail's arguments for one message: -v shows the
// MTA's own delivery (exim prints its SMTP conversation), -i keeps a lone
// "." from ending the message, -f sets the envelope sender, and "--" ends
// the options so no recipient can be read as one.
func SendmailArgs(from string, to []string) []string {
	return append([]string{"-v", "-i", "-f", from, "--"}, to...)
}

// RunSendmail pipes msg to the sendmail program at path (DefaultSendmail in
// production, a script in tests) and streams every line it writes to
// stdout or stderr as a KindInfo event, sanitised and capped. msg's CRLF
// line ends become LF, the local text form sendmail reads. A non-zero exit
// status is an error naming its sysexits meaning. events may be nil; it is
// called from one goroutine at a time.
func RunSendmail(ctx context.Context, path string, args []string, msg []byte, events func(Event)) error {
	start := time.Now()
	var mu sync.Mutex
	emit := func(e Event) {
		if events == nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		e.At = time.Since(start)
		events(e)
	}
	if path == "" {
		path = DefaultSendmail
	}
	emit(Event{Kind: KindConnect, Source: FromClient, Lines: []string{safetext.Line("Running "+path+" "+strings.Join(args, " "), DisplayLineMax)}})

	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stdin = bytes.NewReader(bytes.ReplaceAll(msg, []byte("\r\n"), []byte("\n")))
	out := &lineEmitter{emit: emit}
	errOut := &lineEmitter{emit: emit}
	cmd.Stdout, cmd.Stderr = out, errOut
	// A daemon forked by the MTA may keep the pipes open; do not wait on it.
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	out.flush()
	errOut.flush()
	if err != nil {
		err = fmt.Errorf("sendmail %s: %w%s", path, err, sysexit(err))
		emit(Event{Kind: KindError, Source: FromClient, Err: safetext.Line(err.Error(), DisplayLineMax)})
		emit(Event{Kind: KindDone, Source: FromClient, Lines: []string{"sendmail failed"}})
		return err
	}
	emit(Event{Kind: KindDone, Source: FromClient, Lines: []string{"sendmail exited with status 0"}})
	return nil
}

// sysexit names a sysexits.h status, the codes sendmail programs use.
func sysexit(err error) string {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return ""
	}
	names := map[int]string{
		64: "usage error", 65: "data format error", 67: "addressee unknown", 68: "host name unknown",
		69: "service unavailable", 70: "internal software error", 71: "system error", 72: "critical OS file missing",
		73: "can't create output file", 74: "input/output error", 75: "temporary failure, try again later",
		76: "remote error in protocol", 77: "permission denied", 78: "configuration error",
	}
	if n, ok := names[ee.ExitCode()]; ok {
		return " (" + n + ")"
	}
	return ""
}

// lineEmitter turns a program's output into KindInfo events, one per line,
// holding at most maxLocalLine bytes of a line in memory.
type lineEmitter struct {
	emit    func(Event)
	buf     []byte
	dropped int64
}

const maxLocalLine = 4096

func (w *lineEmitter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		part := p
		if i >= 0 {
			part = p[:i]
		}
		room := maxLocalLine - len(w.buf)
		if len(part) > room {
			w.dropped += int64(len(part) - room)
			part = part[:room]
		}
		w.buf = append(w.buf, part...)
		if i < 0 {
			break
		}
		w.flush()
		p = p[i+1:]
	}
	return n, nil
}

// flush emits the pending line, if any.
func (w *lineEmitter) flush() {
	if len(w.buf) == 0 && w.dropped == 0 {
		return
	}
	w.emit(Event{Kind: KindInfo, Source: FromSendmail, Lines: []string{displayLine(trimEOL(w.buf), w.dropped)}})
	w.buf, w.dropped = w.buf[:0], 0
}
