package demo

import (
	"strings"
	"testing"
)

// Text shown to users (scenario titles, fixes, the world's news) is
// written for them: no notes meant for the developers, no pointers to
// documents outside the repository.
func TestUserTextHasNoDeveloperNotes(t *testing.T) {
	bad := []string{"DESIGN.md", "knowledge.md", "story's", "the story that", "omitted headers", "developer"}
	check := func(where, text string) {
		for _, b := range bad {
			if strings.Contains(text, b) {
				t.Errorf("%s: %q contains %q", where, text, b)
			}
		}
	}
	for _, s := range Scenarios() {
		check("scenario "+s.Name, s.Title+" "+s.Problem)
	}
	w, _ := startWorld(t, "story")
	for _, f := range w.Fixes() {
		check("fix "+f.ID, f.Title+" "+f.Detail)
	}
	for _, id := range []string{"gmail", "tester"} {
		send(t, w, id)
	}
	for _, e := range w.Log() {
		check("event", e.Text)
	}
	if rep := w.TesterReport(); rep != nil {
		for _, r := range rep.Results {
			text := r.Title + " " + r.Detail
			if r.Fix != nil {
				text += " " + r.Fix.Summary
			}
			check("tester result "+r.ID, text)
		}
	}
}
