package spf

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/mailcred/mailcred/scoring/dnsx"
)

// match evaluates one mechanism (RFC 7208 §5). An error is a *termError
// (temperror or permerror) or a processing-limit error.
func (e *evaluator) match(ctx context.Context, d *Directive, env *macroEnv, node *Node, term *Term) (bool, error) {
	switch d.Mechanism {
	case MechAll:
		return true, nil // RFC 7208 §5.1
	case MechIP4, MechIP6:
		// RFC 7208 §5.6: ip4 matches IPv4 only, ip6 IPv6 only; an
		// IPv4-mapped address was unmapped to IPv4 already (§5).
		return e.ip.IsValid() && e.ip.Is4() == d.Net.Addr().Is4() && d.Net.Contains(e.ip), nil
	}

	target := env.domain
	if d.Domain != "" {
		expanded := d.domain.macro.expand(env)
		var ok bool
		target, ok = targetName(expanded)
		if !strings.EqualFold(target, d.Domain) {
			term.Target = target
		}
		if !ok {
			// RFC 7208 leaves a name that cannot be queried undefined
			// (suite: invalid-domain-*); we treat it as non-existent, as
			// §4.3 and §5/10/3 do, so the mechanism does not match.
			term.Error = fmt.Sprintf("%q is not a valid domain name; treated as no match", target)
			if d.Mechanism == MechInclude {
				return false, permErr("%s: %q is not a valid domain name (RFC 7208 §5.2)", d.Text, target)
			}
			return false, nil
		}
		target = strings.ToLower(target)
	}

	switch d.Mechanism {
	case MechInclude:
		return e.include(ctx, d, target, node, term)
	case MechA:
		return e.matchA(ctx, d, target, node, term)
	case MechMX:
		return e.matchMX(ctx, d, target, node, term)
	case MechPTR:
		return e.matchPTR(ctx, target, node, term)
	case MechExists:
		return e.matchExists(ctx, d, target, node, term)
	}
	return false, permErr("unknown mechanism %q", d.Mechanism)
}

// include is RFC 7208 §5.2: the recursive result decides the match.
func (e *evaluator) include(ctx context.Context, d *Directive, target string, node *Node, term *Term) (bool, error) {
	e.includes[target]++
	if e.includes[target] == 2 {
		e.problem("include:%s is evaluated more than once in the tree; each costs lookups", target)
	}
	if e.exhaustive && e.lookups > inspectCap {
		return false, permErr("too many lookups to follow %s", d.Text)
	}
	child := e.checkHost(ctx, target)
	term.Child = child.node
	if child.void {
		if err := e.countVoid(node, term); err != nil {
			return false, err
		}
	}
	switch child.result {
	case Pass:
		return true, nil
	case Fail, SoftFail, Neutral:
		return false, nil
	case TempError:
		return false, tempErr("%s: %s", d.Text, child.reason)
	case None:
		// RFC 7208 §5.2: an include target without a record is a permerror.
		return false, permErr("%s: %s has no SPF record (RFC 7208 §5.2)", d.Text, target)
	}
	return false, permErr("%s: %s", d.Text, child.reason)
}

// addrType is the address query for the client's family (RFC 7208 §5.3):
// A for IPv4, AAAA for IPv6.
func (e *evaluator) addrType() uint16 {
	if e.ip.Is4() {
		return dnsx.TypeA
	}
	return dnsx.TypeAAAA
}

// lookupAddrs returns the addresses of name of the client's family; with
// no client IP (Inspect) both families. void is set when the lookup found
// nothing; err is a temperror.
func (e *evaluator) lookupAddrs(ctx context.Context, name string) (addrs []netip.Addr, void bool, err error) {
	if !e.ip.IsValid() || e.exhaustive {
		addrs, out := e.r.LookupAddrs(ctx, queryName(name))
		if out.Temporary() {
			return nil, false, tempErr("address lookup of %s failed (%s)", name, out)
		}
		return addrs, len(addrs) == 0, nil
	}
	ans := e.r.Lookup(ctx, queryName(name), e.addrType())
	if ans.Outcome.Temporary() {
		return nil, false, tempErr("%s lookup of %s failed (%s)", typeName(ans.Type), name, ans.Outcome)
	}
	addrs = ans.Addrs()
	return addrs, len(addrs) == 0 && ans.Outcome.Void(), nil
}

// matchAddrs reports whether the client IP is in any of addrs with the
// dual CIDR lengths (RFC 7208 §5.3, §5.6).
func (e *evaluator) matchAddrs(addrs []netip.Addr, cidr4, cidr6 int, term *Term) bool {
	matched := false
	for _, a := range addrs {
		a = a.Unmap()
		if len(term.Addrs) < 2*MaxNames {
			term.Addrs = append(term.Addrs, a.String())
		}
		if !e.ip.IsValid() || a.Is4() != e.ip.Is4() {
			continue
		}
		bits := cidr6
		if a.Is4() {
			bits = cidr4
		}
		if p, err := a.Prefix(bits); err == nil && p.Contains(e.ip) {
			matched = true
		}
	}
	return matched
}

// matchA is RFC 7208 §5.3.
func (e *evaluator) matchA(ctx context.Context, d *Directive, target string, node *Node, term *Term) (bool, error) {
	addrs, void, err := e.lookupAddrs(ctx, target)
	if err != nil {
		return false, err
	}
	if void {
		if err := e.countVoid(node, term); err != nil {
			return false, err
		}
	}
	return e.matchAddrs(addrs, d.CIDR4, d.CIDR6, term), nil
}

