package demo

import (
	"crypto"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/mailcred/mailcred/scoring/dkim"
	"github.com/mailcred/mailcred/scoring/spf"
)

// The scenarios' names, as `mailcred demo --scenario` takes them.
const (
	ScenarioStory          = "story"
	ScenarioSPFLookups     = "spf-lookups"
	ScenarioWeakDKIM       = "weak-dkim"
	ScenarioBlocklisted    = "blocklisted"
	ScenarioPublicResolver = "public-resolver"
)

// ErrUnknownScenario is returned by Start for a name Scenarios does not list.
var ErrUnknownScenario = errors.New("unknown scenario")

// Scenario describes a starting state of the world.
type Scenario struct {
	Name    string
	Title   string
	Problem string   // what is wrong at the start, for a help text
	Fixes   []string // the ids of the fixes that clear it, in a sensible order
}

// scenario is a Scenario with what it takes to build it.
type scenario struct {
	Scenario
	keys  map[string]int // selector → RSA bits of the keys made at start
	start func(keys map[string]crypto.Signer) (state, error)
}

// Scenarios lists the starting states, "story" first.
func Scenarios() []Scenario {
	var out []Scenario
	for _, s := range scenarioTable() {
		s.Fixes = append([]string(nil), s.Fixes...)
		out = append(out, s.Scenario)
	}
	return out
}

// scenarioTable is the scenarios as data, built afresh on each call.
//
// Every scenario but the story starts from healthy(): a sender whose
// checks all pass, with one thing broken.
func scenarioTable() []scenario {
	return []scenario{
		{
			Scenario: Scenario{
				Name:  ScenarioStory,
				Title: "A fresh VPS: nothing set up yet, and the providers refuse",
				Problem: "No SPF, DKIM or DMARC; IPv6 sending on without a PTR (Gmail refuses); no PTR for the " +
					"IPv4 address either (GMX refuses at the greeting); Outlook blocks the IP (S3140); the draft has no To:.",
				Fixes: []string{"ipv6.disable", "spf.publish", "rdns.ptr4", "outlook.delist", "dkim.publish",
					"draft.to", "dmarc.publish", "dmarc.reject", "rdns.ptr6"},
			},
			keys: map[string]int{"s1": 2048},
			start: func(keys map[string]crypto.Signer) (state, error) {
				return state{ipv6: true, selector: "s1", dkim: map[string]string{}, extra: map[string]string{},
					outlookBlock: true, omitTo: true}, nil
			},
		},
		{
			Scenario: Scenario{
				Name:  ScenarioSPFLookups,
				Title: "An SPF record over the 10-lookup limit",
				Problem: "example.com includes four third-party senders whose records include two more each: " +
					"12 DNS lookups, so check_host() ends in permerror before it reaches the server's own ip4: term.",
				Fixes: []string{"spf.flatten"},
			},
			keys: map[string]int{"s1": 2048},
			start: func(keys map[string]crypto.Signer) (state, error) {
				s, err := healthy(keys)
				if err != nil {
					return s, err
				}
				s.spf, s.extra = thirdPartySPF()
				return s, nil
			},
		},
		{
			Scenario: Scenario{
				Name:    ScenarioWeakDKIM,
				Title:   "A 1024-bit DKIM key",
				Problem: "The published key at s1._domainkey.example.com is RSA-1024: still accepted, but below the 2048 bits RFC 8301 recommends.",
				Fixes:   []string{"dkim.rotate"},
			},
			// 1024, not 512: keygen (RFC 8301 §3.2) and Go's crypto/rsa
			// refuse to make keys under 1024 bits, and receivers ignore a
			// 512-bit signature, which would show a different problem.
			keys:  map[string]int{"s1": 1024, "s2": 2048},
			start: healthy,
		},
		{
			Scenario: Scenario{
				Name:    ScenarioBlocklisted,
				Title:   "The IP listed on Spamhaus ZEN",
				Problem: "192.0.2.25 is on Spamhaus ZEN (127.0.0.2, SBL); Outlook refuses it at MAIL FROM.",
				Fixes:   []string{"blocklist.delist"},
			},
			keys: map[string]int{"s1": 2048},
			start: func(keys map[string]crypto.Signer) (state, error) {
				s, err := healthy(keys)
				s.zenListed = true
				return s, err
			},
		},
		{
			Scenario: Scenario{
				Name:  ScenarioPublicResolver,
				Title: "Blocklists refusing a public resolver",
				Problem: "Every blocklist answers with its public-resolver refusal code (Spamhaus 127.255.255.254), " +
					"as when the host uses 8.8.8.8: the blocklist checks cannot tell listed from clean.",
				Fixes: []string{"resolver.local"},
			},
			keys: map[string]int{"s1": 2048},
			start: func(keys map[string]crypto.Signer) (state, error) {
				s, err := healthy(keys)
				s.refuseLists = true
				return s, err
			},
		},
	}
}

