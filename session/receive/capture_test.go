package receive

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/mailcred/mailcred/scoring/headers"
)

func headerBomb(fields int) []byte {
	var b bytes.Buffer
	b.WriteString("From: alice@example.com\r\nTo: bob@example.org\r\nSubject: bomb\r\n")
	for i := 0; i < fields; i++ {
		fmt.Fprintf(&b, "X-B: %06d\r\n", i)
	}
	b.WriteString("\r\nbody\r\n")
	return b.Bytes()
}

func TestCaptureKeepsAnOrdinaryMessageWhole(t *testing.T) {
	msg := []byte("From: a@example.com\r\nSubject: " + strings.Repeat("long ", 20000) + "\r\n\r\n" + strings.Repeat("body line\r\n", 10000))
	c, err := readCapped(bytes.NewReader(msg))
	if err != nil || c.cut || !bytes.Equal(c.kept, msg) || c.size != len(msg) || c.header != headers.Measure(msg) {
		t.Fatalf("err %v cut %v, kept %d of %d bytes, header %+v", err, c.cut, len(c.kept), len(msg), c.header)
	}
}

func TestCaptureCutsAHeaderBomb(t *testing.T) {
	msg := headerBomb(200_000)
	c, err := readCapped(bytes.NewReader(msg))
	if err != nil || !c.cut || c.size != len(msg) || c.header != headers.Measure(msg) {
		t.Fatalf("err %v cut %v size %d of %d header %+v", err, c.cut, c.size, len(msg), c.header)
	}
	if len(c.kept) > headers.MaxHeaderBytes+64<<10 || !headers.Measure(c.kept).Over() {
		t.Fatalf("kept %d bytes (%+v): want a bounded prefix that is still over the limits", len(c.kept), headers.Measure(c.kept))
	}
}

func TestHeaderBombIsJudgedNotStored(t *testing.T) {
	noLeaks(t)
	w := newWorld(t)
	s, got := start(t, w, func(o *Options) { o.DisableTLS = true })
	msg := headerBomb(100_000)
	if _, err := deliver(t, s, "alice@example.com", []string{"bob@example.org"}, msg); err != nil {
		t.Fatalf("deliver: %v", err)
	}
	reps := got.all()
	if len(reps) != 1 {
		t.Fatalf("%d reports", len(reps))
	}
	rep := reps[0]
	if rep.Size != len(msg) || status(rep, headers.IDFormat) != "fail" || status(rep, "dkim.signature") != "error" ||
		status(rep, headers.IDFrom) != "error" || !strings.Contains(strings.Join(rep.Notes, "\n"), "100003 fields") {
		t.Fatalf("size %d of %d, format %s, dkim %s, from %s, notes %q", rep.Size, len(msg), status(rep, headers.IDFormat),
			status(rep, "dkim.signature"), status(rep, headers.IDFrom), rep.Notes)
	}
}
