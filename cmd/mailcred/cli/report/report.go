// Package report turns a session's findings — the JSON document of check,
// send or score — into something to hand a person: Markdown for a forum
// post or a provider's ticket (the sections a postmaster asks for: the IP,
// the exact reply, PTR/SPF/DKIM/DMARC state), or one self-contained HTML
// file in a theme's palette. It reads only the documented JSON (the
// schemas under cli/schemas), so a saved document can be reported later.
//
// Everything in a report came through the JSON, where passwords and DKIM
// keys never are; Options.Secrets masks anything else the caller knows to
// be secret, as a second line of defence.
package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mailcred/mailcred/scoring/safetext"
	"github.com/mailcred/mailcred/session/smtpc"
)

// Findings is the part of a check/send/score JSON document a report shows.
type Findings struct {
	SchemaVersion int      `json:"schema_version"`
	Domain        string   `json:"domain"`
	File          string   `json:"file"`
	Score         float64  `json:"score"`
	Max           float64  `json:"max"`
	Complete      *bool    `json:"complete"`
	Unchecked     []string `json:"unchecked"`
	SendingIPs    []string `json:"sending_ips"`
	Checks        []Check  `json:"checks"`
	Queries       []Query  `json:"queries"`
	Outcome       *Outcome `json:"outcome"`
	Transcript    []Event  `json:"transcript"`
	AuthResults   string   `json:"authentication_results"`
	Notes         []string `json:"notes"`
}

// Check is one check's result.
type Check struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Fix    *struct {
		Summary string `json:"summary"`
		Records []struct {
			Name, Type, Value string
		} `json:"records"`
		Snippet string `json:"snippet"`
		Manual  string `json:"manual"`
	} `json:"fix"`
}

// Query is one DNS question and its answer.
type Query struct {
	Name    string   `json:"name"`
	Type    string   `json:"type"`
	Server  string   `json:"server"`
	Rcode   string   `json:"rcode"`
	Outcome string   `json:"outcome"`
	Answers []string `json:"answers"`
	TTL     uint32   `json:"ttl"`
	Cached  bool     `json:"cached"`
}

// Outcome is what happened to a sent message.
type Outcome struct {
	Verdict     string   `json:"verdict"`
	Route       string   `json:"route"`
	Server      string   `json:"server"`
	RemoteAddr  string   `json:"remote_addr"`
	LocalAddr   string   `json:"local_addr"`
	HELO        string   `json:"helo"`
	Stage       string   `json:"stage"`
	Code        int      `json:"code"`
	Enhanced    string   `json:"enhanced"`
	Reply       []string `json:"reply"`
	Error       string   `json:"error"`
	Explanation *struct {
		Provider string   `json:"provider"`
		Category string   `json:"category"`
		Meaning  string   `json:"meaning"`
		Checks   []string `json:"checks"`
		Source   string   `json:"source"`
	} `json:"explanation"`
	TLS *struct {
		Version     string `json:"version"`
		CipherSuite string `json:"cipher_suite"`
		ServerName  string `json:"server_name"`
		Verified    bool   `json:"verified"`
		VerifyError string `json:"verify_error"`
		Subject     string `json:"subject"`
		Issuer      string `json:"issuer"`
		NotAfter    string `json:"not_after"`
	} `json:"tls"`
	DKIM *struct {
		Domain           string   `json:"domain"`
		Selector         string   `json:"selector"`
		Algorithm        string   `json:"algorithm"`
		Bits             int      `json:"bits"`
		Canonicalization string   `json:"canonicalization"`
		Headers          []string `json:"headers"`
		Offline          string   `json:"offline"`
		Published        []struct {
			Domain, Selector, Status, Explanation string
		} `json:"published"`
	} `json:"dkim"`
}

// Event is one line group of the SMTP transcript.
type Event struct {
	At     float64      `json:"at"`
	Kind   smtpc.Kind   `json:"kind"`
	Source smtpc.Source `json:"source"` // absent in older files: the wire
	Lines  []string     `json:"lines"`
}

// Options say how to write a report.
type Options struct {
	// Command names what produced the findings: "check", "send", "score".
	Command string
	// Generated is when the findings were made; Version is mailcred's.
	Generated time.Time
	Version   string
	// Secrets are values that must never appear (an SMTP password, a DQS
	// key): replaced by **** wherever they would.
	Secrets []string
	// Theme names the HTML palette (themes.Names); "" is default.
	Theme string
}

// maxDocument bounds a findings document read from a file.
const maxDocument = 32 << 20

