package dnsx

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Cache keeps answers for their TTL across runs and across resolvers that
// are given the same one (Config.Shared): what `receive` shares between
// the messages it scores, and what keeps the blocklists' RFC 5782 test
// points from being asked again on every re-run of the checks. It holds
// at most a fixed number of answers; failures (timeouts, SERVFAIL, …) and
// answers from --fresh mode are never kept. A question another resolver
// has in flight is joined rather than asked again: a batch's workers (or
// receive's sessions) starting at once would otherwise send the same
// questions together, a burst that can overflow a resolver's receive
// buffer and cost a retransmission timeout. Safe for concurrent use.
type Cache struct {
	max    int
	maxTTL time.Duration
	now    func() time.Time

	mu      sync.RWMutex // read-mostly: every lookup of every message asks it
	entries map[cacheKey]cacheEntry
	flight  map[cacheKey]*call // questions being asked now, by any resolver; waiters: the other resolvers' lookups that joined
}

type cacheEntry struct {
	ans     *Answer
	expires time.Time
}

// DefaultCacheSize is NewCache's bound when given 0.
const DefaultCacheSize = 10000

// maxCacheTTL caps what a TTL can make us keep: a day-long TTL on a
// record that changes is the publisher's mistake, not a reason to show
// stale data for a day.
const maxCacheTTL = time.Hour

// NewCache returns a cache of at most size answers (DefaultCacheSize for
// 0). now is the clock (time.Now when nil; tests pass a fake one).
func NewCache(size int, now func() time.Time) *Cache {
	if size <= 0 {
		size = DefaultCacheSize
	}
	if now == nil {
		now = time.Now
	}
	return &Cache{max: size, maxTTL: maxCacheTTL, now: now, entries: map[cacheKey]cacheEntry{}, flight: map[cacheKey]*call{}}
}

// do returns the kept answer for k, or the answer of the same question
// another resolver has in flight (joined reports either), or else asks
// it with resolve, keeps the answer for its TTL and hands it to whoever
// joined meanwhile. A waiter whose own ctx ends gets that as a failure;
// one whose leader was cancelled asks again itself.
func (c *Cache) do(ctx context.Context, k cacheKey, resolve func() *Answer) (ans *Answer, joined bool) {
	for {
		if ans, ok := c.get(k); ok {
			return ans, true
		}
		c.mu.Lock()
		if e, ok := c.entries[k]; ok && c.now().Before(e.expires) {
			c.mu.Unlock()
			return e.ans, true // kept between get and Lock
		}
		if f, ok := c.flight[k]; ok {
			f.waiters++
			c.mu.Unlock()
			select {
			case <-f.done:
			case <-ctx.Done():
				return &Answer{Name: k.name, Type: k.qtype, Outcome: Failure, Err: ctx.Err()}, false
			}
			if cancelled(f.ans) && ctx.Err() == nil {
				continue // the leader gave up; its cancellation is not our answer
			}
			return f.ans, true
		}
		f := &call{done: make(chan struct{})}
		c.flight[k] = f
		c.mu.Unlock()
		func() {
			defer func() { // even if resolve panics, waiters are released
				c.mu.Lock()
				delete(c.flight, k)
				c.mu.Unlock()
				close(f.done)
			}()
			f.ans = &Answer{Name: k.name, Type: k.qtype, Outcome: Failure, Err: errors.New("lookup aborted")}
			f.ans = resolve()
			c.put(k, f.ans)
		}()
		return f.ans, false
	}
}

// waiting is how many lookups have joined the question k in flight.
func (c *Cache) waiting(k cacheKey) int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return waiters(c.flight, k)
}

// waiters is how many lookups joined the call for k in calls (0: none in
// flight). The caller holds the lock that guards calls.
func waiters(calls map[cacheKey]*call, k cacheKey) int {
	if c, ok := calls[k]; ok {
		return c.waiters
	}
	return 0
}

// Len returns how many answers are kept, expired ones included until they
// are met.
func (c *Cache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
}

func (c *Cache) get(k cacheKey) (*Answer, bool) {
	c.mu.RLock()
	e, ok := c.entries[k]
	c.mu.RUnlock()
	if !ok || !c.now().Before(e.expires) {
		return nil, false // an expired entry is replaced by the next put, or swept when full
	}
	return e.ans, true
}

// put keeps ans for its TTL, if it is an answer (records, NXDOMAIN or
// NODATA with an SOA to say for how long: RFC 2308 §5) and its TTL is
// not 0.
func (c *Cache) put(k cacheKey, ans *Answer) {
	ttl, ok := ans.cacheTTL()
	if !ok || ttl <= 0 {
		return
	}
	ttl = min(ttl, c.maxTTL)
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		for key, e := range c.entries {
			if !now.Before(e.expires) {
				delete(c.entries, key)
			}
		}
		for key := range c.entries { // still full: drop any one
			if len(c.entries) < c.max {
				break
			}
			delete(c.entries, key)
		}
	}
	c.entries[k] = cacheEntry{ans: ans, expires: now.Add(ttl)}
}

// cacheTTL is how long the answer may be kept: the smallest TTL of its
// records, or for a negative answer the SOA's negative TTL.
func (a *Answer) cacheTTL() (time.Duration, bool) {
	switch a.Outcome {
	case Success:
		if len(a.Records) == 0 {
			return 0, false
		}
		ttl := a.Records[0].Header().Ttl
		for _, rr := range a.Records[1:] {
			ttl = min(ttl, rr.Header().Ttl)
		}
		return time.Duration(ttl) * time.Second, true
	case NXDomain, NoData:
		if a.negTTL == 0 {
			return 0, false
		}
		return time.Duration(a.negTTL) * time.Second, true
	}
	return 0, false
}

// negativeTTL is the TTL of a negative answer (RFC 2308 §5): the smaller
// of the authority SOA's own TTL and its MINIMUM field; 0 without an SOA.
func negativeTTL(reply *dns.Msg) uint32 {
	for _, rr := range reply.Ns {
		if soa, ok := rr.(*dns.SOA); ok {
			return min(soa.Hdr.Ttl, soa.Minttl)
		}
	}
	return 0
}
