package smtptest

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Mode is what a hostile server does.
type Mode int

// The hostile behaviours. After its trick, a server answers the rest of
// the session politely (250 to everything, 354 to DATA, 221 to QUIT), so a
// client that survives can be seen to carry on.
const (
	HugeLine     Mode = iota + 1 // the greeting is one line of LineBytes (default 10 MiB)
	EndlessReply                 // EHLO is answered "250-..." until MaxLines or the client leaves
	Stall                        // greets, then reads commands and never answers
	EscapeBanner                 // the greeting and EHLO reply carry escape sequences, OSC 52, BEL, bare CR, C1 and bidi controls
	DropTLS                      // offers STARTTLS, answers 220, then closes without a handshake
	Slowloris                    // sends its greeting one byte every Interval
	NoEHLO                       // answers EHLO with 500, as pre-ESMTP servers do, and HELO with 250
	RejectDATA                   // refuses the DATA command itself with Reply (go-smtp cannot)
	RefuseTLS                    // offers STARTTLS, then answers it 454 4.7.0 (RFC 3207 §4)
	Desync                       // answers one command (DesyncAfter) with two replies: every later reply is one behind

	lastMode = Desync
)

var modeNames = [...]string{"", "huge line", "endless reply", "stall", "escape banner", "drop TLS", "slowloris", "no EHLO", "reject DATA", "refuse TLS", "desync"}

