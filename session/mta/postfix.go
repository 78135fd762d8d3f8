package mta

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mailcred/mailcred/scoring/smtpx"
	"github.com/mailcred/mailcred/session/smtpc"
)

// PostfixLine is one line of postfix's mail log about a queue ID:
// "Dec  6 06:00:16 host postfix/smtp[1234]: 3F1A2B4C5D: to=<b@x.test>, …".
type PostfixLine struct {
	Program string // "smtp", "cleanup", "qmgr", "bounce", …
	QueueID string
	Text    string // what follows "QUEUEID: "
	// Fields are the name=value pairs of Text: to, relay, dsn, status…;
	// Status's parenthesised explanation is in Detail.
	Fields map[string]string
	Detail string
}

var postfixRE = regexp.MustCompile(`\bpostfix(?:-[A-Za-z0-9_.-]+)?/([A-Za-z0-9_/-]+)\[\d+\]: ([0-9A-Za-z]{6,20}): (.*)$`)

// ParsePostfixLine reads one log line; ok is false for lines that are not
// postfix's about a queue ID. The line is capped at MaxLine bytes.
func ParsePostfixLine(line string) (PostfixLine, bool) {
	if len(line) > MaxLine {
		line = line[:MaxLine]
	}
	m := postfixRE.FindStringSubmatch(line)
	if m == nil || m[2] == "NOQUEUE" {
		return PostfixLine{}, false
	}
	l := PostfixLine{Program: m[1], QueueID: m[2], Text: m[3], Fields: map[string]string{}}
	rest := m[3]
	if i := strings.Index(rest, " ("); i >= 0 && strings.HasSuffix(rest, ")") && strings.Contains(rest[:i], "status=") {
		l.Detail = rest[i+2 : len(rest)-1]
		rest = rest[:i]
	}
	for _, part := range strings.Split(rest, ", ") {
		if k, v, ok := strings.Cut(part, "="); ok && len(l.Fields) < 32 && !strings.ContainsAny(k, " ") {
			l.Fields[k] = v
		}
	}
	return l, true
}

// inReplyRE finds "(in reply to RCPT TO command)" in a postfix detail.
var inReplyRE = regexp.MustCompile(`^host (\S+) said: ([245]\d\d)([ -].*?)(?: \(in reply to (.*) command\))?$`)

// PostfixFollower turns postfix log lines about one message into events
// and a Result. It finds the queue ID by the message's Message-ID (the
// cleanup line), so concurrent mail is never confused with ours.
type PostfixFollower struct {
	messageID string
	rcpts     int
	seen      map[string]bool // recipients with a final or deferred status
	res       Result
	backoff   time.Duration
	now       func() time.Time
	done      bool
}

// NewPostfixFollower follows the message whose Message-ID is messageID
// (without angle brackets) to rcpts recipients. backoff is postfix's
// minimal_backoff_time.
func NewPostfixFollower(messageID string, rcpts int, backoff time.Duration, now func() time.Time) *PostfixFollower {
	if now == nil {
		now = time.Now
	}
	return &PostfixFollower{messageID: messageID, rcpts: max(rcpts, 1), seen: map[string]bool{}, backoff: backoff, now: now, res: Result{Kind: Postfix}}
}

// Result returns what the lines so far decided.
func (f *PostfixFollower) Result() Result { return f.res }

// Done reports whether every recipient has a status.
func (f *PostfixFollower) Done() bool { return f.done }

// Feed reads one log line and returns its events.
func (f *PostfixFollower) Feed(line string) []smtpc.Event {
	return from(smtpc.FromPostfix, f.feed(line))
}

