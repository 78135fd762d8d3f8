package explain

import (
	"reflect"
	"strings"
	"testing"

	"github.com/mailcred/mailcred/scoring/smtpx"
)

// FuzzExplain feeds arbitrary replies and stages to Explain and
// ParseEnhanced. Nothing may panic; the outcome is one of the three; the
// checks are catalogue ids; the same input explains the same way twice.
// Seeds: every table reply, plus testdata/fuzz/FuzzExplain.
func FuzzExplain(f *testing.F) {
	for _, tc := range allCases() {
		f.Add(parseCode(tc.text), "", tc.text, tc.stage.Key())
	}
	kb, err := Load()
	if err != nil {
		f.Fatal(err)
	}
	known := map[string]bool{"smtp.response": true}
	for _, e := range kb.entries {
		for _, c := range e.checks {
			known[c] = true
		}
	}
	f.Fuzz(func(t *testing.T, code int, enhanced, text, stage string) {
		r := Reply{Code: code, Enhanced: enhanced, Lines: lines(text)}
		st, _ := kb.ParseStage(stage)
		got := kb.Explain(r, st)
		switch got.Outcome {
		case smtpx.Accepted, smtpx.Deferred, smtpx.Rejected:
		default:
			t.Fatalf("outcome %q", got.Outcome)
		}
		if got.Meaning == "" || got.Category == "" || got.Provider == "" {
			t.Fatalf("incomplete explanation %+v", got)
		}
		for _, c := range got.Checks {
			if !known[c] {
				t.Fatalf("check %q is not in the catalogue", c)
			}
		}
		if again := kb.Explain(r, st); !reflect.DeepEqual(again, got) {
			t.Fatalf("not deterministic:\n%+v\n%+v", got, again)
		}
		if e := ParseEnhanced(text); e != "" {
			if _, _, ok := cutEnhanced(e); !ok || !strings.Contains(text, e) {
				t.Fatalf("ParseEnhanced(%q) = %q, not a status code from the text", text, e)
			}
		}
	})
}
