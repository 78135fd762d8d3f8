package receive

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/mailcred/mailcred/scoring"
)

// receive's JSON says complete/unchecked like check, score and send.
func TestReportJSONSaysCompleteAndUnchecked(t *testing.T) {
	for _, tc := range []struct {
		score scoring.Score
		want  string
	}{
		{scoring.Score{Value: 10, Max: 10}, `"complete":true,"unchecked":[]`},
		{scoring.Score{Value: 9, Max: 10, Incomplete: true, Unchecked: []string{"spf.result"}}, `"complete":false,"unchecked":["spf.result"]`},
	} {
		b, err := json.Marshal(Report{Score: tc.score, Rcpts: []string{"a@example.org"}})
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		if !strings.Contains(s, tc.want) || strings.Contains(s, `"incomplete"`) || !strings.Contains(s, `"score":`) || !strings.Contains(s, `"rcpts":["a@example.org"]`) {
			t.Errorf("%s", s)
		}
	}
}
