// Package dnsx is the one DNS resolver every check uses: a chosen server,
// EDNS0 over UDP with TCP fallback on truncation, per-query timeouts and
// retries under a context, NXDOMAIN/NODATA/SERVFAIL/REFUSED/timeout kept
// apart, in-flight de-duplication, a per-run cache, a query log, and a
// fresh mode that asks a domain's authoritative servers directly.
//
// It wraps github.com/miekg/dns (v1, in maintenance) so no other package
// depends on it directly, and adapts itself to the LookupTXT hooks of
// go-msgauth so nothing falls back to the system resolver behind our back.
package dnsx

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Config chooses servers and limits. The zero value of each field means
// its documented default.
type Config struct {
	// Servers to ask, as host:port. Empty means /etc/resolv.conf.
	Servers []string
	// Timeout bounds one attempt of one query. Default 2s.
	Timeout time.Duration
	// Attempts is how many times a query is tried (cycling servers) before
	// it counts as a timeout. Default 2.
	Attempts int
	// Retransmit is how long a UDP query waits for a reply before it is
	// sent again within the same attempt (then twice as long, and so
	// on): a lost datagram costs this, not the whole Timeout. Default
	// 500ms (several round trips to any resolver worth asking; a slow
	// recursion gets a duplicate question, which resolvers absorb);
	// negative: never.
	Retransmit time.Duration
	// UDPSize is the EDNS0 buffer size advertised. Default 1232 (the DNS
	// flag day 2020 value, which avoids IP fragmentation).
	UDPSize uint16
	// Fresh lists domains whose own records are asked of their
	// authoritative servers (found through NS), so that a record published
	// a minute ago is seen despite resolver caches.
	Fresh []string
	// AuthPort is the port authoritative servers are asked on. Default 53;
	// tests point it at their in-process servers.
	AuthPort string
	// Log, when set, receives every query as it completes (for -v).
	Log func(Query)
	// Shared, when set, keeps answers for their TTL beyond this resolver:
	// Flush keeps it, and other resolvers may share it. Only answers
	// asked with LookupShared go in, or all of them with ShareAll.
	Shared   *Cache
	ShareAll bool
	// Mask lists secrets that appear in query names (a Spamhaus DQS key
	// is a label of the name asked): every Query recorded, logged or
	// handed to a check has them replaced by "****".
	Mask []string
}

// Resolver is safe for concurrent use. Its cache lasts as long as the value:
// make a new one (or call Flush) for each run of the checks.
type Resolver struct {
	cfg Config

	mu    sync.Mutex
	cache map[cacheKey]*call
	auth  map[string]*authCall // zone apex → its servers
	log   []Query
}

type cacheKey struct {
	name  string
	qtype uint16
	fresh bool
}

type call struct {
	done    chan struct{}
	ans     *Answer
	waiters int // lookups that joined it (under the owner's lock)
}

// New returns a resolver; it fails only if no server can be found.
func New(cfg Config) (*Resolver, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Second
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = 2
	}
	if cfg.Retransmit == 0 {
		cfg.Retransmit = 500 * time.Millisecond
	}
	if cfg.UDPSize == 0 {
		cfg.UDPSize = 1232
	}
	if cfg.AuthPort == "" {
		cfg.AuthPort = "53"
	}
	if len(cfg.Servers) == 0 {
		servers, err := SystemServers("/etc/resolv.conf")
		if err != nil {
			return nil, err
		}
		cfg.Servers = servers
	}
	for i, s := range cfg.Servers {
		n, err := NormalizeServer(s)
		if err != nil {
			return nil, err
		}
		cfg.Servers[i] = n
	}
	for i, d := range cfg.Fresh {
		cfg.Fresh[i] = Fqdn(d)
	}
	return &Resolver{cfg: cfg, cache: map[cacheKey]*call{}, auth: map[string]*authCall{}}, nil
}

