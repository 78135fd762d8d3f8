package spf

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/mailcred/mailcred/scoring/dnsx"
)

// Limits of RFC 7208 §4.6.4.
const (
	// MaxLookups is the number of DNS-querying terms (include, a, mx, ptr,
	// exists, redirect) one evaluation may use.
	MaxLookups = 10
	// MaxVoidLookups is the number of those terms whose lookup may find
	// nothing (NXDOMAIN or no records).
	MaxVoidLookups = 2
	// MaxNames is the number of MX names one mx mechanism may use (more
	// is a permerror) and of PTR names one ptr mechanism or %{p} looks at
	// (the rest are ignored).
	MaxNames = 10
	// DefaultTimeout bounds a whole evaluation (RFC 7208 §4.6.4: at least
	// 20 seconds; exceeding it gives temperror).
	DefaultTimeout = 20 * time.Second
)

// inspectCap stops Inspect from descending once this many lookups have
// been counted: a tree can grow exponentially through repeated includes.
const inspectCap = 100

// Checker holds the receiver-side settings of check_host(). The zero
// value with a Resolver is ready to use.
type Checker struct {
	Resolver *dnsx.Resolver
	// Receiver is the %{r} macro of exp= text (RFC 7208 §7.3); default
	// "unknown".
	Receiver string
	// Now gives the %{t} macro; default time.Now.
	Now func() time.Time
	// Timeout bounds one evaluation; default DefaultTimeout.
	Timeout time.Duration
	// Overlay holds TXT records (lower-case name → value) evaluated as if
	// published there, in place of what DNS has: a suggested record is
	// re-evaluated before it is offered.
	Overlay map[string]string
}

// Evaluate runs check_host() (RFC 7208 §4) for ip, the MAIL FROM sender
// (empty → HELO identity per §2.3/§2.4, i.e. postmaster@helo) and helo.
func Evaluate(ctx context.Context, r *dnsx.Resolver, ip netip.Addr, sender, helo string) *Evaluation {
	return (&Checker{Resolver: r}).Evaluate(ctx, ip, sender, helo)
}

// Evaluate runs check_host() with the checker's settings; see the package
// function Evaluate.
func (c *Checker) Evaluate(ctx context.Context, ip netip.Addr, sender, helo string) *Evaluation {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	e := c.newEvaluator(ip, sender, helo, false)
	ev := &Evaluation{Domain: e.env.sdomain, Sender: e.env.sender}
	if !e.ip.IsValid() {
		ev.Result, ev.Explanation = None, "no valid IP address to check"
		ev.Tree = &Node{Domain: e.env.sdomain, Result: None, Error: ev.Explanation}
		return ev
	}
	domain, err := checkDomain(e.env.sdomain)
	if err != nil {
		// RFC 7208 §4.3: a malformed <domain> gives none.
		ev.Result, ev.Explanation = None, err.Error()
		ev.Tree = &Node{Domain: e.env.sdomain, Result: None, Error: ev.Explanation}
		return ev
	}
	ev.Domain = domain
	e.env.sdomain = domain
	hr := e.checkHost(ctx, domain)
	ev.Result = hr.result
	ev.Tree = hr.node
	ev.Tree.total()
	ev.Lookups, ev.VoidLookups = e.lookups, e.voids
	ev.Problems = e.problems
	ev.Explanation = hr.reason
	if hr.result == Fail && hr.exp != nil {
		if text, ok := e.explain(ctx, hr.exp); ok {
			ev.Explanation, ev.FromExp = text, true
		}
	}
	return ev
}

func (c *Checker) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	t := c.Timeout
	if t <= 0 {
		t = DefaultTimeout
	}
	return context.WithTimeout(ctx, t)
}

// evaluator is the state of one check_host() run: the counters of §4.6.4
// are shared across every include and redirect.
type evaluator struct {
	r          *dnsx.Resolver
	overlay    map[string]string
	ip         netip.Addr
	env        macroEnv // sender, local, sdomain, helo, ip, receiver, now
	exhaustive bool     // Inspect: evaluate every term, do not stop at limits

	lookups, voids int
	stack          []string       // domains being evaluated, for loops
	includes       map[string]int // include target → times evaluated
	problems       []string
	seenProblem    map[string]bool
	errs           []termError // Inspect: errors met anywhere, in order

	ptrDone  bool
	ptrNames []string // validated names of ip, for %{p}
}

func (c *Checker) newEvaluator(ip netip.Addr, sender, helo string, exhaustive bool) *evaluator {
	ip = ip.Unmap() // RFC 7208 §5: an IPv4-mapped address is IPv4
	sender, local, domain := identity(sender, helo)
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	return &evaluator{
		r: c.Resolver, overlay: c.Overlay, ip: ip, exhaustive: exhaustive,
		env: macroEnv{
			sender: sender, local: local, sdomain: domain, helo: helo,
			ip: ip, receiver: c.Receiver, now: now(),
		},
		includes: map[string]int{}, seenProblem: map[string]bool{},
	}
}

