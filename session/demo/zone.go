package demo

import (
	"fmt"
	"slices"
	"strings"

	"github.com/mailcred/mailcred/scoring/dnstest"
)

// zoneSet is master-file text grouped by owner name: owner (lower case,
// final dot) → its lines, sorted. Comparing two sets tells which names a
// change touched, so only those are rewritten in the running server.
type zoneSet map[string][]string

// parseZoneSet groups the lines of master-file text in the one-record-a-
// line form simzone writes (owner first, absolute names).
func parseZoneSet(text string) zoneSet {
	set := zoneSet{}
	for _, line := range strings.Split(text, "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 || strings.HasPrefix(fields[0], ";") {
			continue
		}
		owner := strings.ToLower(fields[0])
		if !strings.HasSuffix(owner, ".") {
			owner += "."
		}
		set[owner] = append(set[owner], line)
	}
	for _, lines := range set {
		slices.Sort(lines)
	}
	return set
}

// sync makes srv serve next where it served prev: names gone are
// removed, names changed are replaced whole, the rest is left alone.
func (next zoneSet) sync(srv *dnstest.Server, prev zoneSet) error {
	for owner := range prev {
		if _, ok := next[owner]; !ok {
			srv.Remove(owner, 0)
		}
	}
	for owner, lines := range next {
		if slices.Equal(lines, prev[owner]) {
			continue
		}
		srv.Remove(owner, 0)
		if err := srv.AddZone(strings.Join(lines, "\n")); err != nil {
			return fmt.Errorf("demo: publishing %s: %w", owner, err)
		}
	}
	return nil
}
