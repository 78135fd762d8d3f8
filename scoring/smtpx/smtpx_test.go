package smtpx

import (
	"encoding/json"
	"testing"
)

func TestStageNamesAndKeysRoundTrip(t *testing.T) {
	if got := len(Stages()); got != 9 {
		t.Fatalf("%d stages, want 9 (connect to QUIT)", got)
	}
	for _, s := range Stages() {
		for _, text := range []string{s.Key(), s.String()} {
			if got, ok := ParseStage(text); !ok || got != s {
				t.Errorf("ParseStage(%q) = %v %v, want %v", text, got, ok, s)
			}
		}
		b, err := json.Marshal(s)
		var back Stage
		if err != nil || json.Unmarshal(b, &back) != nil || back != s {
			t.Errorf("%v: JSON %s round-trips to %v (%v)", s, b, back, err)
		}
	}
	if s, ok := ParseStage("END_OF_DATA"); !ok || s != EndOfData {
		t.Errorf("END_OF_DATA: %v %v", s, ok)
	}
	if _, ok := ParseStage("greeting-ish"); ok {
		t.Error("an unknown stage parsed")
	}
	if EndOfData.String() != "end of data" || EndOfData.Key() != "end-of-data" || NoStage.String() != "" {
		t.Error("names changed: transcripts, JSON and the explanation data use them")
	}
	if MAIL >= RCPT || Connect >= EHLO || DATA >= EndOfData {
		t.Error("stages must be in conversation order")
	}
}

func TestOutcomes(t *testing.T) {
	for code, want := range map[int]Outcome{250: Accepted, 354: Accepted, 421: Deferred, 450: Deferred, 550: Rejected, 554: Rejected, 0: NoOutcome, 199: NoOutcome, 600: NoOutcome} {
		if got := OutcomeOf(code); got != want {
			t.Errorf("OutcomeOf(%d) = %v, want %v", code, got, want)
		}
	}
	for _, o := range []Outcome{Accepted, Deferred, Rejected, Failed, Frozen} {
		b, _ := json.Marshal(o)
		var back Outcome
		if err := json.Unmarshal(b, &back); err != nil || back != o {
			t.Errorf("%v: JSON %s round-trips to %v (%v)", o, b, back, err)
		}
	}
	if Failed.String() != "error" {
		t.Error(`Failed is written "error" in JSON outputs`)
	}
	var o Outcome
	if o.UnmarshalText([]byte("maybe")) == nil {
		t.Error("an unknown outcome parsed")
	}
}