// healthy is a sender whose every check passes: IPv4 sending with a
// forward-confirmed PTR, SPF for both addresses, DKIM signing with s1,
// DMARC p=reject with reports, a draft with To:. IPv6 is off in the MTA
// (its PTR was never set, so turning it on is a ready-made way to break
// Gmail in front of an audience).
func healthy(keys map[string]crypto.Signer) (state, error) {
	rec, err := keyRecord(keys, "s1")
	if err != nil {
		return state{}, err
	}
	return state{
		ptr4:     true,
		spf:      spf.NewRecord([]netip.Addr{senderIPv4(), senderIPv6()}),
		extra:    map[string]string{},
		dkim:     map[string]string{"s1": rec},
		selector: "s1", signing: true,
		dmarc: dmarcReject,
	}, nil
}

// keyRecord is the DKIM record of the key made for selector.
func keyRecord(keys map[string]crypto.Signer, selector string) (string, error) {
	k, ok := keys[selector]
	if !ok {
		return "", fmt.Errorf("demo: no key for selector %s", selector)
	}
	rec, err := dkim.RecordForKey(k.Public())
	if err != nil {
		return "", fmt.Errorf("demo: selector %s: %w", selector, err)
	}
	return rec, nil
}

// thirdPartySPF is the over-limit record of "spf-lookups": four vendors'
// includes ahead of the server's own terms, each vendor including two
// netblock records — 4 + 8 = 12 lookups (RFC 7208 §4.6.4 allows 10). The
// ranges are documentation ranges (RFC 5737).
func thirdPartySPF() (string, map[string]string) {
	vendors := []struct {
		name   string
		blocks [2]string
	}{
		{"crm", [2]string{"198.51.100.0/28", "198.51.100.16/28"}},
		{"newsletter", [2]string{"198.51.100.32/28", "198.51.100.48/28"}},
		{"helpdesk", [2]string{"198.51.100.64/28", "198.51.100.80/28"}},
		{"billing", [2]string{"203.0.113.0/28", "203.0.113.16/28"}},
	}
	extra := map[string]string{}
	terms := []string{"v=spf1"}
	for _, v := range vendors {
		top := "_spf." + v.name + ".example"
		terms = append(terms, "include:"+top)
		var includes []string
		for i, block := range v.blocks {
			nb := fmt.Sprintf("_nb%d.%s.example", i+1, v.name)
			includes = append(includes, "include:"+nb)
			extra[nb] = "v=spf1 ip4:" + block + " ~all"
		}
		extra[top] = "v=spf1 " + strings.Join(includes, " ") + " ~all"
	}
	terms = append(terms, "ip4:"+senderIPv4().String(), "ip6:"+senderIPv6().String(), "-all")
	return strings.Join(terms, " "), extra
}

// findScenario looks a scenario up by name.
func findScenario(name string) (scenario, bool) {
	for _, s := range scenarioTable() {
		if s.Name == name {
			return s, true
		}
	}
	return scenario{}, false
}

// scenarioNames lists the names for an error message.
func scenarioNames() string {
	var names []string
	for _, s := range scenarioTable() {
		names = append(names, s.Name)
	}
	return strings.Join(names, ", ")
}
