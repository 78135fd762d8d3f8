package report

import (
	"strings"
	"testing"
)

// The report says the score as the command line does: complete, an
// upper bound when something could not be checked, and no score at all
// when nothing was judged (a resolver that answered nothing).
func TestScoreLine(t *testing.T) {
	no, yes := false, true
	for _, tc := range []struct {
		name    string
		f       Findings
		want    string
		mustNot string
	}{
		{"complete", Findings{Score: 8.5, Max: 10, Complete: &yes, Checks: []Check{{ID: "spf.record", Status: "fail"}}}, "8.5/10", "incomplete"},
		{"incomplete", Findings{Score: 9, Max: 10, Complete: &no, Unchecked: []string{"dmarc.record"},
			Checks: []Check{{ID: "spf.record", Status: "pass"}, {ID: "dmarc.record", Status: "error"}}},
			"at most 9.0/10 (incomplete: 1 check(s) could not be evaluated: dmarc.record)", ""},
		{"nothing judged", Findings{Score: 10, Max: 10, Complete: &no, Unchecked: []string{"spf.record", "dmarc.record"},
			Checks: []Check{{ID: "spf.record", Status: "error"}, {ID: "dkim.key-match", Status: "skip"}, {ID: "dmarc.record", Status: "error"}}},
			"no score: nothing could be checked (2 check(s)", "10.0"},
	} {
		got := tc.f.scoreLine()
		if !strings.HasPrefix(got, tc.want) || (tc.mustNot != "" && strings.Contains(got, tc.mustNot)) {
			t.Errorf("%s: %q, want it to start %q", tc.name, got, tc.want)
		}
	}
}
