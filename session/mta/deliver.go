package mta

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/mailcred/mailcred/session/smtpc"
)

// Options say how to hand a message to the MTA and follow it.
type Options struct {
	Command Command
	// Events receives the transcript as it happens; may be nil. Its At
	// offsets count from the call to Deliver.
	Events func(smtpc.Event)
	// Log is where postfix's delivery is followed; the zero value looks
	// for journald, then /var/log/mail.log.
	Log LogSource
	// Follow bounds how long a postfix queue ID is followed in the log
	// (default 2 minutes); exim's foreground delivery is bounded by ctx.
	Follow time.Duration
	// Backoff is postfix's minimal_backoff_time, the earliest retry of a
	// deferred message; 0 asks postconf, then assumes postfix's default
	// of 300s.
	Backoff time.Duration
	// RunAs runs the MTA program as another user: tests running as root
	// use it, as exim gives up root for -C anyway. nil: the caller.
	RunAs *syscall.Credential
	// Env is the MTA program's environment; nil means a minimal one with
	// a standard PATH.
	Env []string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func (o Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// maxOutput bounds what is read of an MTA program's output.
const maxOutput = 8 << 20

// Deliver hands msg (CRLF or LF lines) to the MTA for from and to, follows
// the delivery to its end, and returns what happened. An error means the
// MTA could not be given the message, or its delivery could not be
// followed at all; a deferral or a bounce is a Result, not an error.
func Deliver(ctx context.Context, o Options, from string, to []string, msg []byte) (Result, error) {
	start := time.Now()
	emit := func(e smtpc.Event) {
		if o.Events != nil {
			e.At = time.Since(start)
			o.Events(e)
		}
	}
	switch o.Command.Kind {
	case Exim:
		return deliverExim(ctx, o, from, to, msg, emit)
	case Postfix:
		return deliverPostfix(ctx, o, from, to, msg, emit)
	}
	return Result{}, fmt.Errorf("mta: cannot follow a delivery by %q", o.Command.Kind)
}

// EximArgs are the arguments after the command: a foreground delivery
// (-odf) printing its SMTP dialogue (-v), a lone "." not ending the
// message (-i), the envelope sender, and "--" so no recipient is read as
// an option.
func EximArgs(from string, to []string) []string {
	return append([]string{"-odf", "-v", "-i", "-f", from, "--"}, to...)
}

// deliverExim runs exim's foreground verbose delivery and parses it.
func deliverExim(ctx context.Context, o Options, from string, to []string, msg []byte, emit func(smtpc.Event)) (Result, error) {
	argv := append(append([]string(nil), o.Command.Argv...), EximArgs(from, to)...)
	emit(smtpc.Event{Kind: smtpc.KindConnect, Source: smtpc.FromClient, Lines: []string{clean("Running " + Command{Argv: argv}.String())}})
	p := NewEximParser()
	err := o.run(ctx, argv, localText(msg), func(line string) {
		for _, e := range p.Feed(line) {
			emit(e)
		}
	})
	for _, e := range p.Flush() {
		emit(e)
	}
	r := p.Result()
	if err != nil && r.QueueID == "" {
		emit(smtpc.Event{Kind: smtpc.KindError, Source: smtpc.FromClient, Err: clean(err.Error())})
		return r, err
	}
	if r.Status == StatusDeferred {
		eximRetry(ctx, o, &r, to)
		if !r.RetryAt.IsZero() {
			emit(smtpc.Event{Kind: smtpc.KindInfo, Source: smtpc.FromExim, Lines: []string{clean(fmt.Sprintf("exim will try again after %s (%s)", r.RetryAt.Format("2006-01-02 15:04:05 MST"), r.RetryNote))}})
		}
	}
	if r.Status == StatusUnknown {
		why := "exim's output ended before the message was delivered, deferred, bounced or frozen"
		if err != nil {
			why += ": " + err.Error()
		}
		emit(smtpc.Event{Kind: smtpc.KindError, Source: smtpc.FromClient, Err: clean(why)})
	}
	emit(smtpc.Event{Kind: smtpc.KindDone, Source: smtpc.FromExim, Lines: []string{"exim: " + r.Status.String()}})
	return r, nil
}

// eximRetry finds when exim will try a deferred message again: the next
// try its retry database records (exim_dumpdb), else the first interval
// of the domain's retry rule after now.
func eximRetry(ctx context.Context, o Options, r *Result, to []string) {
	exe := o.Command.Argv[0]
	var spool string
	o.run(ctx, append(append([]string(nil), o.Command.Argv...), "-bP", "spool_directory"), nil, func(line string) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "spool_directory = "); ok {
			spool = v
		}
	})
	dumpdb := filepath.Join(filepath.Dir(exe), "exim_dumpdb")
	if filepath.Dir(exe) == "." {
		dumpdb, _ = exec.LookPath("exim_dumpdb")
	}
	if spool != "" && dumpdb != "" {
		var out strings.Builder
		o.run(ctx, []string{dumpdb, spool, "retry"}, nil, func(line string) { out.WriteString(line + "\n") })
		var best RetryEntry
		for _, e := range ParseDumpDB(out.String(), time.Local) {
			if matchesRetry(e.Key, *r, to) && e.NextTry.After(best.NextTry) {
				best = e
			}
		}
		if !best.NextTry.IsZero() {
			r.RetryAt, r.RetryNote = best.NextTry, "exim retry database, "+best.Key
			return
		}
	}
	if len(to) == 0 {
		return
	}
	domain := to[0][strings.LastIndexByte(to[0], '@')+1:]
	var out strings.Builder
	o.run(ctx, append(append([]string(nil), o.Command.Argv...), "-brt", domain), nil, func(line string) { out.WriteString(line + "\n") })
	if rule, ok := ParseRetryRule(out.String()); ok {
		r.RetryAt = o.now().Add(rule.Interval)
		r.RetryNote = "retry rule " + rule.Text + "; at the first queue run after that"
	}
}

