// Package catalog assembles the checks of every subject package into the
// catalogue (README.md, "Checks and the score"), in the order a person reads them.
package catalog

import (
	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/bimi"
	"github.com/mailcred/mailcred/scoring/dane"
	"github.com/mailcred/mailcred/scoring/dkim"
	"github.com/mailcred/mailcred/scoring/dmarc"
	"github.com/mailcred/mailcred/scoring/dnsbl"
	"github.com/mailcred/mailcred/scoring/headers"
	"github.com/mailcred/mailcred/scoring/ipv6"
	"github.com/mailcred/mailcred/scoring/mtasts"
	"github.com/mailcred/mailcred/scoring/mx"
	"github.com/mailcred/mailcred/scoring/rdns"
	"github.com/mailcred/mailcred/scoring/receiver"
	"github.com/mailcred/mailcred/scoring/spf"
	"github.com/mailcred/mailcred/scoring/tlsrpt"
)

// DNS returns every check of a sending setup that DNS alone can answer:
// what `mailcred check` runs.
func DNS() []scoring.Check {
	var checks []scoring.Check
	for _, group := range [][]scoring.Check{
		spf.Checks(),
		dkim.Checks(),
		dmarc.Checks(),
		rdns.Checks(),
		dnsbl.Checks(),
		mx.Checks(),
		ipv6.Checks(),
		mtasts.Checks(),
		tlsrpt.Checks(),
		dane.Checks(),
		bimi.Checks(),
	} {
		checks = append(checks, group...)
	}
	return checks
}

// Message returns the checks of a message as a receiver judges it
// (score, send, the workbench after a send): DKIM signature, DMARC
// alignment, headers.
func Message() []scoring.Check {
	return append(receiver.Checks(), headers.Checks()...)
}

// IDs returns the ids of checks, in order.
func IDs(checks []scoring.Check) []string {
	ids := make([]string, len(checks))
	for i, c := range checks {
		ids[i] = c.ID
	}
	return ids
}
