package smtpc

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mailcred/mailcred/scoring/smtpx"
	"github.com/mailcred/mailcred/session/smtptest"
)

// Each hostile server is met with short timeouts; every case must end
// within its bound, leave no goroutine behind, and put nothing unescaped
// into the transcript.
func TestHostileServers(t *testing.T) {
	tests := []struct {
		name    string
		b       smtptest.Behaviour
		command time.Duration
		within  time.Duration
		check   func(t *testing.T, d *Delivery, err error, rec *recorder)
	}{
		{
			name: "a 10 MB greeting line is cut, the session goes on",
			b:    smtptest.Behaviour{Mode: smtptest.HugeLine},
			// 10 MB through loopback under -race takes a moment.
			command: 20 * time.Second, within: 20 * time.Second,
			check: func(t *testing.T, d *Delivery, err error, rec *recorder) {
				if err != nil {
					t.Fatal(err)
				}
				g := rec.all()[2]
				if g.Kind != KindReceived || g.Code != 220 || len(g.Lines) != 1 {
					t.Fatalf("greeting event = %+v", g)
				}
				line := g.Lines[0] // "220 " + 10 MiB + " huge.test ESMTP", 998 runes kept
				if !strings.HasPrefix(line, "220 xxx") || !strings.HasSuffix(line, " …[10484782 more bytes cut]") || len(line) > DisplayLineMax+40 {
					t.Errorf("greeting line (%d bytes) = %.60q…%q", len(line), line, line[max(0, len(line)-40):])
				}
			},
		},
		{
			name:    "an endless multi-line reply stops at MaxReplyLines",
			b:       smtptest.Behaviour{Mode: smtptest.EndlessReply},
			command: 5 * time.Second, within: 5 * time.Second,
			check: func(t *testing.T, d *Delivery, err error, rec *recorder) {
				if !errors.Is(err, ErrTooManyLines) {
					t.Fatalf("err = %v", err)
				}
				if st, _ := StageOf(err); st != smtpx.EHLO {
					t.Errorf("stage %v", st)
				}
				var n int
				for _, e := range rec.all() {
					if e.Kind == KindReceived && e.Code == 250 {
						n = len(e.Lines)
					}
				}
				if n != 100 {
					t.Errorf("reply event has %d lines, want 100", n)
				}
			},
		},
		{
			name:    "a stall after the greeting hits the command timeout",
			b:       smtptest.Behaviour{Mode: smtptest.Stall},
			command: 300 * time.Millisecond, within: 2 * time.Second,
			check: func(t *testing.T, d *Delivery, err error, rec *recorder) {
				if !errors.Is(err, ErrTimeout) {
					t.Fatalf("err = %v", err)
				}
				if st, _ := StageOf(err); st != smtpx.EHLO {
					t.Errorf("stage %v", st)
				}
			},
		},
		{
			name:    "escape sequences in the banner are shown escaped",
			b:       smtptest.Behaviour{Mode: smtptest.EscapeBanner},
			command: 5 * time.Second, within: 5 * time.Second,
			check: func(t *testing.T, d *Delivery, err error, rec *recorder) {
				if err != nil {
					t.Fatal(err)
				}
				tr := rec.transcript()
				for _, want := range []string{`\e]52;c;cm0gLXJmIH4K\x07`, `\e[2J\e[H`, `bare CR\rovertyped`, `\x08`, `\x7f`, `\u009b31m`, `raw \x9b`, `\u202eevil\u202c`, `X-\e]0;owned\x07TITLE`} {
					if !strings.Contains(tr, want) {
						t.Errorf("transcript lacks %q:\n%s", want, tr)
					}
				}
			},
		},
		{
			name:    "a TLS handshake dropped after 220 fails at STARTTLS",
			b:       smtptest.Behaviour{Mode: smtptest.DropTLS},
			command: 5 * time.Second, within: 5 * time.Second,
			check: func(t *testing.T, d *Delivery, err error, rec *recorder) {
				if st, _ := StageOf(err); st != smtpx.STARTTLS || !strings.Contains(err.Error(), "TLS handshake") {
					t.Fatalf("err = %v (stage %v)", err, st)
				}
			},
		},
		{
			name:    "after a dropped handshake, opportunistic mode sends again in clear",
			b:       smtptest.Behaviour{Mode: smtptest.DropTLS},
			command: 5 * time.Second, within: 5 * time.Second,
			check: func(t *testing.T, d *Delivery, err error, rec *recorder) {
				if err != nil || !d.ClearRetry || d.TLS != nil || d.Final.Code != 250 {
					t.Fatalf("err = %v, delivery %+v\n%s", err, d, rec.transcript())
				}
				tr := rec.transcript()
				if !strings.Contains(tr, "connecting again without TLS") || strings.Count(tr, "=== Trying") != 2 {
					t.Errorf("transcript:\n%s", tr)
				}
				ev := rec.all()
				for i := 1; i < len(ev); i++ {
					if ev[i].At < ev[i-1].At {
						t.Errorf("the retry restarts the clock at event %d", i)
					}
				}
			},
		},
		{
			name:    "STARTTLS refused with 454: opportunistic mode carries on in clear",
			b:       smtptest.Behaviour{Mode: smtptest.RefuseTLS},
			command: 5 * time.Second, within: 5 * time.Second,
			check: func(t *testing.T, d *Delivery, err error, rec *recorder) {
				if err != nil || d.ClearRetry || d.TLS != nil {
					t.Fatalf("err = %v, delivery %+v", err, d)
				}
				if tr := rec.transcript(); !strings.Contains(tr, "STARTTLS refused: continuing without TLS") || strings.Count(tr, "=== Trying") != 1 {
					t.Errorf("transcript:\n%s", tr)
				}
			},
		},
		{
			name:    "a byte-a-second greeting hits the command timeout",
			b:       smtptest.Behaviour{Mode: smtptest.Slowloris},
			command: 1500 * time.Millisecond, within: 3 * time.Second,
			check: func(t *testing.T, d *Delivery, err error, rec *recorder) {
				if !errors.Is(err, ErrTimeout) {
					t.Fatalf("err = %v", err)
				}
				if st, _ := StageOf(err); st != smtpx.Connect {
					t.Errorf("stage %v", st)
				}
			},
		},
		{
			name:    "an unsolicited extra reply is a desync, caught before the next command",
			b:       smtptest.Behaviour{Mode: smtptest.Desync},
			command: 5 * time.Second, within: 5 * time.Second,
			check: func(t *testing.T, d *Delivery, err error, rec *recorder) {
				if !errors.Is(err, ErrDesync) || !strings.Contains(err.Error(), "server out of sync") {
					t.Fatalf("err = %v, want ErrDesync", err)
				}
				if st, _ := StageOf(err); st != smtpx.RCPT {
					t.Errorf("stage %v, want RCPT (the extra reply came with MAIL's)", st)
				}
				if strings.Contains(rec.transcript(), "->  DATA") {
					t.Errorf("went on to DATA after the desync:\n%s", rec.transcript())
				}
			},
		},
		{
			name:    "a second reply to the end of data is never taken as acceptance",
			b:       smtptest.Behaviour{Mode: smtptest.Desync, DesyncAfter: "."},
			command: 5 * time.Second, within: 5 * time.Second,
			check: func(t *testing.T, d *Delivery, err error, rec *recorder) {
				if !errors.Is(err, ErrDesync) {
					t.Fatalf("err = %v, want ErrDesync", err)
				}
				if st, _ := StageOf(err); st != smtpx.EndOfData {
					t.Errorf("stage %v, want end of data", st)
				}
			},
		},
		{
			name:    "a server without EHLO is spoken to with HELO",
			b:       smtptest.Behaviour{Mode: smtptest.NoEHLO},
			command: 5 * time.Second, within: 5 * time.Second,
			check: func(t *testing.T, d *Delivery, err error, rec *recorder) {
				if err != nil {
					t.Fatal(err)
				}
				if d.Capabilities.ESMTP || d.Capabilities.Domain != "hostile.test" {
					t.Errorf("capabilities = %+v", d.Capabilities)
				}
				if tr := rec.transcript(); !strings.Contains(tr, "->  HELO client.test") || !strings.Contains(tr, "trying HELO") {
					t.Errorf("no HELO fallback:\n%s", tr)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			noLeaks(t)
			h := startHostile(t, tc.b)
			rec := &recorder{}
			o := options(h.Addr(), nil, rec)
			o.Timeouts.Command = tc.command
			o.TLSMode = TLSOpportunistic
			if strings.HasPrefix(tc.name, "a TLS handshake dropped") {
				o.TLSMode = TLSStartTLS
			}
			start := time.Now()
			d, err := Deliver(context.Background(), o, Envelope{From: "a@b", To: []string{"c@d"}}, []byte(testMessage))
			if el := time.Since(start); el > tc.within {
				t.Errorf("took %v, bound %v", el, tc.within)
			}
			tc.check(t, d, err, rec)
			assertClean(t, rec.all())
			if err := h.Close(); err != nil {
				t.Error(err)
			}
		})
	}
}

// The 10 MB line must not cost 10 MB: the reader keeps MaxLine bytes and
// skips the rest inside its own buffer.
func TestHugeLineMemoryIsBounded(t *testing.T) {
	h := startHostile(t, smtptest.Behaviour{Mode: smtptest.HugeLine})
	o := options(h.Addr(), nil, nil)
	o.Timeouts.Command = 20 * time.Second
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	c, err := Dial(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	c.Close()
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated %d KiB while reading a 10 MiB greeting", alloc>>10)
	if alloc > 2<<20 {
		t.Errorf("allocated %d bytes reading a 10 MiB line, want < 2 MiB", alloc)
	}
	if g := c.Greeting(); len(g.Lines[0]) > DisplayLineMax+40 {
		t.Errorf("greeting kept %d bytes", len(g.Lines[0]))
	}
}