// matchesRetry reports whether a retry record is about this delivery: the
// host tried, or one of the recipients.
func matchesRetry(key string, r Result, to []string) bool {
	if r.Addr.IsValid() && strings.HasPrefix(key, "T:") && strings.Contains(key, ":"+r.Addr.Addr().String()) {
		return true
	}
	for _, a := range to {
		if strings.HasPrefix(key, "R:"+a) || strings.HasPrefix(key, "R:"+a[strings.LastIndexByte(a, '@')+1:]) {
			return true
		}
	}
	return false
}

// localText turns CRLF line ends into the LF a local MTA program reads.
func localText(msg []byte) []byte {
	return bytes.ReplaceAll(msg, []byte("\r\n"), []byte("\n"))
}

// run runs argv with stdin, passing each line of its combined output,
// capped at MaxLine bytes, to line, in order. A non-zero exit is an error
// naming the program's last words.
func (o Options) run(ctx context.Context, argv []string, stdin []byte, line func(string)) error {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = o.Env
	if cmd.Env == nil {
		cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"}
	}
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: o.RunAs}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	// A daemon forked by the MTA may keep the pipe open; do not wait on it.
	cmd.WaitDelay = 5 * time.Second
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	var last string
	done := make(chan struct{})
	go func() {
		defer close(done)
		br := bufio.NewReaderSize(io.LimitReader(pr, maxOutput), MaxLine+2)
		for {
			l, err := readCapped(br)
			if l != "" || err == nil {
				last = l
				line(l)
			}
			if err != nil {
				io.Copy(io.Discard, pr) // past maxOutput: keep the program from blocking
				return
			}
		}
	}()
	if err := cmd.Start(); err != nil {
		pw.Close()
		<-done
		return fmt.Errorf("running %s: %w", argv[0], err)
	}
	err := cmd.Wait()
	pw.Close()
	<-done
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && last != "" {
			return fmt.Errorf("%s: %w (%s)", filepath.Base(argv[0]), err, clean(last))
		}
		return fmt.Errorf("%s: %w", filepath.Base(argv[0]), err)
	}
	return nil
}

// readCapped reads one line, keeping at most MaxLine bytes of it.
func readCapped(br *bufio.Reader) (string, error) {
	var keep []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if room := MaxLine - len(keep); room > 0 {
			if len(chunk) > room {
				keep = append(keep, chunk[:room]...)
			} else {
				keep = append(keep, chunk...)
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		return strings.TrimRight(string(keep), "\r\n"), err
	}
}
