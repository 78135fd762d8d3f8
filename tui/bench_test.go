package tui

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/mailcred/mailcred/session/smtpc"
)

// BenchmarkView renders every pane at 200×60 with a 10,000-line transcript.
// Goal: < 5 ms per frame.
func BenchmarkView(b *testing.B) {
	t := &testing.T{}
	m, _ := newTestModel(t, 200, 60)
	for i := 0; i < 10_000; i++ {
		m.transcript.Append(smtpc.Event{At: time.Duration(i) * time.Millisecond, Kind: smtpc.Kind(i % 3),
			Lines: []string{fmt.Sprintf("250-line %d of a long conversation with a verbose server", i)}})
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = m.View()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/frame")
}

// BenchmarkSessionMemory measures the heap a session holds after a
// 10,000-line transcript (goal: < 50 MB RSS for the whole program).
func BenchmarkSessionMemory(b *testing.B) {
	for i := 0; i < b.N; i++ {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		t := &testing.T{}
		m, _ := newTestModel(t, 200, 60)
		for j := 0; j < 10_000; j++ {
			m.transcript.Append(smtpc.Event{Kind: smtpc.KindReceived, Lines: []string{fmt.Sprintf("250-line %d of a long conversation", j)}})
		}
		_ = m.View()
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "heap-MB")
		runtime.KeepAlive(m)
	}
}

// BenchmarkFirstFrame measures building the model and rendering the first
// frame (the part of start-up that is mailcred's own).
func BenchmarkFirstFrame(b *testing.B) {
	for i := 0; i < b.N; i++ {
		t := &testing.T{}
		m, _ := newTestModel(t, 80, 24)
		next, _ := m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
		_ = next.View()
	}
}
