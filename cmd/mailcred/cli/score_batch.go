package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/x/term"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnsx"
	"github.com/mailcred/mailcred/scoring/receiver"
	"github.com/mailcred/mailcred/scoring/safetext"
	"github.com/mailcred/mailcred/session/mailbox"
)

// batchWorkers is how many messages are scored at once: scoring waits on
// DNS far more than it computes, and the shared cache answers most of
// what a batch of messages from the same senders asks.
const batchWorkers = 8

// isBatch reports whether the arguments ask for more than one message:
// several paths, a directory, a Maildir or an mbox. One regular file (or
// -) is the single-message report.
func isBatch(args []string) (bool, error) {
	if len(args) > 1 {
		for _, a := range args {
			if a == "-" {
				return false, usageError("- (standard input) cannot be mixed with other inputs")
			}
		}
		return true, nil
	}
	if args[0] == "-" {
		return false, nil
	}
	k, err := mailbox.Detect(args[0])
	if err != nil {
		return false, usageError("%v", err)
	}
	return k != mailbox.File, nil
}

// batchLine is one line of `score --format json` over several messages
// (JSON Lines): the single-message report plus its place in the batch, or
// why the message could not be read.
type batchLine struct {
	Index int `json:"index"`
	*scoreReport
}

// batchErrorLine is the line of a message that could not be read.
type batchErrorLine struct {
	Index int    `json:"index"`
	File  string `json:"file"`
	Error string `json:"error"`
}

// batchResult is one scored (or unreadable) message.
type batchResult struct {
	index   int
	name    string
	rep     *scoreReport
	results []scoring.Result
	err     error
}

