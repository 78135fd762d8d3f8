package headers

import (
	"strings"
	"testing"
	"time"
)

// A field folded over many lines is parsed in linear time: a hostile
// message cannot make the checks quadratic.
func TestManyContinuationLinesAreLinear(t *testing.T) {
	msg := "Subject: x\r\n" + strings.Repeat(" y\r\n", 200_000) + "\r\nbody\r\n"
	start := time.Now()
	m := Parse([]byte(msg))
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("parse took %v", d)
	}
	if len(m.Fields) != 1 || len(m.Fields[0].Value) != 1+2*200_000 {
		t.Fatalf("value of %d bytes", len(m.Fields[0].Value))
	}
}

func BenchmarkParse(b *testing.B) {
	msg := []byte(good + strings.Repeat("a line of body text, as long as a typical line in a message\r\n", 1000))
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		Parse(msg)
	}
}
