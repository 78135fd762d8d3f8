package headers

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mailcred/mailcred/scoring"
)

// bomb is a message of n tiny header fields after a proper From/To/Date.
func bomb(n int) []byte {
	var b strings.Builder
	b.WriteString("From: a@example.com\r\nTo: b@example.net\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\nSubject: x\r\nMessage-ID: <x@example.com>\r\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "X-B: %06d\r\n", i)
	}
	b.WriteString("\r\nbody\r\n")
	return []byte(b.String())
}

func TestMeasureCountsFieldsAndBytes(t *testing.T) {
	raw := []byte("A: 1\r\nB: 2\r\n  folded\r\nC: 3\n\r\nbody\r\nD: not a header\r\n")
	h := Measure(raw)
	if h.Fields != 3 || h.Bytes != len("A: 1\r\nB: 2\r\n  folded\r\nC: 3\n") {
		t.Fatalf("Measure = %+v", h)
	}
	if m := Parse(raw); m.Header != h || m.Truncated {
		t.Fatalf("Parse header %+v truncated %v, want %+v", m.Header, m.Truncated, h)
	}
}

func TestHeaderBombIsParsedWithinTheLimits(t *testing.T) {
	raw := bomb(50_000)
	m := Parse(raw)
	if !m.Truncated || len(m.Fields) != MaxFields || m.Header.Fields != 50_005 {
		t.Fatalf("truncated %v, %d fields kept, %d counted; want %d kept of 50005", m.Truncated, len(m.Fields), m.Header.Fields, MaxFields)
	}
	var limit *LimitError
	if err := CheckLimits(raw); err == nil || !strings.Contains(err.Error(), "50005 fields") {
		t.Fatalf("CheckLimits = %v", err)
	} else if _, ok := err.(*LimitError); !ok {
		t.Fatalf("CheckLimits = %T, want %T", err, limit)
	}
	if CheckLimits(bomb(10)) != nil {
		t.Fatal("a small header is over the limits")
	}
	// One huge field: the byte limit, not the field count.
	huge := []byte("From: a@example.com\r\nX-Big: " + strings.Repeat("y", 2<<20) + "\r\n\r\nbody\r\n")
	if m := Parse(huge); !m.Truncated || m.Header.Bytes <= MaxHeaderBytes {
		t.Fatalf("2 MB field: truncated %v, header %+v", m.Truncated, m.Header)
	}
}

func TestHeaderBombVerdicts(t *testing.T) {
	env := &scoring.Env{Evidence: scoring.Evidence{Message: bomb(5_000)}}
	results := scoring.RunAll(context.Background(), env, Checks())
	for _, r := range results {
		switch {
		case r.ID == IDFormat:
			if r.Status != scoring.Fail || !strings.Contains(r.Title, "5005 fields") || !strings.Contains(r.Detail, "1000 header fields") {
				t.Errorf("message.format: %s %q\n%s", r.Status, r.Title, r.Detail)
			}
		case r.Status != scoring.Error:
			// The fields past the limit were not read: no verdict on them.
			t.Errorf("%s: %s %q, want error (not checked)", r.ID, r.Status, r.Title)
		}
	}
}

func TestLargeButAcceptedHeaderWarns(t *testing.T) {
	raw := bomb(3_000) // 3005 fields: over MaxFields
	if !Measure(raw).Over() {
		t.Fatal("3005 fields not over the limit")
	}
	raw = []byte("From: a@example.com\r\n" + strings.Repeat("X-Big: "+strings.Repeat("y", 900)+"\r\n", 45) + "\r\nbody\r\n")
	res := checkFormat(Parse(raw), scoring.Evidence{}, time.Time{})
	if res.Status != scoring.Warn || !strings.Contains(res.Detail, "32 KB") {
		t.Fatalf("40 KB header: %s %q %s", res.Status, res.Title, res.Detail)
	}
}

func BenchmarkParseHeaderBomb(b *testing.B) {
	raw := bomb(700_000) // ~9 MB: the shape that cost `score` 600-880 MB
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		Parse(raw)
	}
}

func FuzzMeasureAgreesWithParse(f *testing.F) {
	f.Add([]byte("A: 1\r\n b\r\n\r\nbody"))
	f.Add([]byte("\r\n"))
	f.Add([]byte(" x\nA:\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		h, m := Measure(raw), Parse(raw)
		if h != m.Header {
			t.Fatalf("Measure %+v, Parse %+v", h, m.Header)
		}
		if len(m.Fields) > MaxFields {
			t.Fatalf("%d fields kept", len(m.Fields))
		}
	})
}
