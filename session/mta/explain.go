package mta

import (
	_ "embed"
	"fmt"
	"regexp"

	"go.yaml.in/yaml/v3"
)

//go:embed data/failures.yaml
var failuresYAML []byte

// Failure explains a failure on the MTA's side — a frozen message, a retry
// not yet due, a network the host cannot reach — as a remote reply is
// explained.
type Failure struct {
	ID      string   `yaml:"id" json:"id"`
	MTA     Kind     `yaml:"mta" json:"mta,omitempty"`
	Status  string   `yaml:"status" json:"status,omitempty"`
	Match   string   `yaml:"match" json:"-"`
	Meaning string   `yaml:"meaning" json:"meaning"`
	Fix     string   `yaml:"fix" json:"fix"`
	Checks  []string `yaml:"checks" json:"checks"`
	Source  string   `yaml:"source" json:"source"`

	re *regexp.Regexp
}

// Failures is the loaded explanation data.
type Failures struct{ entries []Failure }

// LoadFailures parses the embedded data.
func LoadFailures() (*Failures, error) { return parseFailures(failuresYAML) }

func parseFailures(data []byte) (*Failures, error) {
	var doc struct {
		Entries []Failure `yaml:"entries"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("mta failures: %w", err)
	}
	for i := range doc.Entries {
		e := &doc.Entries[i]
		if e.ID == "" || e.Meaning == "" || e.Fix == "" || e.Source == "" {
			return nil, fmt.Errorf("mta failures: entry %d (%q) lacks id, meaning, fix or source", i, e.ID)
		}
		if e.Status != "" && !validStatus(e.Status) {
			return nil, fmt.Errorf("mta failures: %s: unknown status %q", e.ID, e.Status)
		}
		re, err := regexp.Compile("(?i)" + e.Match)
		if err != nil {
			return nil, fmt.Errorf("mta failures: %s: %w", e.ID, err)
		}
		e.re = re
	}
	return &Failures{entries: doc.Entries}, nil
}

func validStatus(s string) bool {
	for _, n := range statusNames {
		if n == s {
			return true
		}
	}
	return false
}

// Explain returns the first entry matching the result's MTA, status and
// reason, or nil: a delivered message, or a failure the data does not
// know (the remote reply, when there is one, is explained on its own).
func (f *Failures) Explain(r Result) *Failure {
	if f == nil || r.Status == StatusDelivered || r.Status == StatusUnknown {
		return nil
	}
	for i := range f.entries {
		e := &f.entries[i]
		if e.MTA != "" && e.MTA != r.Kind {
			continue
		}
		if e.Status != "" && e.Status != r.Status.String() {
			continue
		}
		if e.Match != "" && !e.re.MatchString(r.Reason) {
			continue
		}
		if e.Match == "" && r.Reply.Code != 0 && r.Status != StatusFrozen {
			continue // a generic entry; the remote reply says more
		}
		c := *e
		c.Checks = append([]string(nil), e.Checks...)
		return &c
	}
	return nil
}
