package dnsbl

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
	"unicode"

	"github.com/mailcred/mailcred/scoring/dnsx"
)

// MaxParallel caps the list queries in flight at once. Below it every
// question of a survey is asked at once — concurrency is sized to the
// lists (times the targets), so eight sending IPs on every list still cost
// one round trip — and each list sees at most one question per target;
// the cap only keeps a survey of very many targets from flooding a small
// local resolver.
const MaxParallel = 128

// DNS types asked (RFC 1035 §3.2.2); dnsx takes the numeric type, and
// keeping the two constants here spares this package a miekg/dns import.
const (
	typeA   uint16 = 1
	typeTXT uint16 = 16
)

// Errors a ListResult can carry; callers branch on them with errors.Is.
var (
	// ErrRefused: the list answered with its refusal/error code. Not a listing.
	ErrRefused = errors.New("the list refused to answer (an error code, not a listing)")
	// ErrHijacked: an answer outside 127.0.0.0/8 — a resolver rewriting
	// answers, or a zone that no longer belongs to the list.
	ErrHijacked = errors.New("answer outside 127.0.0.0/8: resolver hijacking or list unavailable")
	// ErrUnhealthy: the list failed its RFC 5782 §5 test points.
	ErrUnhealthy = errors.New("the list failed its RFC 5782 test points")
	// ErrTarget: the target is neither an IP address nor a domain name.
	ErrTarget = errors.New("not an IP address or a domain name")
	// ErrNoResolver: no resolver was given.
	ErrNoResolver = errors.New("no resolver")
)

// RefusalError is the error of a ListResult whose answer was a refusal
// code; it unwraps to ErrRefused and carries the reason and the remedy.
type RefusalError struct {
	List    string
	Refusal Refusal
}

// Error returns the list's name and the refusal's reason.
func (e *RefusalError) Error() string { return e.List + ": " + e.Refusal.Reason }

// Unwrap makes errors.Is(err, ErrRefused) true.
func (e *RefusalError) Unwrap() error { return ErrRefused }

// ListResult is what one list said about one target.
type ListResult struct {
	List   List
	Target string // the IP or domain asked about, normalised
	Name   string // the DNS name queried; empty if nothing was asked
	// Listed is true when the list has an entry with a listing code; the
	// Meanings say how much it matters (a reputation list lists good
	// senders too).
	Listed   bool
	Codes    []netip.Addr // every A answer, including refusal and foreign ones
	Meanings []Meaning
	Refusal  *Refusal     // set when the answer was the operator's refusal code
	Outcome  dnsx.Outcome // of the A query
	// Err says why the list could not be checked: a *RefusalError,
	// ErrHijacked, ErrUnhealthy, a *dnsx.Error (timeout, SERVFAIL, …) or the
	// context's error, wrapped with the list's name. Nil when it answered.
	Err error
	// Skipped says why the list was not asked (kind or IPv6 mismatch),
	// phrased to follow the list's name; empty if it was asked.
	Skipped string
	// Reason is the list's TXT record, asked only when listed. It is for
	// people: never parsed for meaning, control characters removed.
	Reason  string
	Elapsed time.Duration
}

// Checked reports whether the list gave a usable answer (listed or not).
func (r ListResult) Checked() bool { return r.Err == nil && r.Skipped == "" }

// Query asks every list about target (an IP address or a domain name),
// all at once (at most MaxParallel), and returns one result per list in
// the order given. It returns when all are answered or ctx is done; lists
// still unanswered then carry the context's error.
func Query(ctx context.Context, r *dnsx.Resolver, lists []List, target string) []ListResult {
	jobs := make([]job, len(lists))
	for i, l := range lists {
		jobs[i] = job{list: l, target: target}
	}
	return run(ctx, r, jobs, len(jobs))
}

// Health is the outcome of asking a list for its test points.
type Health struct {
	List   List
	Listed ListResult // the test point that must be listed
	Clean  ListResult // the test point that must not be listed
	// Err is nil when the list behaves as RFC 5782 §5 requires (or has no
	// documented test point); it wraps ErrUnhealthy, a *RefusalError, or
	// the lookup's failure otherwise.
	Err error
}

// Tested reports whether the list has test points to ask.
func (h Health) Tested() bool { return h.List.TestListed != "" || h.List.TestClean != "" }

// HealthCheck asks a list for its RFC 5782 §5 test points (127.0.0.2 must
// be listed and 127.0.0.1 must not; TEST-like and INVALID for domain
// lists). A list that does not list its own test point is refusing this
// resolver silently or is gone, so its "not listed" answers mean nothing;
// a list that lists the clean one answers everything, so its listings
// mean nothing.
func HealthCheck(ctx context.Context, r *dnsx.Resolver, l List) Health {
	h := Health{List: l}
	if !h.Tested() {
		return h
	}
	res := run(ctx, r, healthJobs(l), 2)
	h.Listed, h.Clean = res[0], res[1]
	h.Err = judgeHealth(l, h.Listed, h.Clean)
	return h
}