// SystemServers reads the name servers of a resolv.conf file.
func SystemServers(path string) ([]string, error) {
	cc, err := dns.ClientConfigFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading resolver config: %w (use --resolver HOST:PORT)", err)
	}
	if len(cc.Servers) == 0 {
		return nil, fmt.Errorf("no nameserver in %s (use --resolver HOST:PORT)", path)
	}
	out := make([]string, len(cc.Servers))
	for i, s := range cc.Servers {
		out[i] = net.JoinHostPort(s, cc.Port)
	}
	return out, nil
}

// NormalizeServer accepts "host", "host:port", "v6addr" and "[v6addr]:port"
// and returns host:port, defaulting the port to 53.
func NormalizeServer(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errors.New("empty resolver address")
	}
	host, port := s, "53"
	if h, p, err := net.SplitHostPort(s); err == nil {
		if h == "" || p == "" {
			return "", fmt.Errorf("resolver %q: want HOST:PORT", s)
		}
		host, port = h, p
	} else {
		host = strings.Trim(s, "[]") // a bare IPv6 address
	}
	// An IP address, or localhost: a name would be looked up by the
	// system's resolver before ours is asked anything, and a typo would
	// show as every check "could not be checked".
	if _, err := netip.ParseAddr(host); err != nil && !strings.EqualFold(host, "localhost") {
		return "", fmt.Errorf("resolver %q: want an IP address (and port), such as 127.0.0.1:53 or [::1]:53", s)
	}
	return net.JoinHostPort(host, port), nil
}

// Servers returns the servers in use.
func (r *Resolver) Servers() []string { return append([]string(nil), r.cfg.Servers...) }

// Fqdn lower-cases a name and adds the final dot.
func Fqdn(name string) string { return strings.ToLower(dns.Fqdn(name)) }

// Flush forgets cached answers (not the log), for watch mode re-runs.
func (r *Resolver) Flush() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cache = map[cacheKey]*call{}
	r.auth = map[string]*authCall{}
}

// Log returns every query made so far, in completion order.
func (r *Resolver) Log() []Query {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Query(nil), r.log...)
}

// Lookup asks one question. Identical questions in flight at once are sent
// once; answered questions are served from the per-run cache.
func (r *Resolver) Lookup(ctx context.Context, name string, qtype uint16) *Answer {
	return r.lookup(ctx, name, qtype, r.cfg.ShareAll)
}

// LookupShared is Lookup for an answer worth keeping across runs for its
// TTL in Config.Shared (a blocklist's test point: it does not change when
// the user fixes their DNS). Without a shared cache it is Lookup.
func (r *Resolver) LookupShared(ctx context.Context, name string, qtype uint16) *Answer {
	return r.lookup(ctx, name, qtype, true)
}

func (r *Resolver) lookup(ctx context.Context, name string, qtype uint16, share bool) *Answer {
	name = Fqdn(name)
	fresh := r.isFresh(name)
	key := cacheKey{name, qtype, fresh}
	shared := r.cfg.Shared
	if fresh || !share {
		shared = nil // --fresh asks for what was published a minute ago
	}
	if shared != nil {
		if ans, ok := shared.get(key); ok { // the common case, without a call
			r.record(ctx, ans, true, fresh)
			return ans
		}
	}

	r.mu.Lock()
	if c, ok := r.cache[key]; ok {
		c.waiters++
		r.mu.Unlock()
		select {
		case <-c.done:
		case <-ctx.Done():
			return &Answer{Name: name, Type: qtype, Outcome: Failure, Err: ctx.Err()}
		}
		if cancelled(c.ans) && ctx.Err() == nil {
			// The caller we waited on gave up; its cancellation is not
			// our answer. Ask again (the entry was dropped).
			return r.lookup(ctx, name, qtype, share)
		}
		r.record(ctx, c.ans, true, fresh)
		return c.ans
	}
	c := &call{done: make(chan struct{})}
	r.cache[key] = c
	r.mu.Unlock()

	joined := false // answered by another resolver's lookup through the shared cache
	func() {
		defer close(c.done) // even if resolve panics, waiters are released
		c.ans = &Answer{Name: name, Type: qtype, Outcome: Failure, Err: errors.New("lookup aborted")}
		if err := checkName(name); err != nil {
			c.ans = &Answer{Name: name, Type: qtype, Outcome: Invalid, Err: err}
			return
		}
		if shared == nil {
			c.ans = r.resolve(ctx, name, qtype, fresh, nil)
		} else {
			c.ans, joined = shared.do(ctx, key, func() *Answer { return r.resolve(ctx, name, qtype, fresh, nil) })
		}
		if cancelled(c.ans) {
			// A cancelled caller must not poison the cache for the others.
			r.mu.Lock()
			delete(r.cache, key)
			r.mu.Unlock()
		}
	}()
	r.record(ctx, c.ans, joined, fresh)
	return c.ans
}

