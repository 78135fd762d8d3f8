// Package scoring holds the vocabulary every check shares — Status, Result,
// Fix, Evidence — and the machinery that runs checks concurrently, streams
// their results and turns them into a score out of ten.
//
// The checks themselves live in one sub-package per subject (spf, dkim,
// dmarc, dnsbl, rdns, mx); scoring/catalog assembles them.
package scoring

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/mailcred/mailcred/scoring/dnsx"
)

// Status is the verdict of one check.
type Status int

// The statuses, in the order a person cares about them. Error means "could
// not check" (timeout, SERVFAIL, a blocklist refusing to answer): it is never
// a failure and never a pass.
const (
	Pending Status = iota
	Pass
	Info
	Skip
	Warn
	Fail
	Error
)

var statusNames = [...]string{"pending", "pass", "info", "skip", "warn", "fail", "error"}

func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("status(%d)", int(s))
}

// ParseStatus is the inverse of String.
func ParseStatus(name string) (Status, error) {
	for i, n := range statusNames {
		if n == name {
			return Status(i), nil
		}
	}
	return Pending, fmt.Errorf("unknown status %q", name)
}

// MarshalJSON writes the status as its lower-case name.
func (s Status) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// UnmarshalJSON reads a status name.
func (s *Status) UnmarshalJSON(b []byte) error {
	var name string
	if err := json.Unmarshal(b, &name); err != nil {
		return err
	}
	v, err := ParseStatus(name)
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Worse reports whether s is a worse verdict than o, for rolling several
// sub-verdicts into one (fail beats warn beats pass; error beats pass but
// not fail, since a definite failure is more useful to show).
func (s Status) Worse(o Status) bool { return severity[s] > severity[o] }

var severity = map[Status]int{Pending: 0, Skip: 1, Pass: 2, Info: 3, Warn: 4, Error: 5, Fail: 6}

// Fix is what to do about a result that is not a pass: a DNS record to
// publish, a configuration snippet, a page to read. Mox calls these
// instructions; a bare boolean helps nobody.
//
// Records are published exactly as printed (ZoneLine) in the zone their
// names belong to; publishing them and checking again makes the check pass
// (scoring/fixproof proves it). A fix that cannot be applied that way says
// so in Manual: who must act and where ("set at your VPS provider's
// panel", "the MTA's configuration").
type Fix struct {
	Summary string      `json:"summary"`
	Records []DNSRecord `json:"records,omitempty"`
	Snippet string      `json:"snippet,omitempty"`
	Link    string      `json:"link,omitempty"`
	Manual  string      `json:"manual,omitempty"`
}

// DNSRecord is one record to publish, with its value already split into
// character-strings of at most 255 bytes (RFC 7208 §3.3, RFC 6376 §3.6.2.2).
type DNSRecord struct {
	Name    string   `json:"name"`
	Type    string   `json:"type"`
	Value   string   `json:"value"`
	Strings []string `json:"strings,omitempty"`
}

// TXTRecord builds a DNSRecord for a TXT value, split for zone files.
func TXTRecord(name, value string) DNSRecord {
	return DNSRecord{Name: name, Type: "TXT", Value: value, Strings: SplitTXT(value)}
}

// SplitTXT splits a TXT value into character-strings of at most 255 bytes.
func SplitTXT(value string) []string {
	var out []string
	for len(value) > 255 {
		out = append(out, value[:255])
		value = value[255:]
	}
	return append(out, value)
}

// ZoneLine renders the record as one master-file line.
func (r DNSRecord) ZoneLine() string {
	if r.Type != "TXT" {
		return fmt.Sprintf("%s. IN %s %s", trimDot(r.Name), r.Type, r.Value)
	}
	line := fmt.Sprintf("%s. IN TXT", trimDot(r.Name))
	for _, s := range r.Strings {
		line += fmt.Sprintf(" %q", s)
	}
	return line
}

func trimDot(s string) string {
	for len(s) > 0 && s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	return s
}

// Result is what one check says.
type Result struct {
	ID      string        `json:"id"`
	Status  Status        `json:"status"`
	Title   string        `json:"title"`
	Detail  string        `json:"detail,omitempty"`
	Fix     *Fix          `json:"fix,omitempty"`
	Queries []dnsx.Query  `json:"queries,omitempty"`
	Elapsed time.Duration `json:"elapsed_ns"`
}