func (f *PostfixFollower) feed(line string) []smtpc.Event {
	l, ok := ParsePostfixLine(line)
	if !ok {
		return nil
	}
	if f.res.QueueID == "" {
		if l.Program == "cleanup" && strings.Trim(l.Fields["message-id"], "<>") == f.messageID && f.messageID != "" {
			f.res.QueueID = l.QueueID
			return []smtpc.Event{event(smtpc.KindInfo, false, clean("postfix queued the message as "+l.QueueID))}
		}
		return nil
	}
	if l.QueueID != f.res.QueueID {
		return nil
	}
	out := []smtpc.Event{event(smtpc.KindInfo, false, clean("postfix/"+l.Program+": "+l.Text))}
	status := l.Fields["status"]
	if status == "" {
		if l.Program == "bounce" && strings.Contains(l.Text, "non-delivery notification") {
			f.res.Notes = append(f.res.Notes, clean("postfix sent a non-delivery notification to the sender: "+l.Text))
		}
		return out
	}
	if relay := l.Fields["relay"]; relay != "" && relay != "none" {
		host, addr := splitRelay(relay)
		f.res.Host, f.res.Addr = host, addr
		out = append(out, event(smtpc.KindConnect, false, clean("postfix connected to "+relay)))
	}
	f.res.Reason = clean(l.Detail)
	if m := inReplyRE.FindStringSubmatch(l.Detail); m != nil {
		code, _ := strconv.Atoi(m[2])
		text := m[2] + m[3]
		f.res.Stage = eximStage(m[4])
		if m[4] == "" || strings.Contains(strings.ToUpper(m[4]), "END OF DATA") {
			f.res.Stage = smtpx.EndOfData
		}
		f.res.Reply = smtpc.Reply{Code: code, Enhanced: enhanced(text), Lines: []string{clean(text)}}
		out = append(out, smtpc.Event{Kind: smtpc.KindReceived, Code: code, Enhanced: f.res.Reply.Enhanced, Lines: f.res.Reply.Lines})
	} else if status == "sent" {
		if code, _, ok := replyLine(l.Detail); ok {
			f.res.Stage = smtpx.EndOfData
			f.res.Reply = smtpc.Reply{Code: code, Enhanced: enhanced(l.Detail), Lines: []string{clean(l.Detail)}}
			out = append(out, smtpc.Event{Kind: smtpc.KindReceived, Code: code, Enhanced: f.res.Reply.Enhanced, Lines: f.res.Reply.Lines})
		}
	}
	switch status {
	case "sent":
		if f.res.Status == StatusUnknown {
			f.res.Status = StatusDelivered
		}
	case "deferred":
		if f.res.Status != StatusBounced {
			f.res.Status = StatusDeferred
			f.res.RetryAt = f.now().Add(f.backoff)
			f.res.RetryNote = "postfix minimal_backoff_time " + f.backoff.String() + "; at the first queue run after that"
		}
	case "bounced", "expired", "undeliverable":
		f.res.Status = StatusBounced
	default:
		return out
	}
	if len(f.seen) < 1000 {
		f.seen[l.Fields["to"]] = true
	}
	if len(f.seen) >= f.rcpts {
		f.done = true
	}
	return out
}

// splitRelay reads "mx.example.net[192.0.2.7]:25".
func splitRelay(s string) (string, netip.AddrPort) {
	host, rest, ok := strings.Cut(s, "[")
	if !ok {
		return clean(s), netip.AddrPort{}
	}
	ap, _ := bracketAddr("[" + rest)
	return clean(host), ap
}

// LogSource is where postfix logs: a file followed from its end, or
// journald through journalctl.
type LogSource struct {
	File    string
	Journal bool
}

// String names the source.
func (s LogSource) String() string {
	if s.Journal {
		return "journald (journalctl -f SYSLOG_FACILITY=2)"
	}
	return s.File
}

// DefaultLogSource is where this host's postfix logs: journald when it
// runs and no mail log file exists, else /var/log/mail.log (Debian's
// rsyslog) or /var/log/maillog.
func DefaultLogSource() (LogSource, error) {
	for _, f := range []string{"/var/log/mail.log", "/var/log/maillog"} {
		if _, err := os.Stat(f); err == nil {
			return LogSource{File: f}, nil
		}
	}
	if _, err := os.Stat("/run/systemd/journal"); err == nil {
		if _, err := exec.LookPath("journalctl"); err == nil {
			return LogSource{Journal: true}, nil
		}
	}
	return LogSource{}, errors.New("no mail log found (/var/log/mail.log, /var/log/maillog, journald): postfix's delivery cannot be followed")
}

