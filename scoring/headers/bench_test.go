package headers

import (
	"fmt"
	"strings"
	"testing"
)

// A field folded over many lines is unfolded whole. Parsing it in
// quadratic time (a hostile message making the checks crawl) would take
// this test past go test's timeout; BenchmarkParseManyContinuationLines
// measures the time.
func TestManyContinuationLinesAreLinear(t *testing.T) {
	m := Parse(continued(200_000))
	if len(m.Fields) != 1 || len(m.Fields[0].Value) != 1+2*200_000 {
		t.Fatalf("value of %d bytes", len(m.Fields[0].Value))
	}
}

// continued is a message whose Subject is folded over n lines.
func continued(n int) []byte {
	return []byte("Subject: x\r\n" + strings.Repeat(" y\r\n", n) + "\r\nbody\r\n")
}

// BenchmarkParseManyContinuationLines: twice the lines should take about
// twice the time per op (compare lines=100000 and lines=200000).
func BenchmarkParseManyContinuationLines(b *testing.B) {
	for _, n := range []int{100_000, 200_000} {
		msg := continued(n)
		b.Run(fmt.Sprintf("lines=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(msg)))
			for b.Loop() {
				Parse(msg)
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	msg := []byte(good + strings.Repeat("a line of body text, as long as a typical line in a message\r\n", 1000))
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		Parse(msg)
	}
}