// identity derives <sender>, its local-part and <domain> (RFC 7208 §2.4,
// §4.3): an empty MAIL FROM means postmaster@HELO, an empty local-part
// means postmaster.
func identity(sender, helo string) (full, local, domain string) {
	if sender == "" {
		sender = "postmaster@" + helo
	}
	at := strings.LastIndexByte(sender, '@')
	if at < 0 {
		local, domain = "postmaster", sender
	} else {
		local, domain = sender[:at], sender[at+1:]
	}
	if local == "" {
		local = "postmaster"
	}
	return local + "@" + domain, local, domain
}

// hostResult is what one check_host() call gives back.
type hostResult struct {
	result Result
	node   *Node
	reason string
	// exp is the exp= of the record whose mechanism gave the fail, for
	// the explanation; include discards it, redirect passes it up
	// (RFC 7208 §6.2).
	exp *expContext
	// void is set when the TXT lookup found nothing (NXDOMAIN or no
	// records): a void lookup for the include or redirect that asked.
	void bool
}

type expContext struct {
	mod    *Modifier
	domain string
}

// errLimit is wrapped by the permerrors of the processing limits.
var errLimit = errors.New("processing limit exceeded")

// termError is a mechanism's verdict that ends evaluation.
type termError struct {
	result Result
	msg    string
}

func (e *termError) Error() string { return e.msg }

func tempErr(format string, args ...any) error {
	return &termError{TempError, fmt.Sprintf(format, args...)}
}

func permErr(format string, args ...any) error {
	return &termError{PermError, fmt.Sprintf(format, args...)}
}

func (e *evaluator) problem(format string, args ...any) {
	p := fmt.Sprintf(format, args...)
	if !e.seenProblem[p] {
		e.seenProblem[p] = true
		e.problems = append(e.problems, p)
	}
}

// checkHost is check_host(<ip>, <domain>, <sender>) of RFC 7208 §4 for an
// already validated domain.
func (e *evaluator) checkHost(ctx context.Context, domain string) hostResult {
	node := &Node{Domain: domain}
	done := func(res Result, reason string) hostResult {
		node.Result = res
		if res == PermError || res == TempError || res == None {
			node.Error = reason
		}
		if e.exhaustive && (res == PermError || res == TempError) {
			e.errs = append(e.errs, termError{res, reason})
		}
		return hostResult{result: res, node: node, reason: reason}
	}
	if i := slices.Index(e.stack, domain); i >= 0 {
		loop := strings.Join(append(slices.Clone(e.stack[i:]), domain), " → ")
		e.problem("include/redirect loop: %s", loop)
		return done(PermError, "loop: "+loop+" (RFC 7208 §4.6.4: evaluation would never end)")
	}
	if len(e.stack) == 0 && e.exhaustive {
		// Inspect walks the whole tree: ask ahead for all of it. (A
		// receiver's evaluation stops at the first match and asks no
		// more than it needs.)
		defer e.prefetch(ctx, domain)()
	}
	e.stack = append(e.stack, domain)
	defer func() { e.stack = e.stack[:len(e.stack)-1] }()

	// RFC 7208 §4.4: TXT only; SPF RR type 99 is not consulted (§3.1).
	txts, ans := e.lookupTXT(ctx, domain)
	switch {
	case ans.Outcome.Temporary():
		return done(TempError, recordError(domain, ans))
	case ans.Outcome == dnsx.Invalid:
		return done(None, fmt.Sprintf("%q is not a valid domain name (RFC 7208 §4.3)", domain))
	case ans.Outcome == dnsx.NXDomain:
		hr := done(None, fmt.Sprintf("%s does not exist (NXDOMAIN)", domain))
		hr.void = true
		return hr
	}
	recs := spfRecords(txts)
	switch len(recs) {
	case 0:
		hr := done(None, fmt.Sprintf("no SPF record at %s", domain))
		hr.void = len(txts) == 0 && ans.Outcome.Void()
		return hr
	case 1:
	default:
		// RFC 7208 §4.5: more than one record is a permerror.
		return done(PermError, fmt.Sprintf("%s publishes %d SPF records; there must be exactly one (RFC 7208 §4.5)", domain, len(recs)))
	}
	node.Record = recs[0].Joined()
	rec, err := Parse(node.Record)
	if err != nil {
		return done(PermError, fmt.Sprintf("the SPF record of %s is invalid: %v", domain, strings.TrimPrefix(err.Error(), "spf: ")))
	}
	e.lint(domain, rec)
	env := e.env
	env.domain = domain
	env.ptr = e.validatedName(ctx)

	for i := range rec.Directives {
		d := &rec.Directives[i]
		term := &Term{Text: d.Text}
		node.Terms = append(node.Terms, term)
		if d.Lookup() {
			if err := e.countLookup(node, term); err != nil {
				return done(PermError, err.Error())
			}
		}
		matched, err := e.match(ctx, d, &env, node, term)
		if err != nil {
			term.Error = err.Error()
			res := PermError
			var te *termError
			if errors.As(err, &te) {
				res = te.result
			}
			if e.exhaustive {
				e.errs = append(e.errs, termError{res, domain + ": " + err.Error()})
				continue
			}
			return done(res, err.Error())
		}
		if d.Mechanism == MechAll && e.exhaustive {
			break // RFC 7208 §5.1: terms after all are never tested
		}
		if !matched || e.exhaustive {
			continue
		}
		term.Matched = true
		node.Matched = d.Text
		res := d.Qualifier.Result()
		hr := done(res, matchReason(e.ip, domain, d.Text, res))
		if res == Fail && rec.Exp != nil {
			hr.exp = &expContext{mod: rec.Exp, domain: domain}
		}
		return hr
	}

	// RFC 7208 §6.1: redirect applies when no mechanism matched; it is
	// ignored when the record has "all" (§5.1).
	if rec.Redirect != nil && rec.All() == nil {
		term := &Term{Text: rec.Redirect.Text}
		node.Terms = append(node.Terms, term)
		if err := e.countLookup(node, term); err != nil {
			return done(PermError, err.Error())
		}
		target, ok := targetName(rec.Redirect.domain.macro.expand(&env))
		if target != rec.Redirect.Value {
			term.Target = target
		}
		if !ok {
			term.Error = "not a valid domain name"
			return done(PermError, fmt.Sprintf("%s: %q is not a valid domain name (RFC 7208 §6.1)", rec.Redirect.Text, target))
		}
		if e.exhaustive && e.lookups > inspectCap {
			return done(PermError, "too many lookups to follow")
		}
		child := e.checkHost(ctx, strings.ToLower(target))
		term.Child = child.node
		if child.void {
			if err := e.countVoid(node, term); err != nil {
				return done(PermError, err.Error())
			}
		}
		switch child.result {
		case None:
			// RFC 7208 §6.1: no record at the redirect target is a permerror.
			return done(PermError, fmt.Sprintf("%s: %s has no SPF record (RFC 7208 §6.1)", rec.Redirect.Text, target))
		case Pass, Fail, SoftFail, Neutral:
			node.Matched = rec.Redirect.Text
			term.Matched = true
		}
		hr := done(child.result, child.reason)
		hr.exp = child.exp // the target's exp=, never ours (§6.2)
		return hr
	}
	if e.exhaustive {
		return done(Neutral, "")
	}
	// RFC 7208 §4.7: no match and no redirect gives neutral.
	return done(Neutral, fmt.Sprintf("no mechanism of the SPF record of %s matched %s; the default result is neutral (RFC 7208 §4.7)", domain, e.ip))
}

