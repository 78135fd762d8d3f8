package scoring

import "testing"

// The tester's deductions and the score are the same arithmetic.
func TestCostAndCompute(t *testing.T) {
	w := Weights{"a": 1, "b": 2, "c": 4}
	results := []Result{{ID: "a", Status: Fail}, {ID: "b", Status: Warn}, {ID: "c", Status: Error}, {ID: "d", Status: Fail}}
	want := []float64{1, 1, 0, 0}
	total := 0.0
	for i, r := range results {
		if got := w.Cost(r); got != want[i] {
			t.Errorf("Cost(%s %v) = %g, want %g", r.ID, r.Status, got, want[i])
		}
		total += w.Cost(r)
	}
	s := w.Compute(results)
	if s.Value != 10-total || !s.Incomplete || len(s.Unchecked) != 1 || s.Unchecked[0] != "c" {
		t.Errorf("Compute = %+v, want %g incomplete with c unchecked", s, 10-total)
	}
}

// Judged says whether anything passed, warned or failed: a run of only
// errors and skips has no score, whatever Value says.
func TestComputeJudged(t *testing.T) {
	w := Weights{"a": 1, "b": 1}
	if s := w.Compute([]Result{{ID: "a", Status: Error}, {ID: "b", Status: Skip}}); s.Judged || s.Value != 10 {
		t.Errorf("errors and skips: %+v, want not judged", s)
	}
	for _, st := range []Status{Pass, Warn, Fail} {
		if s := w.Compute([]Result{{ID: "a", Status: Error}, {ID: "b", Status: st}}); !s.Judged {
			t.Errorf("with a %s: %+v, want judged", st, s)
		}
	}
}
