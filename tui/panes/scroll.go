package panes

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// Scroll is a bounded vertical position over N rows seen H at a time. The
// offset never leaves [0, N-H], so no key can scroll past the end and
// leave the view stuck there. Follow keeps the end in view as rows arrive
// (a live transcript) until the user scrolls up.
//
// bubbles' viewport measures every line on each SetContent and, with soft
// wrap, on each frame; the transcript keeps up to 50,000 lines and gets a
// line at a time, so panes wrap once (per line, per width) and keep only
// this position.
type Scroll struct {
	off, n, h int
	Follow    bool
}

// Set updates the row count and the visible height, keeping the offset in
// bounds (and at the end while following).
func (s *Scroll) Set(n, h int) {
	s.n, s.h = max(0, n), max(0, h)
	if s.Follow {
		s.off = s.max()
		return
	}
	s.off = clamp(s.off, 0, s.max())
}

func (s *Scroll) max() int { return max(0, s.n-s.h) }

// By moves by d rows; reaching the end resumes following.
func (s *Scroll) By(d int) {
	s.off = clamp(s.off+d, 0, s.max())
	s.Follow = s.off == s.max()
}

// Page moves by d screenfuls (less one row, to keep context).
func (s *Scroll) Page(d int) { s.By(d * max(1, s.h-1)) }

// Key applies a page key (page up/down, top, bottom); it reports whether
// k was one.
func (s *Scroll) Key(keys *KeyMap, k tea.KeyPressMsg) bool {
	switch {
	case key.Matches(k, keys.PageUp):
		s.Page(-1)
	case key.Matches(k, keys.PageDown):
		s.Page(1)
	case key.Matches(k, keys.Top):
		s.Top()
	case key.Matches(k, keys.Bottom):
		s.Bottom()
	default:
		return false
	}
	return true
}

// Top and Bottom jump to either end.
func (s *Scroll) Top() { s.off, s.Follow = 0, s.max() == 0 }

// Bottom jumps to the end and follows.
func (s *Scroll) Bottom() { s.off, s.Follow = s.max(), true }

// Offset is the first visible row.
func (s Scroll) Offset() int { return s.off }

// Window is the visible rows [from, to).
func (s Scroll) Window() (from, to int) { return s.off, min(s.n, s.off+s.h) }

// AtEnd reports whether the last row is visible.
func (s Scroll) AtEnd() bool { return s.off >= s.max() }

func clamp(v, lo, hi int) int {
	if hi < lo {
		return lo
	}
	return max(lo, min(v, hi))
}