// waiting is how many lookups have joined the question k in flight here.
func (r *Resolver) waiting(k cacheKey) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return waiters(r.cache, k)
}

// expired reports whether ctx is done or its deadline has passed (the
// socket deadline can fire a moment before the context's own timer).
func expired(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	d, ok := ctx.Deadline()
	return ok && !time.Now().Before(d)
}

// checkName refuses names that cannot be put in a DNS message (a label
// over 63 octets, a name over 255): that is a permanent problem of the
// input, not a failure to find out.
func checkName(name string) error {
	if _, ok := dns.IsDomainName(name); !ok {
		return fmt.Errorf("%q is not a valid domain name", strings.TrimSuffix(name, "."))
	}
	return nil
}

func cancelled(a *Answer) bool {
	return a.Outcome == Failure && (errors.Is(a.Err, context.Canceled) || errors.Is(a.Err, context.DeadlineExceeded))
}

func (r *Resolver) isFresh(name string) bool {
	for _, d := range r.cfg.Fresh {
		if name == d || strings.HasSuffix(name, "."+d) {
			return true
		}
	}
	return false
}

// resolve asks the recursive servers, or the authoritative ones in fresh
// mode, and follows CNAMEs a server left unfollowed. seen holds the names
// already on the chain, so a loop across replies is caught too.
func (r *Resolver) resolve(ctx context.Context, name string, qtype uint16, fresh bool, seen []string) *Answer {
	var ans *Answer
	if fresh {
		ans = r.askAuthoritative(ctx, name, qtype)
	} else {
		ans = r.exchange(ctx, r.cfg.Servers, name, qtype, true)
	}
	if ans.Outcome != NoData || qtype == dns.TypeCNAME || len(ans.Records) == 0 {
		return ans
	}
	// NoData with a CNAME in hand: the target lives elsewhere.
	seen = append(append(seen, name), ans.chain[:len(ans.chain)-1]...)
	target := ans.chain[len(ans.chain)-1]
	chain := chain{names: append(seen, target)}
	for _, n := range seen {
		chain.loop = chain.loop || n == target
	}
	chain.long = len(chain.names) > maxChain+1
	if err := chain.err(); err != nil {
		return &Answer{Name: name, Type: qtype, Outcome: Failure, Err: err, Server: ans.Server, RTT: ans.RTT}
	}
	next := r.resolve(ctx, target, qtype, r.isFresh(target), seen)
	out := *next
	out.Name = name
	return &out
}