// healthJobs are a list's two test points. Their answers are asked with
// dnsx's LookupShared: kept for their TTL across runs when the resolver
// has a shared cache (the workbench's re-runs, receive's messages), as
// they do not change when the user fixes their DNS.
func healthJobs(l List) []job {
	return []job{{list: l, target: l.TestListed, probe: true}, {list: l, target: l.TestClean, probe: true}}
}

func judgeHealth(l List, listed, clean ListResult) error {
	if l.TestListed != "" {
		if listed.Err != nil {
			return fmt.Errorf("test point %s: %w", l.TestListed, listed.Err)
		}
		if !listed.Listed {
			return fmt.Errorf("%w: %s did not list its own test point %s, so its \"not listed\" answers mean nothing "+
				"(the list may be ignoring this resolver, e.g. an unregistered one, or the zone is gone)",
				ErrUnhealthy, l.Name, l.TestListed)
		}
	}
	if l.TestClean != "" {
		if clean.Err != nil {
			return fmt.Errorf("test point %s: %w", l.TestClean, clean.Err)
		}
		if clean.Listed {
			return fmt.Errorf("%w: %s lists %s, which it must never do: it is answering every query, so its listings mean nothing",
				ErrUnhealthy, l.Name, l.TestClean)
		}
	}
	return nil
}

// job is one question: one list, one target.
type job struct {
	list   List
	target string
	probe  bool // an RFC 5782 test point, not a listing question
}

