package demo

import (
	"strings"
	"testing"
)

// The world's news is for people: a refusal says who refused what, never
// the world's internal rule ids (gmail.ipv6-guidelines, …).
func TestEventsCarryNoRuleIDs(t *testing.T) {
	w, _ := startWorld(t, "story")
	for _, id := range []string{"gmail", "outlook", "gmx"} {
		send(t, w, id)
	}
	refusals := 0
	for _, e := range w.Log() {
		if e.Kind == EventRefused {
			refusals++
		}
		for rule := range replyTable() {
			if strings.Contains(e.Text, rule) {
				t.Errorf("event %q names the rule %q", e.Text, rule)
			}
		}
	}
	if refusals == 0 {
		t.Fatal("the story's sends were not refused: the test saw no refusal to check")
	}
}
