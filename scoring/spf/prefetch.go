package spf

import (
	"context"
	"strings"
	"sync"

	"github.com/mailcred/mailcred/scoring/dnsx"
)

// maxPrefetch bounds the questions one evaluation asks ahead: the walk
// itself may ask at most 10 DNS-querying terms, 10 MX names each, and the
// records of the includes; past this the walk asks for itself.
const maxPrefetch = 64

// prefetcher asks, all at once and ahead of the in-order walk of
// check_host(), the questions the walk will ask: every include and
// redirect target's record as soon as the record naming it is in, the
// a/mx/exists targets, the MX hosts' addresses. The answers land in the
// resolver's per-run cache (or are in flight there), where the walk finds
// them, so a tree costs the depth of its chain of records in round trips,
// not one round trip per term. It decides nothing: the walk still asks
// every question itself, in RFC 7208 order, and counts the lookups; terms
// with macros are left to it (their names depend on the evaluation).
type prefetcher struct {
	r         *dnsx.Resolver
	addrTypes []uint16

	mu     sync.Mutex
	seen   map[string]bool // records asked for
	budget int
}

// prefetch starts asking ahead for the tree under domain and returns a
// function that stops it; questions in flight are then dropped (a
// cancelled question is not cached, and a walk waiting on one asks again).
func (e *evaluator) prefetch(ctx context.Context, domain string) (stop func()) {
	p := &prefetcher{r: e.r, seen: map[string]bool{}, budget: maxPrefetch}
	switch {
	case !e.ip.IsValid() || e.exhaustive:
		p.addrTypes = []uint16{dnsx.TypeA, dnsx.TypeAAAA} // as lookupAddrs asks
	default:
		p.addrTypes = []uint16{e.addrType()}
	}
	ctx, cancel := context.WithCancel(ctx)
	go p.record(ctx, domain)
	return cancel
}

// take spends one question of the budget; false when none is left.
func (p *prefetcher) take(n int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.budget < n {
		return false
	}
	p.budget -= n
	return true
}

// record asks for domain's SPF record and then, concurrently, for what
// its terms need.
func (p *prefetcher) record(ctx context.Context, domain string) {
	key := strings.ToLower(strings.TrimSuffix(domain, "."))
	p.mu.Lock()
	seen := p.seen[key]
	p.seen[key] = true
	p.mu.Unlock()
	if seen || !p.take(1) {
		return
	}
	txts, _ := lookupTXT(ctx, p.r, domain)
	recs := spfRecords(txts)
	if len(recs) != 1 || ctx.Err() != nil {
		return
	}
	rec, err := Parse(recs[0].Joined())
	if err != nil {
		return
	}
	target := func(spec string) (string, bool) {
		switch {
		case spec == "":
			return domain, true
		case strings.Contains(spec, "%"):
			return "", false // a macro: the walk expands it
		}
		return spec, true
	}
	for i := range rec.Directives {
		d := &rec.Directives[i]
		name, ok := target(d.Domain)
		if !ok {
			continue
		}
		switch d.Mechanism {
		case MechInclude:
			go p.record(ctx, name)
		case MechA:
			p.addrs(ctx, name)
		case MechMX:
			go p.mx(ctx, name)
		case MechExists:
			if p.take(1) {
				go p.r.Lookup(ctx, queryName(name), dnsx.TypeA)
			}
		}
	}
	if rec.Redirect != nil && rec.All() == nil {
		if name, ok := target(rec.Redirect.Value); ok {
			go p.record(ctx, name)
		}
	}
}

// addrs asks for name's addresses of the families the walk asks.
func (p *prefetcher) addrs(ctx context.Context, name string) {
	for _, t := range p.addrTypes {
		if p.take(1) {
			go p.r.Lookup(ctx, queryName(name), t)
		}
	}
}

// mx asks for name's MX and then its hosts' addresses.
func (p *prefetcher) mx(ctx context.Context, name string) {
	if !p.take(1) {
		return
	}
	ans := p.r.Lookup(ctx, queryName(name), dnsx.TypeMX)
	mxs := ans.MXs()
	if len(mxs) > MaxNames {
		return // a permerror: the walk stops there
	}
	for _, mx := range mxs {
		if host := strings.TrimSuffix(mx.Host, "."); host != "" {
			p.addrs(ctx, host)
		}
	}
}