// exchange sends one question to the servers, with retries and TCP
// fallback, and classifies the reply.
func (r *Resolver) exchange(ctx context.Context, servers []string, name string, qtype uint16, recursive bool) *Answer {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.RecursionDesired = recursive
	// AD in a query asks a validating resolver to say whether it
	// validated the answer (RFC 6840 §5.7); DANE needs to know.
	m.AuthenticatedData = true
	m.SetEdns0(r.cfg.UDPSize, false)

	ans := &Answer{Name: name, Type: qtype, Outcome: Timeout}
	for attempt := 0; attempt < r.cfg.Attempts; attempt++ {
		if err := ctx.Err(); err != nil {
			ans.Outcome, ans.Err = Failure, err
			return ans
		}
		server := servers[attempt%len(servers)]
		ans.Server = server
		start := time.Now()
		reply, err := r.exchangeOnce(ctx, m, server)
		ans.RTT = time.Since(start)
		if err != nil {
			ans.Err = err
			if noReply(err) {
				ans.Err = &NoReply{Server: server, Timeout: r.cfg.Timeout, Err: err}
			}
			if expired(ctx) {
				ans.Outcome, ans.Err = Failure, context.DeadlineExceeded
				if ctx.Err() != nil {
					ans.Err = ctx.Err()
				}
				return ans
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				ans.Outcome = Timeout
				continue
			}
			if ctx.Err() != nil {
				ans.Outcome, ans.Err = Failure, ctx.Err()
				return ans
			}
			ans.Outcome = Failure
			continue
		}
		ans.Err = nil
		classify(ans, reply)
		ans.Authenticated = reply.AuthenticatedData
		ans.negTTL = negativeTTL(reply)
		if ans.Outcome == ServFail && attempt+1 < r.cfg.Attempts && len(servers) > 1 {
			continue // another server may know better
		}
		return ans
	}
	return ans
}

func (r *Resolver) exchangeOnce(ctx context.Context, m *dns.Msg, server string) (*dns.Msg, error) {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	reply, err := r.exchangeUDP(ctx, m, server)
	if (err == nil && reply.Truncated) || errors.Is(err, errOversize) {
		reply, err = r.exchangeTCP(ctx, m, server)
	}
	return reply, err
}

// noReply tells a failure to get any reply (what the socket said: refused,
// unreachable, timed out) from a reply that came but could not be used.
func noReply(err error) bool {
	var oe *net.OpError
	var ne net.Error
	return errors.As(err, &oe) || (errors.As(err, &ne) && ne.Timeout())
}

func classify(ans *Answer, reply *dns.Msg) {
	switch reply.Rcode {
	case dns.RcodeSuccess:
	case dns.RcodeNameError:
		ans.Outcome = NXDomain
		return
	case dns.RcodeServerFailure:
		ans.Outcome = ServFail
		return
	case dns.RcodeRefused:
		ans.Outcome = Refused
		return
	default:
		ans.Outcome = Failure
		ans.Err = fmt.Errorf("rcode %s", dns.RcodeToString[reply.Rcode])
		return
	}
	c := chainOf(reply)
	if err := c.err(); err != nil {
		// A loop or an endless chain is a broken zone we could not read
		// through, not an answer that there is no record.
		ans.Outcome, ans.Err = Failure, err
		return
	}
	var last dns.RR
	for _, rr := range reply.Answer {
		owner := strings.ToLower(rr.Header().Name)
		switch {
		case rr.Header().Rrtype == ans.Type && owner == c.end():
			ans.Records = append(ans.Records, rr)
		case rr.Header().Rrtype == dns.TypeCNAME && len(c.names) > 1 && owner == c.names[len(c.names)-2]:
			last = rr
		}
	}
	ans.chain = c.names[1:]
	if len(ans.Records) > 0 {
		ans.Outcome = Success
		return
	}
	ans.Outcome = NoData
	if last != nil {
		// The server gave the CNAME but not its target: resolve asks the
		// target directly (an authoritative server does not follow a CNAME
		// out of its zone; a recursive one answers from its cache).
		ans.Records = []dns.RR{last}
	}
}