// Parse reads a check/send/score JSON document.
func Parse(doc []byte) (*Findings, error) {
	if len(doc) > maxDocument {
		return nil, fmt.Errorf("findings document of %d bytes is over the %d-byte limit", len(doc), maxDocument)
	}
	var f Findings
	if err := json.Unmarshal(doc, &f); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			// The decoder's "invalid character 'F'…" says nothing useful
			// about a mail file or a log given by mistake.
			return nil, fmt.Errorf("not JSON (byte %d): give the output of check, send or score --format json", syntax.Offset)
		}
		return nil, fmt.Errorf("not a mailcred JSON document: %w", err)
	}
	if f.SchemaVersion == 0 {
		return nil, errors.New("no schema_version: not the output of check, send or score --format json")
	}
	if f.SchemaVersion != 1 {
		return nil, fmt.Errorf("schema_version %d: this mailcred reads version 1 (the output of check, send or score --format json)", f.SchemaVersion)
	}
	if f.Checks == nil && f.Outcome == nil {
		return nil, fmt.Errorf("no checks and no outcome: not the output of check, send or score")
	}
	return &f, nil
}

// Kind guesses the command from the document's shape.
func (f *Findings) Kind() string {
	switch {
	case f.Outcome != nil:
		return "send"
	case f.AuthResults != "":
		return "score"
	}
	return "check"
}

// check returns the result with the id, if any.
func (f *Findings) check(id string) *Check {
	for i := range f.Checks {
		if f.Checks[i].ID == id {
			return &f.Checks[i]
		}
	}
	return nil
}

// stateRow is one line of the "sender state" table a postmaster asks for.
type stateRow struct {
	What  string
	Check *Check
}

// state picks the checks a delisting desk asks about, in their order.
func (f *Findings) state() []stateRow {
	var rows []stateRow
	for _, r := range []struct{ what, id string }{
		{"PTR (reverse DNS)", "rdns.ptr"}, {"Forward-confirmed rDNS", "rdns.fcrdns"}, {"HELO name", "rdns.helo"},
		{"SPF record", "spf.record"}, {"SPF for the sending IP", "spf.result"},
		{"DKIM key record", "dkim.record"}, {"DKIM signature", "dkim.signature"},
		{"DMARC record", "dmarc.record"}, {"DMARC alignment", "dmarc.alignment"},
		{"IP blocklists", "blocklist.ip"}, {"Domain blocklists", "blocklist.domain"},
		{"TLS", "tls.starttls"}, {"Server reply", "smtp.response"},
	} {
		if c := f.check(r.id); c != nil {
			rows = append(rows, stateRow{r.what, c})
		}
	}
	return rows
}

// ips returns the sending IPs: the list given, else the local address of
// the connection.
func (f *Findings) ips() []string {
	if len(f.SendingIPs) > 0 {
		return f.SendingIPs
	}
	if f.Outcome != nil && f.Outcome.LocalAddr != "" {
		return []string{f.Outcome.LocalAddr}
	}
	return nil
}

// symbols mark statuses without colour, as the terminal output does.
var symbols = map[string]string{"pass": "✓", "warn": "!", "fail": "✗", "info": "i", "skip": "-", "error": "?", "pending": "…"}

func symbol(status string) string {
	if s, ok := symbols[status]; ok {
		return s
	}
	return "?"
}

// masker replaces the secrets and neutralises control and invisible
// characters (untrusted replies and DNS answers) in every string shown.
type masker []string

func (m masker) line(s string) string { return safetext.Line(m.mask(s), 0) }
func (m masker) text(s string) string { return safetext.Text(m.mask(s), 0) }

func (m masker) mask(s string) string {
	for _, secret := range m {
		if len(secret) >= 4 {
			s = strings.ReplaceAll(s, secret, "****")
		}
	}
	return s
}

// scoreLine says the score and whether it is complete.
func (f *Findings) scoreLine() string {
	if f.Complete == nil || *f.Complete {
		return fmt.Sprintf("%.1f/%g", f.Score, f.Max)
	}
	// As the command line says it: an incomplete score is an upper bound,
	// and with nothing judged there is no score at all.
	unchecked := fmt.Sprintf("%d check(s) could not be evaluated: %s", len(f.Unchecked), strings.Join(f.Unchecked, ", "))
	judged := slices.ContainsFunc(f.Checks, func(c Check) bool {
		return c.Status == "pass" || c.Status == "warn" || c.Status == "fail"
	})
	if !judged {
		return "no score: nothing could be checked (" + unchecked + ")"
	}
	return fmt.Sprintf("at most %.1f/%g (incomplete: %s)", f.Score, f.Max, unchecked)
}
