package report

import (
	"encoding/json"
	"net/netip"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnsx"
	"github.com/mailcred/mailcred/session"
)

// FromSession collects findings from live values rather than a saved
// document — what the workbench holds: the last run's results and score,
// its DNS log, and the last send (nil before one). It goes through the
// same JSON as `mailcred send --format json`, so both reports agree.
//
// queries nil takes the checks' own queries, each question once.
func FromSession(domain string, results []scoring.Result, score scoring.Score, queries []dnsx.Query, sent *session.Sent) (*Findings, error) {
	if queries == nil {
		type question struct{ name, qtype string }
		seen := map[question]bool{}
		for _, r := range results {
			for _, q := range r.Queries {
				if k := (question{q.Name, q.Type}); !seen[k] {
					seen[k] = true
					queries = append(queries, q)
				}
			}
		}
	}
	doc := map[string]any{
		"schema_version": 1, "domain": domain, "score": score.Value, "max": score.Max,
		"complete": !score.Incomplete, "unchecked": score.Unchecked, "checks": results, "queries": queries,
	}
	if results == nil {
		doc["checks"] = []scoring.Result{}
	}
	if sent != nil && sent.Outcome != nil {
		doc["outcome"] = sent.Outcome
		doc["transcript"] = session.TranscriptJSON(sent.Outcome.Transcript)
		doc["sending_ips"] = addrs(sent.Evidence.IPs)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	return Parse(b)
}

func addrs(ips []netip.Addr) []string {
	out := make([]string, len(ips))
	for i, ip := range ips {
		out[i] = ip.String()
	}
	return out
}
