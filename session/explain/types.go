package explain

import "github.com/mailcred/mailcred/scoring/smtpx"

// Reply is one SMTP reply as received.
type Reply struct {
	// Code is the basic reply code (RFC 5321 §4.2). When it is 0, Explain
	// reads it from the start of the first line.
	Code int
	// Enhanced is the RFC 3463 status code ("5.7.26"). When it is empty or
	// malformed, Explain reads it from the start of the first line
	// (ParseEnhanced).
	Enhanced string
	// Lines are the reply's lines as received (smtpc.Reply.Lines). They
	// may keep their "550-5.7.26 " prefixes or not; matching ignores them.
	Lines []string
}

// Explanation is what a reply means for the sender, ready to show.
type Explanation struct {
	// Outcome is smtpx.Accepted, Deferred or Rejected.
	Outcome smtpx.Outcome `json:"outcome"`
	// Stage is the stage the reply answered.
	Stage smtpx.Stage `json:"stage"`
	// Code and Enhanced are the reply codes Explain worked from (parsed from
	// the text when the Reply did not carry them); Enhanced is "" if none.
	Code     int    `json:"code"`
	Enhanced string `json:"enhanced,omitempty"`
	// EntryID names the knowledge entry that matched ("outlook.s3140"); it
	// is "" when only a generic RFC fallback matched.
	EntryID  string `json:"entry_id,omitempty"`
	Provider string `json:"provider"`
	// Category is the likely cause: auth, rdns, dnsbl, provider-block,
	// throttle, content, ipv6, tls, format, recipient, sender, policy,
	// system or accepted (data/schema.yaml describes each).
	Category string `json:"category"`
	Meaning  string `json:"meaning"`
	// RulesOut says what the stage rules out ("Refused at MAIL FROM, before
	// any content was sent: ..."); "" for an accepted reply or an unknown
	// stage.
	RulesOut string `json:"rules_out,omitempty"`
	// Checks are the related check ids of the catalogue, minus those the
	// stage rules out (no dkim.signature for a refusal at MAIL FROM).
	Checks []string `json:"checks"`
	Fix    string   `json:"fix,omitempty"`
	Link   string   `json:"link,omitempty"`
	// Source cites where the entry's facts come from.
	Source string `json:"source"`
}
