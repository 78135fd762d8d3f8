package panes

import (
	"strings"
	"testing"
)

// Address problems are in words, never net/mail's own error texts.
func TestAddressProblemsInWords(t *testing.T) {
	for value, want := range map[string]string{
		"Alice alice@example.com": "write Name <you@example.com>",
		"alice":                   "needs an @",
		"":                        "is empty",
		"<alice@example.com":      "a < without its >",
	} {
		c := NewCompose(testContext(), composeDraft(), nil)
		c.SetField(FieldFrom, value)
		_, _, problems := c.Draft(composeDraft())
		joined := strings.Join(problems, "; ")
		if !strings.Contains(joined, want) {
			t.Errorf("From %q: %q, want %q", value, joined, want)
		}
		if strings.Contains(joined, "mail: ") || strings.Contains(joined, "angle-addr") {
			t.Errorf("From %q: a raw Go error reached the user: %q", value, joined)
		}
	}
}
