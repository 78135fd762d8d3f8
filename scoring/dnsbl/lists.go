// Package dnsbl looks sending IPs and domains up on DNS blocklists
// (RFC 5782) and says what each answer means: listed and why, clean, or
// "could not check" because the list refused the resolver, the resolver
// rewrote the answer, or the query failed.
//
// The lists and their return codes are data (Catalogue), not code paths;
// Query asks several lists at once under a bound; HealthCheck asks a list
// for its RFC 5782 §5 test points; Checks turns it all into the
// blocklist.ip and blocklist.domain results.
package dnsbl

import (
	"net/netip"
	"strings"
)

// Kind says what a list lists.
type Kind int

// The kinds of list.
const (
	IPList     Kind = iota // IP addresses: reversed octets or nibbles before the zone
	DomainList             // domain names (RHSBL/URIBL/DBL): the name before the zone
)

// String returns "ip" or "domain".
func (k Kind) String() string {
	if k == DomainList {
		return "domain"
	}
	return "ip"
}

// Severity is what a listing means for the sender: whether receivers block
// on it or it only describes the network around the address.
type Severity int

// The severities, from the one that hurts most.
const (
	Blocking      Severity = iota // receivers reject or junk mail over it: the check fails
	Poor                          // a bad reputation signal that is not a block by itself: warn
	Informational                 // about the provider's range or ASN, or a neutral score: info
	Good                          // a positive reputation: pass
)

var severityNames = [...]string{"blocking", "poor", "informational", "good"}

// String returns the severity's lower-case name.
func (s Severity) String() string {
	if s >= 0 && int(s) < len(severityNames) {
		return severityNames[s]
	}
	return "unknown"
}

// worse reports whether s hurts more than o.
func (s Severity) worse(o Severity) bool { return s < o }

// Code is one exact return code of a list and what it means.
type Code struct {
	Addr     netip.Addr
	Meaning  string
	Severity Severity
}

// Bit is one bit of the last octet for lists that answer with a bitmask
// (SURBL, URIBL): an answer 127.0.0.X sets several of them at once.
type Bit struct {
	Mask     byte
	Meaning  string
	Severity Severity
}

// Refusal is an answer that is NOT a listing: the operator's way of saying
// it will not answer this resolver (public resolver, rate limit, wrong zone,
// wrong kind of query). A refusal means "could not check", never "listed".
type Refusal struct {
	Addr netip.Addr
	// Cause is the fact in a few words, for a title: "wrong zone name
	// (typo, or no such list)" is not "refused".
	Cause  string
	Reason string // what the code means
	Remedy string // what to do about it
	Link   string // where the operator explains it, if known
}

// List is one blocklist: where to ask, what its answers mean, and what to
// do about a listing. Everything a check says about a list comes from here.
type List struct {
	Name string // as people call it: "Spamhaus ZEN"
	Zone string // the DNS zone queried: "zen.spamhaus.org"
	Kind Kind
	// IPv6 says whether the list publishes IPv6 data (RFC 5782 nibble
	// queries); an IPv6 address is not asked of a list that does not.
	IPv6 bool
	// Default is the severity of a listing with a code the table does not
	// know; it is also the list's role (UCEPROTECT L2/L3 are informational).
	Default Severity
	Codes   []Code // exact return codes
	Bits    []Bit  // bitmask meanings of the last octet of 127.0.0.X answers
	// Refusals are the operator's error codes; ErrorRange, when valid,
	// makes every other code in it an error too (Spamhaus reserves
	// 127.255.255.0/24 for errors).
	Refusals   []Refusal
	ErrorRange netip.Prefix
	// TestListed and TestClean are the RFC 5782 §5 test points (an IP or a
	// domain, queried like any target): the first must be listed, the
	// second must not. Empty means the list has no documented test point.
	TestListed, TestClean string
	Delist                string // the page where removal is requested (a URL)
	DelistNote            string // how removal works: self-service, expiry, provider only
	Terms                 string // conditions of free use
	Source                string // where the facts come from (the operator's pages)
}

// String returns the list's name and zone.
func (l List) String() string { return l.Name + " (" + l.Zone + ")" }

// supports reports whether the list can be asked about the target, and if
// not, why not.
func (l List) supports(t target) (bool, string) {
	switch {
	case t.isIP() && l.Kind == DomainList:
		return false, "lists domains, not IP addresses"
	case !t.isIP() && l.Kind == IPList:
		return false, "lists IP addresses, not domains"
	case t.isIP() && t.ip.Is6() && !l.IPv6:
		return false, "publishes no IPv6 data"
	}
	return true, ""
}

// Filter returns the lists of one kind, in catalogue order.
func Filter(lists []List, kind Kind) []List {
	var out []List
	for _, l := range lists {
		if l.Kind == kind {
			out = append(out, l)
		}
	}
	return out
}

// dqsKeyLen is the length of a Spamhaus DQS key (docs.spamhaus.com, DQS).
const dqsKeyLen = 26

// UseDQS returns a copy of lists in which the public Spamhaus zones are
// replaced by their Data Query Service zones, <key>.<zone>.dq.spamhaus.net,
// which answer from cloud and public resolvers too. Other lists are kept
// as they are. A key of the wrong shape changes nothing and returns false.
func UseDQS(lists []List, key string) ([]List, bool) {
	out := append([]List(nil), lists...)
	if !ValidDQSKey(key) {
		return out, false
	}
	for i, l := range out {
		if short, ok := strings.CutSuffix(l.Zone, ".spamhaus.org"); ok {
			out[i].Zone = strings.ToLower(key) + "." + short + ".dq.spamhaus.net"
			out[i].Name = l.Name + " (DQS)"
			out[i].Refusals = append(append([]Refusal(nil), l.Refusals...), dqsRefusals()...)
		}
	}
	return out, true
}

// dqsRefusals are the codes the DQS zones answer for a key they do not
// accept, for any query made with it. Spamhaus's zone table ("Available
// Zones", docs.spamhaus.com) lists them last, as the codes of invalid DQS
// keys; the meaning of each is as DQS client code reads them (disabled;
// not accepted for this account), the exact wording unverified.
func dqsRefusals() []Refusal {
	remedy := "Check the key in the Spamhaus DQS portal (it is 26 letters and digits) and that the account is active; " +
		"meanwhile the Spamhaus lists are not checked."
	return []Refusal{
		{
			Addr:   addr4(127, 255, 255, 250),
			Cause:  "refused: the DQS key is disabled",
			Reason: "Spamhaus DQS error 127.255.255.250: the DQS key is disabled or unknown",
			Remedy: remedy,
		},
		{
			Addr:   addr4(127, 255, 255, 251),
			Cause:  "refused: the DQS key is not accepted",
			Reason: "Spamhaus DQS error 127.255.255.251: the DQS key is not accepted (in use by another account, or revoked)",
			Remedy: remedy,
		},
	}
}

// ValidDQSKey reports whether key has the shape of a DQS key: 26 letters
// and digits, one DNS label that cannot rewrite the name asked.
func ValidDQSKey(key string) bool {
	return len(key) == dqsKeyLen && strings.Trim(strings.ToLower(key), "abcdefghijklmnopqrstuvwxyz0123456789") == ""
}