// String names the mode: "huge line", "stall", …
func (m Mode) String() string {
	if m > 0 && int(m) < len(modeNames) {
		return modeNames[m]
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Behaviour configures a hostile server. Zero limits get safe defaults;
// every connection ends after MaxDuration whatever happens.
type Behaviour struct {
	Mode        Mode
	LineBytes   int           // HugeLine: bytes in the line; default 10 MiB
	MaxLines    int           // EndlessReply: lines before it gives up; default 1,000,000
	Interval    time.Duration // Slowloris: delay between bytes; default 1s
	MaxDuration time.Duration // lifetime of a connection; default 30s
	Reply       Reply         // RejectDATA: the reply; default 554 5.5.1
	DesyncAfter string        // Desync: the verb answered twice ("MAIL" by default; "." for the end of data)
}

// EvilBanner returns the greeting EscapeBanner sends: each line tries to
// act on a terminal that shows it raw.
func EvilBanner() []string {
	return []string{
		"220-evil.test \x1b]52;c;cm0gLXJmIH4K\x07 (OSC 52: sets the clipboard)",
		"220-\x1b[2J\x1b[H cleared the screen \x1b[31mred\x1b[0m \x1b]8;;https://evil.test\x1b\\link\x1b]8;;\x1b\\",
		"220-bare CR\rovertyped, BEL\x07, backspace\x08, DEL\x7f, C1 CSI \u009b31m and raw \x9b, bidi \u202eevil\u202c",
		"220 evil.test ESMTP",
	}
}

// HostileServer is a raw TCP server on 127.0.0.1 misbehaving as asked.
type HostileServer struct {
	b      Behaviour
	ln     net.Listener
	done   chan struct{}
	wg     sync.WaitGroup
	served atomic.Int64

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	once   sync.Once
}

// StartHostile starts a hostile server.
func StartHostile(b Behaviour) (*HostileServer, error) {
	if b.Mode < HugeLine || b.Mode > lastMode {
		return nil, fmt.Errorf("smtptest: unknown hostile mode %d", b.Mode)
	}
	if b.LineBytes <= 0 {
		b.LineBytes = 10 << 20
	}
	if b.MaxLines <= 0 {
		b.MaxLines = 1_000_000
	}
	if b.Interval <= 0 {
		b.Interval = time.Second
	}
	if b.MaxDuration <= 0 {
		b.MaxDuration = 30 * time.Second
	}
	if b.DesyncAfter == "" {
		b.DesyncAfter = "MAIL"
	}
	if b.Reply.Code == 0 {
		b.Reply = Reply{Code: 554, Enhanced: "5.5.1", Lines: []string{"No valid recipients"}}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("smtptest: listen: %w", err)
	}
	h := &HostileServer{b: b, ln: ln, done: make(chan struct{}), conns: map[net.Conn]struct{}{}}
	h.wg.Add(1)
	go h.accept()
	return h, nil
}

// Addr is the server's host:port.
func (h *HostileServer) Addr() string { return h.ln.Addr().String() }

// Served is how many connections were accepted.
func (h *HostileServer) Served() int { return int(h.served.Load()) }

// Close stops the server and returns once every goroutine is gone.
func (h *HostileServer) Close() error {
	var err error
	h.once.Do(func() {
		close(h.done)
		err = h.ln.Close()
		h.mu.Lock()
		h.closed = true
		for c := range h.conns {
			c.Close()
		}
		h.mu.Unlock()
		h.wg.Wait()
	})
	return err
}

func (h *HostileServer) accept() {
	defer h.wg.Done()
	for {
		c, err := h.ln.Accept()
		if err != nil {
			return
		}
		h.mu.Lock()
		if h.closed {
			h.mu.Unlock()
			c.Close()
			return
		}
		h.conns[c] = struct{}{}
		h.wg.Add(1)
		h.mu.Unlock()
		h.served.Add(1)
		go func() {
			defer h.wg.Done()
			defer func() {
				h.mu.Lock()
				delete(h.conns, c)
				h.mu.Unlock()
				c.Close()
			}()
			h.serve(c)
		}()
	}
}

// serve runs one connection: the trick, then the polite remainder.
func (h *HostileServer) serve(c net.Conn) {
	c.SetDeadline(time.Now().Add(h.b.MaxDuration))
	w := bufio.NewWriter(c)
	switch h.b.Mode {
	case HugeLine:
		if !h.hugeLine(w) {
			return
		}
	case EscapeBanner:
		w.WriteString(strings.Join(EvilBanner(), "\r\n") + "\r\n")
	case Slowloris:
		h.slowly(c, "220 slow.test ESMTP\r\n")
		return
	default:
		w.WriteString("220 hostile.test ESMTP\r\n")
	}
	if w.Flush() != nil {
		return
	}
	h.commands(c, w)
}

// hugeLine writes "220 " and LineBytes of text from one small buffer: the
// server's own memory stays flat too.
func (h *HostileServer) hugeLine(w *bufio.Writer) bool {
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	w.WriteString("220 ")
	for left := h.b.LineBytes; left > 0; left -= len(chunk) {
		if left < len(chunk) {
			chunk = chunk[:left]
		}
		if _, err := w.Write(chunk); err != nil || h.stopped() {
			return false
		}
	}
	w.WriteString(" huge.test ESMTP\r\n")
	return w.Flush() == nil
}

// slowly writes s one byte per Interval, stopping when closed.
func (h *HostileServer) slowly(c net.Conn, s string) {
	// A fresh timer per byte, not a ticker: a ticker delivers a tick that
	// fell due during a slow write at once, so bytes could bunch up and the
	// pace would no longer be "at most one byte per interval".
	t := time.NewTimer(h.b.Interval)
	defer t.Stop()
	for i := 0; i < len(s); i++ {
		if _, err := c.Write([]byte{s[i]}); err != nil {
			return
		}
		t.Reset(h.b.Interval)
		select {
		case <-t.C:
		case <-h.done:
			return
		}
	}
}

func (h *HostileServer) stopped() bool {
	select {
	case <-h.done:
		return true
	default:
		return false
	}
}

// commands answers the session after the trick, reading lines of at most
// 1000 bytes (RFC 5321 §4.5.3.1.4) and at most 10,000 of them.
func (h *HostileServer) commands(c net.Conn, w *bufio.Writer) {
	r := bufio.NewReaderSize(c, 1024)
	for range 10_000 {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return
		}
		if h.b.Mode == Stall {
			continue
		}
		verb := strings.ToUpper(strings.TrimSpace(string(line)))
		verb, _, _ = strings.Cut(verb, " ")
		switch verb {
		case "EHLO":
			switch h.b.Mode {
			case NoEHLO:
				w.WriteString("500 5.5.1 Command unrecognized\r\n")
			case EndlessReply:
				h.endless(w)
				return
			case DropTLS, RefuseTLS:
				w.WriteString("250-hostile.test\r\n250-STARTTLS\r\n250 8BITMIME\r\n")
			case EscapeBanner:
				w.WriteString("250-evil.test \x1b[5mblink\x1b[0m\r\n250-X-\x1b]0;owned\x07TITLE\r\n250 8BITMIME\r\n")
			default:
				w.WriteString("250-hostile.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
			}
		case "HELO":
			w.WriteString("250 hostile.test\r\n")
		case "STARTTLS":
			if h.b.Mode == DropTLS {
				w.WriteString("220 2.0.0 Ready to start TLS\r\n")
				w.Flush()
				return // and close: no handshake
			}
			w.WriteString("454 4.7.0 TLS not available\r\n")
		case "DATA":
			if h.b.Mode == RejectDATA {
				w.WriteString(h.b.Reply.wire())
				break
			}
			w.WriteString("354 go ahead\r\n")
			if w.Flush() != nil || !skipData(r) {
				return
			}
			w.WriteString("250 2.0.0 queued\r\n")
			if h.b.Mode == Desync && h.b.DesyncAfter == "." {
				w.WriteString("250 2.0.0 queued again\r\n")
			}
		case "QUIT":
			w.WriteString("221 2.0.0 bye\r\n")
			w.Flush()
			return
		case "MAIL", "RCPT", "RSET", "NOOP":
			w.WriteString("250 2.0.0 OK\r\n")
			if h.b.Mode == Desync && verb == h.b.DesyncAfter {
				w.WriteString("250 2.0.0 OK, unasked\r\n")
			}
		default:
			w.WriteString("500 5.5.2 unrecognized\r\n")
		}
		if w.Flush() != nil {
			return
		}
	}
}

// endless writes "250-" lines until MaxLines, a write fails, or Close.
func (h *HostileServer) endless(w *bufio.Writer) {
	for i := range h.b.MaxLines {
		fmt.Fprintf(w, "250-endless.test line %d\r\n", i)
		if i%1000 == 999 && (w.Flush() != nil || h.stopped()) {
			return
		}
	}
	w.Flush()
}

// skipData reads message content up to the final "." (bounded to 64 MiB).
func skipData(r *bufio.Reader) bool {
	total := 0
	for total < 64<<20 {
		line, err := r.ReadSlice('\n')
		total += len(line)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			return false
		}
		if string(line) == ".\r\n" {
			return true
		}
	}
	return false
}