// matchMX is RFC 7208 §5.4: the MX lookup counts once towards the limit of
// 10; more than 10 MX names is a permerror (§4.6.4); the address lookups
// of the names are not counted (they are bounded by the 10 names).
func (e *evaluator) matchMX(ctx context.Context, d *Directive, target string, node *Node, term *Term) (bool, error) {
	ans := e.r.Lookup(ctx, queryName(target), dnsx.TypeMX)
	if ans.Outcome.Temporary() {
		return false, tempErr("MX lookup of %s failed (%s)", target, ans.Outcome)
	}
	mxs := ans.MXs()
	if len(mxs) == 0 {
		if !ans.Outcome.Void() {
			return false, nil
		}
		return false, e.countVoid(node, term)
	}
	if len(mxs) > MaxNames {
		return false, permErr("%s: %s has %d MX records, more than the %d an mx mechanism may use (RFC 7208 §4.6.4)", d.Text, target, len(mxs), MaxNames)
	}
	matched := false
	for _, mx := range mxs {
		host := strings.TrimSuffix(mx.Host, ".")
		term.Names = append(term.Names, host)
		if host == "" {
			continue // null MX (RFC 7505): no host to look up
		}
		addrs, _, err := e.lookupAddrs(ctx, host)
		if err != nil {
			return false, err
		}
		if e.matchAddrs(addrs, d.CIDR4, d.CIDR6, term) {
			matched = true
			if !e.exhaustive {
				break
			}
		}
	}
	return matched, nil
}

// ptrLookup looks up the PTR names of the client IP: the first MaxNames of
// them (RFC 7208 §4.6.4: the rest are ignored). void is set when the
// lookup found nothing; a DNS error gives no names (§5.5).
func (e *evaluator) ptrLookup(ctx context.Context) (names []string, void bool, failed dnsx.Outcome) {
	if !e.ip.IsValid() {
		return nil, false, dnsx.Success
	}
	ans := e.r.Lookup(ctx, dnsx.ReverseName(e.ip), dnsx.TypePTR)
	if ans.Outcome.Temporary() {
		return nil, false, ans.Outcome
	}
	for _, n := range ans.Names() {
		names = append(names, strings.TrimSuffix(n, "."))
	}
	if len(names) > MaxNames {
		names = names[:MaxNames]
	}
	return names, len(names) == 0 && ans.Outcome.Void(), dnsx.Success
}

// validates reports whether name's addresses include the client IP; a DNS
// error skips the name (RFC 7208 §5.5).
func (e *evaluator) validates(ctx context.Context, name string) bool {
	ans := e.r.Lookup(ctx, name, e.addrType())
	for _, a := range ans.Addrs() {
		if a.Unmap() == e.ip {
			return true
		}
	}
	return false
}

// matchPTR is RFC 7208 §5.5.
func (e *evaluator) matchPTR(ctx context.Context, target string, node *Node, term *Term) (bool, error) {
	names, void, failed := e.ptrLookup(ctx)
	if failed != dnsx.Success {
		term.Error = fmt.Sprintf("PTR lookup failed (%s); no match (RFC 7208 §5.5)", failed)
		return false, nil
	}
	if void {
		return false, e.countVoid(node, term)
	}
	term.Names = names
	for _, name := range names {
		if isSubdomain(name, target) && e.validates(ctx, name) {
			return true, nil
		}
	}
	return false, nil
}

// validatedName returns the %{p} macro function: the validated domain
// name of the client IP, computed once per evaluation (RFC 7208 §7.3).
func (e *evaluator) validatedName(ctx context.Context) func(domain string) string {
	return func(domain string) string {
		if !e.ptrDone {
			e.ptrDone = true
			names, _, _ := e.ptrLookup(ctx)
			for _, n := range names {
				if e.validates(ctx, n) {
					e.ptrNames = append(e.ptrNames, n)
				}
			}
		}
		if len(e.ptrNames) == 0 {
			return "unknown"
		}
		for _, n := range e.ptrNames {
			if strings.EqualFold(n, domain) {
				return n
			}
		}
		for _, n := range e.ptrNames {
			if isSubdomain(n, domain) {
				return n
			}
		}
		return e.ptrNames[0]
	}
}

// matchExists is RFC 7208 §5.7: an A query, whatever the client's family.
func (e *evaluator) matchExists(ctx context.Context, d *Directive, target string, node *Node, term *Term) (bool, error) {
	ans := e.r.Lookup(ctx, queryName(target), dnsx.TypeA)
	if ans.Outcome.Temporary() {
		return false, tempErr("%s: A lookup of %s failed (%s)", d.Text, target, ans.Outcome)
	}
	addrs := ans.Addrs()
	if len(addrs) == 0 {
		if !ans.Outcome.Void() {
			return false, nil
		}
		return false, e.countVoid(node, term)
	}
	for _, a := range addrs {
		term.Addrs = append(term.Addrs, a.String())
	}
	return true, nil
}

// explain computes the explanation of a fail from exp= (RFC 7208 §6.2):
// any DNS error, no record, several records or a syntax error in the text
// means there is none.
func (e *evaluator) explain(ctx context.Context, x *expContext) (string, bool) {
	env := e.env
	env.domain = x.domain
	env.ptr = e.validatedName(ctx)
	name, ok := targetName(x.mod.domain.macro.expand(&env))
	if !ok {
		return "", false
	}
	txts, ans := lookupTXT(ctx, e.r, name)
	if ans.Outcome != dnsx.Success || len(txts) != 1 {
		return "", false
	}
	text, err := parseMacroString(txts[0].Joined(), true)
	if err != nil {
		return "", false
	}
	return text.expand(&env), true
}

func typeName(t uint16) string {
	if t == dnsx.TypeAAAA {
		return "AAAA"
	}
	return "A"
}