// run answers the jobs with at most limit (and MaxParallel) in flight, in
// job order, results in job order.
// Jobs that need no query (skipped, bad target) are answered at once. On
// cancellation it returns without waiting for queries in flight: they
// finish in the background (dnsx bounds each by its timeout) and their
// results are dropped.
func run(ctx context.Context, r *dnsx.Resolver, jobs []job, limit int) []ListResult {
	// base is written here and only read afterwards (by the workers);
	// results belongs to this goroutine alone.
	base := make([]ListResult, len(jobs))
	names := make([]string, len(jobs))
	var pending []int
	for i, j := range jobs {
		res, name, ok := prepare(j)
		if ok && r == nil {
			res.Err = fmt.Errorf("%s: %w", j.list.Name, ErrNoResolver)
			ok = false
		}
		base[i], names[i] = res, name
		if ok {
			pending = append(pending, i)
		}
	}
	results := append([]ListResult(nil), base...)
	if len(pending) == 0 {
		return results
	}

	type done struct {
		i   int
		res ListResult
	}
	out := make(chan done, len(pending)) // buffered: stragglers never block
	next := make(chan int)
	for range min(max(limit, 1), len(pending), MaxParallel) {
		go func() {
			for i := range next {
				out <- done{i, ask(ctx, r, base[i], names[i], jobs[i].probe)}
			}
		}()
	}
	go func() {
		defer close(next)
		for _, i := range pending {
			if ctx.Err() != nil {
				return
			}
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()

	finished := make(map[int]bool, len(pending))
	for len(finished) < len(pending) {
		select {
		case d := <-out:
			results[d.i] = d.res
			finished[d.i] = true
		case <-ctx.Done():
			for _, i := range pending {
				if !finished[i] {
					results[i].Name = names[i]
					results[i].Outcome = dnsx.Failure
					results[i].Err = fmt.Errorf("%s: %w", results[i].List.Name, context.Cause(ctx))
				}
			}
			return results
		}
	}
	return results
}

// prepare does the part of a job that needs no network: the target is
// parsed, the list's kind and IPv6 support checked, the query name built.
// ok is false when the returned result is already final.
func prepare(j job) (res ListResult, name string, ok bool) {
	res = ListResult{List: j.list, Target: j.target}
	t, err := parseTarget(j.target)
	if err != nil {
		res.Err = fmt.Errorf("%s: %w", j.list.Name, err)
		return res, "", false
	}
	res.Target = t.String()
	if yes, why := j.list.supports(t); !yes {
		res.Skipped = why
		return res, "", false
	}
	name, err = queryName(t, j.list.Zone)
	if err != nil {
		res.Err = fmt.Errorf("%s: %w", j.list.Name, err)
		return res, "", false
	}
	return res, name, true
}

// ask sends the A query, decodes it, and fetches the TXT reason when listed.
func ask(ctx context.Context, r *dnsx.Resolver, base ListResult, name string, probe bool) (res ListResult) {
	start := time.Now()
	res = base
	defer func() { res.Elapsed = time.Since(start) }()
	l := res.List
	res.Name = name
	lookup := r.Lookup
	if probe {
		lookup = r.LookupShared
	}
	ans := lookup(ctx, name, typeA)
	res.Outcome = ans.Outcome
	switch {
	case ans.Outcome.Void():
		return res // NXDOMAIN or NODATA: not listed (RFC 5782)
	case ans.Outcome != dnsx.Success:
		res.Err = fmt.Errorf("%s: %w", l.Name, ans.Error())
		return res
	}
	d := Decode(l, ans.Addrs())
	res.Codes = d.Codes
	switch {
	case len(d.Foreign) > 0:
		res.Err = fmt.Errorf("%s answered %s: %w", l.Name, joinAddrs(d.Foreign), ErrHijacked)
	case d.Refusal != nil:
		res.Refusal = d.Refusal
		res.Err = &RefusalError{List: l.Name, Refusal: *d.Refusal}
	case d.Listed:
		res.Listed, res.Meanings = true, d.Meanings
		if !probe { // a test point's reason text says nothing: not asked
			res.Reason = reasonText(ctx, r, name)
		}
	}
	return res
}

// reasonText fetches the optional TXT explanation of a listing. It is shown
// to people as the list wrote it (minus control characters), never parsed.
func reasonText(ctx context.Context, r *dnsx.Resolver, name string) string {
	ans := r.Lookup(ctx, name, typeTXT)
	if ans.Outcome != dnsx.Success {
		return ""
	}
	return sanitize(strings.Join(ans.JoinedTXT(), " / "), 300)
}

// sanitize keeps printable characters only, so that text a list (or
// whoever answered for it) wrote cannot drive the terminal, and cuts it to
// at most limit runes.
func sanitize(s string, limit int) string {
	var b strings.Builder
	n := 0
	for _, c := range s {
		if n == limit {
			b.WriteString("…")
			break
		}
		if !unicode.IsPrint(c) {
			c = ' '
		}
		b.WriteRune(c)
		n++
	}
	return strings.TrimSpace(b.String())
}

func joinAddrs(as []netip.Addr) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}

// target is a parsed query subject: an IP address or a domain name.
type target struct {
	ip     netip.Addr // valid for IP targets
	domain string     // ASCII, lower case, no final dot, for domain targets
}

// isIP reports whether the target is an address rather than a name.
func (t target) isIP() bool { return t.ip.IsValid() }

// String returns the normalised address or name.
func (t target) String() string {
	if t.isIP() {
		return t.ip.String()
	}
	return t.domain
}

// parseTarget accepts an IP address (IPv4-mapped IPv6 counts as IPv4; a
// zone index is dropped) or an ASCII domain name (IDNs in A-label form:
// golang.org/x/net/idna needs golang.org/x/text, which the module lacks).
func parseTarget(s string) (target, error) {
	s = strings.TrimSpace(s)
	if ip, err := netip.ParseAddr(s); err == nil {
		return target{ip: ip.Unmap().WithZone("")}, nil
	}
	name := strings.ToLower(strings.TrimSuffix(s, "."))
	if name == "" {
		return target{}, fmt.Errorf("empty target: %w", ErrTarget)
	}
	ascii := name
	for i := 0; i < len(name); i++ {
		if name[i] >= 0x80 {
			return target{}, fmt.Errorf("%q: write an internationalised name in its A-label (xn--) form: %w",
				sanitize(s, 64), ErrTarget)
		}
	}
	if len(ascii) > 253 {
		return target{}, fmt.Errorf("%q is longer than 253 bytes: %w", sanitize(s, 64), ErrTarget)
	}
	for label := range strings.SplitSeq(ascii, ".") {
		if len(label) == 0 || len(label) > 63 || !ldh(label) {
			return target{}, fmt.Errorf("%q: %w", sanitize(s, 64), ErrTarget)
		}
	}
	return target{domain: ascii}, nil
}

// ldh reports whether a label has only letters, digits, hyphens and
// underscores (the last for the odd host name that has them).
func ldh(label string) bool {
	for i := 0; i < len(label); i++ {
		c := label[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// queryName builds the name to ask (RFC 5782): reversed octets for IPv4,
// 32 reversed nibbles for IPv6, the name itself for domains; then the zone.
func queryName(t target, zone string) (string, error) {
	zone = strings.ToLower(strings.Trim(zone, "."))
	if zone == "" {
		return "", errors.New("list has no zone")
	}
	var prefix string
	switch {
	case t.isIP() && t.ip.Is4():
		b := t.ip.As4()
		prefix = fmt.Sprintf("%d.%d.%d.%d", b[3], b[2], b[1], b[0])
	case t.isIP():
		prefix = reverseNibbles(t.ip)
	default:
		prefix = t.domain
	}
	name := prefix + "." + zone + "."
	if len(name) > 254 { // 253 characters plus the root dot (RFC 1035 §2.3.4)
		return "", fmt.Errorf("query name for %s on %s is too long: %w", t, zone, ErrTarget)
	}
	return name, nil
}

// reverseNibbles writes an IPv6 address as 32 dot-separated hex nibbles,
// least significant first, as ip6.arpa does (RFC 3596 §2.5, RFC 5782).
func reverseNibbles(ip netip.Addr) string {
	const hexdigits = "0123456789abcdef"
	b := ip.As16()
	out := make([]byte, 0, 63)
	for i := len(b) - 1; i >= 0; i-- {
		if len(out) > 0 {
			out = append(out, '.')
		}
		out = append(out, hexdigits[b[i]&0x0f], '.', hexdigits[b[i]>>4])
	}
	return string(out)
}
