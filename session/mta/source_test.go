package mta

import (
	"testing"

	"github.com/mailcred/mailcred/session/smtpc"
)

// TestEventsSayTheyAreTheMTAs: every event the exim parser and the
// postfix follower make is marked as that MTA's own (its "**" lines
// included), so a transcript never shows them as mailcred's notes.
func TestEventsSayTheyAreTheMTAs(t *testing.T) {
	for _, name := range []string{"delivered.txt", "bounced-frozen-bounce.txt"} {
		_, events := parseFile(t, name)
		if len(events) == 0 {
			t.Fatalf("%s: no events", name)
		}
		for _, e := range events {
			if e.Source != smtpc.FromExim {
				t.Errorf("%s: %v event %q from %v, want exim", name, e.Kind, e.Lines, e.Source)
			}
		}
	}
	_, events := follow(postfixLog("4F1A2B3C4D", "m1@sender.test", "5.7.1, status=bounced", "host mx.x.test[192.0.2.9] said: 550 5.7.1 no (in reply to RCPT TO command)"), "m1@sender.test")
	if len(events) == 0 {
		t.Fatal("postfix: no events")
	}
	for _, e := range events {
		if e.Source != smtpc.FromPostfix {
			t.Errorf("postfix: %v event %q from %v", e.Kind, e.Lines, e.Source)
		}
	}
}
