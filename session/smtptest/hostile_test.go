package smtptest

import (
	"bufio"
	"io"
	"strings"
	"testing"
	"time"
)

// Every hostile server stops promptly when closed in the middle of its
// trick, with a client connected and doing nothing.
func TestHostileCloseWhileBusy(t *testing.T) {
	for m := HugeLine; m <= lastMode; m++ {
		t.Run(m.String(), func(t *testing.T) {
			noLeaks(t)
			h, err := StartHostile(Behaviour{Mode: m})
			if err != nil {
				t.Fatal(err)
			}
			c, tc := dial(t, h.Addr())
			tc.PrintfLine("EHLO c") // some modes act on EHLO
			time.Sleep(50 * time.Millisecond)
			start := time.Now()
			if err := h.Close(); err != nil {
				t.Error(err)
			}
			if el := time.Since(start); el > 2*time.Second {
				t.Errorf("Close took %v", el)
			}
			if h.Served() != 1 {
				t.Errorf("served %d", h.Served())
			}
			c.Close()
		})
	}
}

func TestHostileBounds(t *testing.T) {
	t.Run("every connection ends after MaxDuration", func(t *testing.T) {
		noLeaks(t)
		h, _ := StartHostile(Behaviour{Mode: Stall, MaxDuration: 200 * time.Millisecond})
		defer h.Close()
		c, _ := dial(t, h.Addr())
		start := time.Now()
		io.Copy(io.Discard, c) // returns when the server hangs up
		if el := time.Since(start); el > 2*time.Second {
			t.Errorf("stall lasted %v", el)
		}
	})
	t.Run("an endless reply ends after MaxLines", func(t *testing.T) {
		noLeaks(t)
		h, _ := StartHostile(Behaviour{Mode: EndlessReply, MaxLines: 2500})
		defer h.Close()
		c, tc := dial(t, h.Addr())
		tc.PrintfLine("EHLO c")
		n := 0
		sc := bufio.NewScanner(c)
		for sc.Scan() {
			n++
		}
		if n != 1+2500 { // greeting + lines
			t.Errorf("%d lines", n)
		}
	})
	t.Run("the huge line is as long as asked", func(t *testing.T) {
		h, _ := StartHostile(Behaviour{Mode: HugeLine, LineBytes: 100_000})
		defer h.Close()
		c, _ := dial(t, h.Addr())
		line, err := bufio.NewReaderSize(c, 200_000).ReadString('\n')
		if err != nil || len(line) != len("220 ")+100_000+len(" huge.test ESMTP\r\n") {
			t.Errorf("%d bytes, %v", len(line), err)
		}
	})
	t.Run("slowloris sends a byte per interval", func(t *testing.T) {
		h, _ := StartHostile(Behaviour{Mode: Slowloris, Interval: 20 * time.Millisecond})
		defer h.Close()
		c, _ := dial(t, h.Addr())
		start := time.Now()
		line, _ := bufio.NewReader(c).ReadString('\n')
		// The first byte may leave before start; every later one waits a
		// whole interval (timers never fire early), so this bound is exact.
		if min := time.Duration(len(line)-2) * 20 * time.Millisecond; line != "220 slow.test ESMTP\r\n" || time.Since(start) < min {
			t.Errorf("%q after %v", line, time.Since(start))
		}
	})
	t.Run("escape banner", func(t *testing.T) {
		h, _ := StartHostile(Behaviour{Mode: EscapeBanner})
		defer h.Close()
		_, tc := dial(t, h.Addr())
		_, msg, err := tc.ReadResponse(220)
		if err != nil || !strings.Contains(msg, "\x1b]52;c;") {
			t.Errorf("%q %v", msg, err)
		}
	})
}

func TestStartHostileRejectsUnknownMode(t *testing.T) {
	if _, err := StartHostile(Behaviour{}); err == nil {
		t.Error("zero mode accepted")
	}
	if Mode(42).String() != "Mode(42)" || RejectDATA.String() != "reject DATA" {
		t.Error("mode names")
	}
}