// lines streams the source's new lines until ctx ends. The file is read
// from its size at the time of the call, so only lines written after it
// are seen; a rotated (shorter) file is read from its start.
func (s LogSource) lines(ctx context.Context) (<-chan string, error) {
	out := make(chan string, 64)
	if s.Journal {
		cmd := exec.CommandContext(ctx, "journalctl", "--follow", "--lines=0", "--output=short-iso", "SYSLOG_FACILITY=2")
		// Stop it and anything it started when ctx ends, and do not wait
		// on a child that keeps the pipe open.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
		cmd.WaitDelay = 2 * time.Second
		pipe, err := cmd.StdoutPipe()
		if err != nil {
			return nil, err
		}
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("journalctl: %w", err)
		}
		go func() {
			defer close(out)
			br := bufio.NewReaderSize(pipe, MaxLine+2)
			for {
				l, err := readCapped(br)
				if l != "" {
					select {
					case out <- l:
					case <-ctx.Done():
					}
				}
				if err != nil {
					cmd.Wait()
					return
				}
			}
		}()
		return out, nil
	}
	f, err := os.Open(s.File)
	if err != nil {
		return nil, fmt.Errorf("mail log: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	offset := fi.Size()
	go func() {
		defer close(out)
		defer f.Close()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		var partial []byte
		for {
			if fi, err := os.Stat(s.File); err == nil && fi.Size() < offset {
				offset, partial = 0, nil // rotated
			}
			buf := make([]byte, 64<<10)
			n, err := f.ReadAt(buf, offset)
			offset += int64(n)
			data := append(partial, buf[:n]...)
			for {
				i := strings.IndexByte(string(data), '\n')
				if i < 0 {
					break
				}
				l := string(data[:min(i, MaxLine)])
				data = data[i+1:]
				select {
				case out <- l:
				case <-ctx.Done():
					return
				}
			}
			partial = append([]byte(nil), data[:min(len(data), MaxLine)]...)
			if n > 0 && (err == nil || err == io.EOF) && n == len(buf) {
				continue // more to read now
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return out, nil
}

// deliverPostfix starts following the log, gives the message to postfix's
// sendmail, and follows its Message-ID's queue ID until every recipient
// has a status or Follow passes.
func deliverPostfix(ctx context.Context, o Options, from string, to []string, msg []byte, emit func(smtpc.Event)) (Result, error) {
	mid := MessageID(msg)
	if mid == "" {
		return Result{Kind: Postfix}, errors.New("the message has no Message-ID: its postfix queue ID could not be found in the log")
	}
	src := o.Log
	if src.File == "" && !src.Journal {
		var err error
		if src, err = DefaultLogSource(); err != nil {
			return Result{Kind: Postfix}, err
		}
	}
	follow := o.Follow
	if follow <= 0 {
		follow = 2 * time.Minute
	}
	fctx, cancel := context.WithTimeout(ctx, follow)
	defer cancel()
	lines, err := src.lines(fctx)
	if err != nil {
		return Result{Kind: Postfix}, err
	}
	backoff := o.Backoff
	if backoff <= 0 {
		backoff = postfixBackoff(ctx, o)
	}
	argv := append(append([]string(nil), o.Command.Argv...), "-i", "-f", from, "--")
	argv = append(argv, to...)
	emit(smtpc.Event{Kind: smtpc.KindConnect, Source: smtpc.FromClient, Lines: []string{clean("Running " + Command{Argv: argv}.String() + "; following " + src.String())}})
	if err := o.run(ctx, argv, localText(msg), func(l string) {
		emit(smtpc.Event{Kind: smtpc.KindInfo, Source: smtpc.FromPostfix, Lines: []string{clean("sendmail: " + l)}})
	}); err != nil {
		emit(smtpc.Event{Kind: smtpc.KindError, Source: smtpc.FromClient, Err: clean(err.Error())})
		return Result{Kind: Postfix}, err
	}
	f := NewPostfixFollower(mid, len(to), backoff, o.Now)
	for l := range lines {
		for _, e := range f.Feed(l) {
			emit(e)
		}
		if f.Done() {
			break
		}
	}
	cancel()
	r := f.Result()
	if !f.Done() {
		why := "postfix's log did not show the message's end within " + follow.String()
		if r.QueueID == "" {
			why = "postfix's log (" + src.String() + ") never showed the message's queue ID within " + follow.String()
		}
		emit(smtpc.Event{Kind: smtpc.KindError, Source: smtpc.FromClient, Err: clean(why)})
		if r.Status != StatusDeferred {
			r.Status = StatusUnknown
		}
	}
	if r.Status == StatusDeferred && !r.RetryAt.IsZero() {
		emit(smtpc.Event{Kind: smtpc.KindInfo, Source: smtpc.FromPostfix, Lines: []string{clean(fmt.Sprintf("postfix will try again after %s (%s)", r.RetryAt.Format("2006-01-02 15:04:05 MST"), r.RetryNote))}})
	}
	emit(smtpc.Event{Kind: smtpc.KindDone, Source: smtpc.FromPostfix, Lines: []string{"postfix: " + r.Status.String()}})
	return r, nil
}

// postfixBackoff asks postconf for minimal_backoff_time, else 300s.
func postfixBackoff(ctx context.Context, o Options) time.Duration {
	d := 300 * time.Second
	o.run(ctx, []string{"postconf", "-h", "minimal_backoff_time"}, nil, func(l string) {
		if v, ok := eximDuration(strings.TrimSpace(l)); ok {
			d = v
		}
	})
	return d
}

// MessageID returns the Message-ID of msg without angle brackets, or "".
func MessageID(msg []byte) string {
	head := string(msg)
	if i := strings.Index(head, "\r\n\r\n"); i >= 0 {
		head = head[:i]
	} else if i := strings.Index(head, "\n\n"); i >= 0 {
		head = head[:i]
	}
	for _, l := range strings.Split(head, "\n") {
		name, v, ok := strings.Cut(l, ":")
		if ok && strings.EqualFold(strings.TrimSpace(name), "Message-ID") {
			return strings.Trim(strings.TrimSpace(v), "<>")
		}
	}
	return ""
}