// runScoreBatch scores every message of args in one process: the messages
// are read one at a time (an mbox as a stream), scored batchWorkers at
// once with a DNS cache shared by all of them (each answer kept for its
// TTL), and reported in input order: one JSON object per line with
// --format json, else one line per message and a total.
func runScoreBatch(ctx context.Context, g *globals, f *scoreFlags, ip netip.Addr, args []string) error {
	total, err := countInputs(args)
	if err != nil {
		return err
	}
	cache := dnsx.NewCache(0, nil)
	newResolver := func(m mailbox.Message) (*dnsx.Resolver, error) {
		return g.newSharedResolver(cache, messageDomains(f, m.Raw)...)
	}
	if _, err := g.newSharedResolver(cache); err != nil {
		return err
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type job struct {
		index int
		msg   mailbox.Message
	}
	jobs := make(chan job, batchWorkers)
	results := make(chan batchResult, batchWorkers)
	var readErr error
	go func() {
		defer close(jobs)
		i := 0
		readErr = eachMessage(args, func(m mailbox.Message) bool {
			select {
			case jobs <- job{i, m}:
				i++
				return true
			case <-ctx.Done():
				return false
			}
		})
	}()
	var wg sync.WaitGroup
	for range batchWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				res := batchResult{index: j.index, name: j.msg.Name, err: j.msg.Err}
				if res.err == nil {
					r, err := newResolver(j.msg)
					if err != nil {
						res.err = err
					} else {
						rep, rs := scoreMessage(ctx, f, ip, j.msg.Name, j.msg.Raw, r)
						res.rep, res.results = &rep, rs
					}
				}
				select {
				case results <- res:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() {
		wg.Wait()
		close(results)
	}()

	out := newBatchOutput(g, total)
	pending := map[int]batchResult{} // finished out of order, at most ~batchWorkers
	next := 0
	for res := range results {
		pending[res.index] = res
		for {
			r, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			if err := out.write(r); err != nil {
				cancel()
				return err
			}
		}
	}
	out.finish()
	if readErr != nil {
		return &exitError{code: ExitError, err: readErr}
	}
	if ctx.Err() != nil {
		return &exitError{code: ExitError, err: ctx.Err()}
	}
	return out.exit()
}

// countInputs is the number of messages when known without reading them
// (files, directories, Maildirs), else 0 (an mbox is counted as it is
// read). Paths that are not there are refused before anything is scored.
func countInputs(args []string) (int, error) {
	n := 0
	for _, a := range args {
		k, err := mailbox.Detect(a)
		if err != nil {
			return 0, usageError("%v", err)
		}
		switch k {
		case mailbox.File:
			n++
		case mailbox.MBox:
			return 0, nil
		default:
			files, err := mailbox.Files(a, k)
			if err != nil {
				return 0, usageError("%v", err)
			}
			n += len(files)
		}
	}
	return n, nil
}

// eachMessage yields every message of args in order until yield returns
// false. A message that cannot be read is yielded with its error; an
// input that cannot be opened stops the batch.
func eachMessage(args []string, yield func(mailbox.Message) bool) error {
	for _, a := range args {
		k, err := mailbox.Detect(a)
		if err != nil {
			return err
		}
		switch k {
		case mailbox.File:
			if !yieldFile(a, false, yield) {
				return nil
			}
		case mailbox.MBox:
			fh, err := os.Open(a)
			if err != nil {
				return err
			}
			stopped := false
			err = mailbox.SplitMBox(fh, a, maxMessage, func(m mailbox.Message) bool {
				if m.Err == nil {
					m.Raw, _ = receiver.ToCRLF(m.Raw) // LF is how an mbox stores lines
					m.Err = checkMessage(m.Raw)
				}
				stopped = !yield(m)
				return !stopped
			})
			fh.Close()
			if err != nil {
				return err
			}
			if stopped {
				return nil
			}
		default:
			files, err := mailbox.Files(a, k)
			if err != nil {
				return err
			}
			for _, file := range files {
				if !yieldFile(file, k == mailbox.Maildir, yield) {
					return nil
				}
			}
		}
	}
	return nil
}

// yieldFile reads one message file; stored (a Maildir keeps lines with
// LF alone, as an mbox does) turns its lines into the CRLF the message
// had on the wire, so message.format does not blame the storage.
func yieldFile(path string, stored bool, yield func(mailbox.Message) bool) bool {
	raw, err := mailbox.ReadFile(path, maxMessage)
	if err == nil {
		err = checkMessage(raw)
	}
	if err == nil && stored {
		raw, _ = receiver.ToCRLF(raw)
	}
	return yield(mailbox.Message{Name: path, Raw: raw, Err: err})
}

// checkMessage refuses what is not a message at all: an empty file, or
// one whose first line is not a header field (a source file or a JSON
// report left in a scored directory), which would otherwise be scored as
// a message with no headers.
func checkMessage(raw []byte) error {
	if len(strings.TrimSpace(string(raw))) == 0 {
		return errors.New("empty: want a whole message (header fields, a blank line, the body)")
	}
	if !startsWithField(raw) {
		return errors.New("not a message: its first line is not a header field (Name: value)")
	}
	return nil
}

// startsWithField says whether raw begins with a header field as mail
// has them: a name of letters, digits and '-', then ':'. RFC 5322 §2.2
// allows any printable ASCII in a name, but then `{"key":` would pass.
func startsWithField(raw []byte) bool {
	for i, c := range raw {
		switch {
		case c == ':':
			return i > 0
		case c == '-', c >= '0' && c <= '9', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		default:
			return false
		}
	}
	return false
}

// batchOutput writes the batch's results and the progress bar.
type batchOutput struct {
	g        *globals
	w        io.Writer
	jsonl    bool // JSON Lines, else text
	total    int
	done     int
	start    time.Time
	progress io.Writer // standard error when it is a terminal, else nil
	lastDraw time.Time

	failed, incomplete, unreadable int
	scoreSum                       float64
}

func newBatchOutput(g *globals, total int) *batchOutput {
	o := &batchOutput{g: g, w: g.io.Out, total: total, start: time.Now()}
	o.jsonl = g.format == "json"
	if f, ok := g.io.Err.(*os.File); ok && term.IsTerminal(f.Fd()) {
		o.progress = f
	}
	return o
}

func (o *batchOutput) write(r batchResult) error {
	o.done++
	if r.err != nil {
		o.unreadable++
	} else {
		o.scoreSum += r.rep.Score
		// Counted apart: a message can fail a check and be incomplete,
		// its score then an upper bound.
		var ee *exitError
		if errors.As(resultsExit(r.results), &ee) && ee.code == ExitFailed {
			o.failed++
		}
		if !r.rep.Complete {
			o.incomplete++
		}
	}
	o.clearProgress()
	var err error
	if o.jsonl {
		if r.err != nil {
			err = writeJSONLine(o.w, batchErrorLine{Index: r.index, File: r.name, Error: r.err.Error()})
		} else {
			err = writeJSONLine(o.w, batchLine{Index: r.index, scoreReport: r.rep})
		}
	} else {
		err = o.textLine(r)
	}
	o.drawProgress(false)
	return err
}

func (o *batchOutput) textLine(r batchResult) error {
	name := safetext.Line(r.name, 0)
	if r.err != nil {
		_, err := fmt.Fprintf(o.w, "   -   %s: %s\n", name, safetext.Line(r.err.Error(), 0))
		return err
	}
	var failing []string
	for _, c := range r.results {
		if c.Status == scoring.Fail {
			failing = append(failing, c.ID)
		}
	}
	line := fmt.Sprintf("%4.1f  %s", r.rep.Score, name)
	var notes []string
	if len(failing) > 0 {
		notes = append(notes, "fail: "+strings.Join(failing, " "))
	}
	if !r.rep.Complete {
		notes = append(notes, "not checked: "+strings.Join(r.rep.Unchecked, " "))
	}
	if len(notes) > 0 {
		line += "  (" + strings.Join(notes, "; ") + ")"
	}
	_, err := fmt.Fprintln(o.w, line)
	return err
}

// drawProgress redraws the bar on the terminal at most every 100 ms.
func (o *batchOutput) drawProgress(force bool) {
	if o.progress == nil || (!force && time.Since(o.lastDraw) < 100*time.Millisecond) {
		return
	}
	o.lastDraw = time.Now()
	const width = 30
	if o.total > 0 {
		filled := o.done * width / o.total
		fmt.Fprintf(o.progress, "\r[%s%s] %d/%d", strings.Repeat("█", filled), strings.Repeat("░", width-filled), o.done, o.total)
	} else {
		fmt.Fprintf(o.progress, "\rscored %d", o.done)
	}
}

func (o *batchOutput) clearProgress() {
	if o.progress != nil && !o.lastDraw.IsZero() {
		fmt.Fprint(o.progress, "\r\x1b[2K")
	}
}

// finish clears the bar and, in text mode, writes the total.
func (o *batchOutput) finish() {
	o.clearProgress()
	if o.jsonl {
		return
	}
	scored := o.done - o.unreadable
	avg := 0.0
	if scored > 0 {
		avg = o.scoreSum / float64(scored)
	}
	fmt.Fprintf(o.w, "\n%d message(s) scored in %s, mean score %.1f; %d with a failed check, %d incomplete, %d unreadable\n",
		scored, time.Since(o.start).Round(time.Millisecond), avg, o.failed, o.incomplete, o.unreadable)
}

// exit is the batch's exit status: 2 when a message could not be read, 1
// when one failed a check, 3 when one could not be fully checked.
func (o *batchOutput) exit() error {
	switch {
	case o.unreadable > 0:
		return &exitError{code: ExitError, err: fmt.Errorf("%d message(s) could not be read", o.unreadable)}
	case o.failed > 0:
		return failed()
	case o.incomplete > 0:
		return &exitError{code: ExitIncomplete}
	}
	return nil
}
