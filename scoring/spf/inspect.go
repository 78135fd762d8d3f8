package spf

import (
	"context"
	"net/netip"

	"github.com/mailcred/mailcred/scoring/dnsx"
)

// Analysis is the whole-tree view of a domain's SPF policy that a linter
// gives: every record reachable through include and redirect, every term
// evaluated as if none matched, so the counts are the most a receiver can
// be made to spend (RFC 7208 §4.6.4), not what one IP happened to cost.
type Analysis struct {
	Domain string `json:"domain"`
	// Record is the domain's own SPF record, empty if it has none.
	Record string `json:"record,omitempty"`
	// Lookups and VoidLookups count across the whole tree.
	Lookups     int      `json:"lookups"`
	VoidLookups int      `json:"void_lookups"`
	Tree        *Node    `json:"tree"`
	Problems    []string `json:"problems,omitempty"`
	// Result is empty when the tree evaluates without error; otherwise
	// none (no record at the domain), temperror (some lookup failed) or
	// permerror (a broken record, a missing include target, a loop, or a
	// limit exceeded), with Error saying why.
	Result Result `json:"result,omitempty"`
	Error  string `json:"error,omitempty"`
}

// Inspect walks the SPF tree of domain without stopping at a match. ip and
// sender give the macros something to expand to (they may be the zero
// value and ""); ptr terms look up ip's PTR names only when ip is valid.
func Inspect(ctx context.Context, r *dnsx.Resolver, domain string, ip netip.Addr, sender string) *Analysis {
	return (&Checker{Resolver: r}).Inspect(ctx, domain, ip, sender)
}

// Inspect is the package Inspect with the Checker's settings (its Overlay).
func (c *Checker) Inspect(ctx context.Context, domain string, ip netip.Addr, sender string) *Analysis {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	if sender == "" {
		sender = "postmaster@" + domain
	}
	e := c.newEvaluator(ip, sender, domain, true)
	a := &Analysis{Domain: domain}
	d, err := checkDomain(domain)
	if err != nil {
		a.Result, a.Error = None, err.Error()
		a.Tree = &Node{Domain: domain, Result: None, Error: a.Error}
		return a
	}
	a.Domain = d
	e.env.sdomain = d
	hr := e.checkHost(ctx, d)
	a.Tree = hr.node
	a.Tree.total()
	a.Record = hr.node.Record
	a.Lookups, a.VoidLookups = e.lookups, e.voids
	a.Problems = e.problems
	temp, isTemp := firstErr(e.errs, TempError)
	perm, isPerm := firstErr(e.errs, PermError)
	switch {
	case hr.result == None:
		a.Result, a.Error = None, hr.reason
	case isTemp:
		a.Result, a.Error = TempError, temp
	case isPerm:
		a.Result, a.Error = PermError, perm
	case a.Lookups > MaxLookups:
		a.Result, a.Error = PermError, "more than 10 DNS-querying terms (RFC 7208 §4.6.4)"
	case a.VoidLookups > MaxVoidLookups:
		a.Result, a.Error = PermError, "more than 2 void lookups (RFC 7208 §4.6.4)"
	}
	return a
}

// firstErr returns the first error of kind res met during the walk:
// the deepest cause comes first, as children finish before their parents.
func firstErr(errs []termError, res Result) (string, bool) {
	for _, e := range errs {
		if e.result == res {
			return e.msg, true
		}
	}
	return "", false
}
