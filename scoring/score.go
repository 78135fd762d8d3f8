package scoring

import "math"

// Weights says how many points out of ten a check costs when it fails; a
// warning costs half. Knowledge as data: the README documents this table.
type Weights map[string]float64

// DefaultWeights is the table the README documents. The sum of the DNS
// checks up to ipv6.ready is 10, so a setup that fails every one scores 0.
// MTA-STS and TLS-RPT protect mail *to* the domain: absent they are
// information, published but broken they deduct on top; DANE and BIMI
// are information only.
var DefaultWeights = Weights{
	"spf.record":       1.5,
	"spf.lookups":      0.5,
	"spf.all":          0.5,
	"spf.result":       1.5,
	"dkim.record":      1.0,
	"dkim.key-match":   0.5,
	"dmarc.record":     1.0,
	"dmarc.reporting":  0.25,
	"rdns.ptr":         0.75,
	"rdns.fcrdns":      0.5,
	"rdns.helo":        0.25,
	"blocklist.ip":     1.0,
	"blocklist.domain": 0.25,
	"mx.record":        0.25,
	"ipv6.ready":       0.25,
	"mtasts.policy":    0.25,
	"tlsrpt.record":    0.25,
	"dane.tlsa":        0,
	"bimi.record":      0,
	// Message and session checks join with their own weights.
	"headers.to":         1.2,
	"headers.from":       1.0,
	"headers.date":       0.5,
	"headers.message-id": 0.5,
	"headers.subject":    0.25,
	"headers.mime":       0.25,
	"message.format":     0.5,
	"dkim.signature":     1.0,
	"dmarc.alignment":    1.0,
	"tls.starttls":       0.5,
	"smtp.response":      0,
}

// Score is the outcome of a run out of Max.
type Score struct {
	Value float64 `json:"score"`
	Max   float64 `json:"max"`
	// Incomplete is true when some check could not be evaluated (status
	// error) or is still pending: the value is then an upper bound.
	Incomplete bool `json:"incomplete"`
	// Unchecked lists the IDs of those checks, in result order.
	Unchecked []string `json:"unchecked,omitempty"`
	// Judged: some check passed, warned or failed. Without one (a
	// resolver that answers nothing) there is no score to show, only
	// Value's 10 minus nothing.
	Judged bool `json:"-"`
}

// Cost is what r deducts: its weight when it failed, half of it for a
// warning, nothing otherwise (an error or a pending check is unknown, not
// a deduction).
func (w Weights) Cost(r Result) float64 {
	switch r.Status {
	case Fail:
		return w[r.ID]
	case Warn:
		return w[r.ID] / 2
	}
	return 0
}

// Compute deducts each failing check's weight (half for a warning) from 10.
// Errors and pending checks deduct nothing and mark the score incomplete.
func (w Weights) Compute(results []Result) Score {
	s := Score{Value: 10, Max: 10}
	for _, r := range results {
		s.Value -= w.Cost(r)
		switch r.Status {
		case Error, Pending:
			s.Incomplete = true
			s.Unchecked = append(s.Unchecked, r.ID)
		case Pass, Warn, Fail:
			s.Judged = true
		}
	}
	s.Value = math.Max(0, math.Round(s.Value*10)/10)
	return s
}