// record adds the answer to the run's log and to the recorders in ctx.
func (r *Resolver) record(ctx context.Context, ans *Answer, cached, fresh bool) {
	q := Query{
		Name: ans.Name, Type: dns.TypeToString[ans.Type], Server: ans.Server,
		Outcome: ans.Outcome, RTT: ans.RTT, Cached: cached, Fresh: fresh,
	}
	if ans.Outcome != Timeout && ans.Outcome != Failure {
		q.Rcode = rcodeOf(ans.Outcome)
	}
	if ans.Err != nil {
		q.Error = ans.Err.Error()
		var nr *NoReply
		q.noReply = errors.As(ans.Err, &nr)
	}
	for i, rr := range ans.Records {
		if i == 0 || rr.Header().Ttl < q.TTL {
			q.TTL = rr.Header().Ttl
		}
		q.Answers = append(q.Answers, rr.String())
	}
	q = r.masked(q)
	if !cached {
		r.mu.Lock()
		r.log = append(r.log, q)
		r.mu.Unlock()
		if r.cfg.Log != nil {
			r.cfg.Log(q)
		}
	}
	for _, rec := range recorders(ctx) {
		rec.add(q)
	}
}

// masked returns q with every Config.Mask secret replaced.
func (r *Resolver) masked(q Query) Query {
	for _, secret := range r.cfg.Mask {
		if secret == "" {
			continue
		}
		hide := func(s string) string { return MaskSecret(s, secret) }
		q.Name, q.Error = hide(q.Name), hide(q.Error)
		for i := range q.Answers {
			q.Answers[i] = hide(q.Answers[i])
		}
	}
	return q
}

// MaskSecret replaces every occurrence of secret in s by "****", ignoring
// case (DNS names are case-insensitive; a resolver may answer in another
// case).
func MaskSecret(s, secret string) string {
	old, repl := secret, "****"
	if old == "" {
		return s
	}
	lower, lowOld := strings.ToLower(s), strings.ToLower(old)
	if len(lower) != len(s) || !strings.Contains(lower, lowOld) {
		return strings.ReplaceAll(s, old, repl)
	}
	var b strings.Builder
	for {
		i := strings.Index(lower, lowOld)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString(repl)
		s, lower = s[i+len(old):], lower[i+len(old):]
	}
}

func rcodeOf(o Outcome) string {
	switch o {
	case NXDomain:
		return "NXDOMAIN"
	case ServFail:
		return "SERVFAIL"
	case Refused:
		return "REFUSED"
	}
	return "NOERROR"
}

// Recorder collects the queries made under one context, so each check can
// show the questions it asked (cache hits included, marked).
type Recorder struct {
	mu sync.Mutex
	qs []Query
}

type recorderKey struct{}

// WithRecorder returns a context whose lookups are also added to rec.
// Recorders nest: an outer one sees the queries of inner ones.
func WithRecorder(ctx context.Context, rec *Recorder) context.Context {
	outer := recorders(ctx)
	all := make([]*Recorder, 0, len(outer)+1)
	all = append(all, outer...)
	return context.WithValue(ctx, recorderKey{}, append(all, rec))
}

func recorders(ctx context.Context) []*Recorder {
	recs, _ := ctx.Value(recorderKey{}).([]*Recorder)
	return recs
}

func (rec *Recorder) add(q Query) {
	rec.mu.Lock()
	rec.qs = append(rec.qs, q)
	rec.mu.Unlock()
}

// Queries returns what was recorded.
func (rec *Recorder) Queries() []Query {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]Query(nil), rec.qs...)
}

// envResolver is the environment variable consulted when --resolver is not
// given (as quien does), so a user can point every command at unbound.
const envResolver = "MAILCRED_RESOLVER"

// ServersFromFlag turns a --resolver value (or $MAILCRED_RESOLVER) into a
// server list; empty means the system's.
func ServersFromFlag(flag string) []string {
	if flag == "" {
		flag = os.Getenv(envResolver)
	}
	if flag == "" {
		return nil
	}
	var out []string
	for _, s := range strings.Split(flag, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Fresh lists the domains this resolver asks authoritative servers about
// (Config.Fresh, as fully qualified names); empty when it asks only the
// recursive servers. A caller holding a resolver made for some domains
// can tell whether it serves others as well.
func (r *Resolver) Fresh() []string { return append([]string(nil), r.cfg.Fresh...) }
