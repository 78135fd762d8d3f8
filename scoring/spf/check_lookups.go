package spf

import (
	"context"
	"fmt"
	"strings"

	"github.com/mailcred/mailcred/scoring"
)

// runLookups is spf.lookups: the DNS-querying terms of the whole tree
// (at most 10) and the void lookups (at most 2), RFC 7208 §4.6.4.
func runLookups(ctx context.Context, env *scoring.Env) scoring.Result {
	ev := env.Evidence
	domain := policyDomain(ev)
	a := Inspect(ctx, env.DNS, domain, firstIP(ev), envelopeSender(ev))
	res := scoring.Result{ID: CheckLookups}
	switch {
	case a.Result == TempError:
		return dnsError(CheckLookups, "SPF DNS lookups", a.Error+".")
	case a.Result == None:
		res.Status, res.Title = scoring.Skip, "SPF DNS lookups: no SPF record to count (see spf.record)"
		return res
	case a.Tree.Record != "" && a.Tree.Result == PermError && len(a.Tree.Terms) == 0:
		// The record itself is broken or duplicated: spf.record says so.
		res.Status, res.Title = scoring.Skip, "SPF DNS lookups: the record cannot be evaluated (see spf.record)"
		res.Detail = a.Tree.Error
		return res
	case a.Tree.Record == "" && a.Tree.Result == PermError:
		res.Status, res.Title = scoring.Skip, "SPF DNS lookups: the record cannot be evaluated (see spf.record)"
		res.Detail = a.Tree.Error
		return res
	}
	var detail strings.Builder
	fmt.Fprintf(&detail, "%d of at most %d DNS-querying terms (include, a, mx, ptr, exists, redirect), "+
		"%d of at most %d void lookups, across the whole tree (RFC 7208 §4.6.4):\n", a.Lookups, MaxLookups, a.VoidLookups, MaxVoidLookups)
	writeCounts(&detail, a.Tree, "  ")
	for _, p := range a.Problems {
		detail.WriteString("• " + p + "\n")
	}
	res.Detail = strings.TrimRight(detail.String(), "\n")

	loop := false
	ptr := false
	dup := false
	for _, p := range a.Problems {
		loop = loop || strings.Contains(p, "loop")
		ptr = ptr || strings.Contains(p, "ptr mechanism")
		dup = dup || strings.Contains(p, "more than once")
	}
	switch {
	case loop:
		res.Status, res.Title = scoring.Fail, "SPF record broken (permerror): include loop"
		res.Fix = lookupFix(ctx, env, domain, a)
		res.Fix.Summary = "Remove the include or redirect that points back up the chain; every receiver gives permerror. " + res.Fix.Summary
	case a.Lookups > MaxLookups:
		res.Status = scoring.Fail
		res.Title = fmt.Sprintf("SPF record broken (permerror): needs %d DNS lookups, the limit is %d", a.Lookups, MaxLookups)
		res.Fix = lookupFix(ctx, env, domain, a)
	case a.VoidLookups > MaxVoidLookups:
		res.Status = scoring.Fail
		res.Title = fmt.Sprintf("SPF record broken (permerror): %d void lookups, the limit is %d", a.VoidLookups, MaxVoidLookups)
		res.Fix = lookupFix(ctx, env, domain, a)
		res.Fix.Summary = "Remove the terms marked void above: they point at names that do not exist or have no " +
			"records, and past two of them receivers give permerror (RFC 7208 §4.6.4). " + res.Fix.Summary
	case a.Result == PermError:
		res.Status, res.Title = scoring.Fail, "SPF record broken (permerror): "+titleReason(a.Error)
		res.Fix = lookupFix(ctx, env, domain, a)
		res.Fix.Summary = "Fix or remove the term named above; receivers give permerror when they reach it. " + res.Fix.Summary
	case a.Lookups >= MaxLookups-1:
		res.Status = scoring.Warn
		res.Title = fmt.Sprintf("SPF needs %d of %d DNS lookups: close to the limit", a.Lookups, MaxLookups)
		res.Fix = lookupFix(ctx, env, domain, a)
	case ptr || dup:
		res.Status = scoring.Warn
		res.Title = "SPF record uses ptr, which receivers may skip (RFC 7208 §5.5)"
		if !ptr {
			res.Title = "SPF tree includes the same record more than once: each costs lookups"
		}
		res.Fix = lookupFix(ctx, env, domain, a)
	default:
		res.Status = scoring.Pass
		res.Title = fmt.Sprintf("SPF needs %d of at most %d DNS lookups", a.Lookups, MaxLookups)
	}
	if res.Status != scoring.Pass {
		res.Detail += publishedLine(ctx, env, domain)
	}
	return res
}

// writeCounts renders the per-record counts of the tree.
func writeCounts(b *strings.Builder, n *Node, indent string) {
	if n == nil {
		return
	}
	fmt.Fprintf(b, "%s%s: %d lookup(s) here, %d with everything below", indent, n.Domain, n.Lookups, n.TotalLookups)
	if n.VoidLookups > 0 {
		fmt.Fprintf(b, ", %d void", n.VoidLookups)
	}
	if n.Error != "" {
		fmt.Fprintf(b, " (%s)", n.Error)
	}
	b.WriteString("\n")
	for _, t := range n.Terms {
		switch {
		case t.Child != nil:
			writeCounts(b, t.Child, indent+"  ")
		case t.Void:
			fmt.Fprintf(b, "%s  %s: void (found nothing)\n", indent, t.Text)
		}
	}
}

// lookupFix is the flattened record set (Flatten), proven for every
// sending IP; or, when no flattening fits the limits, a fix that says why
// and what to remove.
func lookupFix(ctx context.Context, env *scoring.Env, domain string, a *Analysis) *scoring.Fix {
	f, err := Flatten(ctx, env.DNS, domain, env.Evidence.IPs)
	if err == nil {
		return &scoring.Fix{Summary: flattenSummary(domain, f, a.Lookups), Records: f.Records}
	}
	var heavy []string
	for _, t := range a.Tree.Terms {
		if t.Child != nil && t.Child.TotalLookups >= 2 {
			heavy = append(heavy, fmt.Sprintf("%s costs %d", t.Text, t.Child.TotalLookups+1))
		}
	}
	summary := fmt.Sprintf("No record can be offered that is sure to work: %s.", strings.TrimPrefix(err.Error(), "spf: "))
	if len(heavy) > 0 {
		summary += " Remove includes of services you no longer send through (" + strings.Join(heavy, ", ") + "), or ask them for a record with fewer lookups."
	}
	return &scoring.Fix{Summary: summary}
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