// countLookup counts a DNS-querying term (RFC 7208 §4.6.4).
func (e *evaluator) countLookup(node *Node, term *Term) error {
	e.lookups++
	node.Lookups++
	term.Lookup = true
	if e.lookups > MaxLookups && !e.exhaustive {
		return fmt.Errorf("%w: more than %d DNS-querying terms (include, a, mx, ptr, exists, redirect) (RFC 7208 §4.6.4)", errLimit, MaxLookups)
	}
	return nil
}

// countVoid counts a term whose lookup found nothing (RFC 7208 §4.6.4).
func (e *evaluator) countVoid(node *Node, term *Term) error {
	e.voids++
	node.VoidLookups++
	term.Void = true
	return e.voidLimit()
}

func (e *evaluator) voidLimit() error {
	if e.voids > MaxVoidLookups && !e.exhaustive {
		return fmt.Errorf("%w: more than %d DNS lookups found nothing (void lookups, RFC 7208 §4.6.4)", errLimit, MaxVoidLookups)
	}
	return nil
}

// lint records the problems a record shows by itself.
func (e *evaluator) lint(domain string, rec *Record) {
	seenAll := false
	for i := range rec.Directives {
		d := &rec.Directives[i]
		if seenAll {
			e.problem("%s: %q comes after \"all\" and is never evaluated (RFC 7208 §5.1)", domain, d.Text)
			continue
		}
		switch d.Mechanism {
		case MechAll:
			seenAll = true
		case MechPTR:
			e.problem("%s uses the ptr mechanism, which RFC 7208 §5.5 says SHOULD NOT be used: it is slow and unreliable, and some receivers ignore it", domain)
		}
	}
	if rec.Redirect != nil && seenAll {
		e.problem("%s: %q is ignored because the record has \"all\" (RFC 7208 §5.1)", domain, rec.Redirect.Text)
	}
}

func matchReason(ip netip.Addr, domain, term string, res Result) string {
	switch res {
	case Pass:
		return fmt.Sprintf("%s is authorised by the SPF record of %s (matched %s)", ip, domain, term)
	case Fail:
		return fmt.Sprintf("%s is not authorised by the SPF record of %s (matched %s)", ip, domain, term)
	case SoftFail:
		return fmt.Sprintf("%s is probably not authorised by the SPF record of %s (matched %s)", ip, domain, term)
	}
	return fmt.Sprintf("the SPF record of %s makes no assertion about %s (matched %s)", domain, ip, term)
}
