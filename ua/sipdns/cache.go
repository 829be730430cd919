package sipdns

import (
	"strings"
	"sync"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

type cacheKey struct {
	name  string
	qtype dnsmessage.Type
}

type cacheEntry struct {
	ans     answer
	err     error // ErrNotFound for a negative entry
	expires time.Time
}

// cache holds answers until their TTL runs out, at most max entries: when
// full, expired entries go first, then the one closest to expiry.
type cache struct {
	mu  sync.Mutex
	max int
	m   map[cacheKey]cacheEntry
}

func newCache(max int) *cache { return &cache{max: max, m: make(map[cacheKey]cacheEntry, max)} }

func (c *cache) get(name string, qtype dnsmessage.Type, now time.Time) (answer, error, bool) {
	k := cacheKey{strings.ToLower(name), qtype}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok {
		return answer{}, nil, false
	}
	if !now.Before(e.expires) {
		delete(c.m, k)
		return answer{}, nil, false
	}
	return e.ans, e.err, true
}

// put keeps a (and err) for ttl; a zero TTL is not kept.
func (c *cache) put(name string, qtype dnsmessage.Type, a answer, err error, ttl time.Duration, now time.Time) {
	if ttl <= 0 || c.max <= 0 {
		return
	}
	k := cacheKey{strings.ToLower(name), qtype}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; !ok && len(c.m) >= c.max {
		c.evict(now)
	}
	c.m[k] = cacheEntry{ans: a, err: err, expires: now.Add(ttl)}
}

func (c *cache) evict(now time.Time) {
	var soonest cacheKey
	var at time.Time
	for k, e := range c.m {
		if !now.Before(e.expires) {
			delete(c.m, k)
			continue
		}
		if at.IsZero() || e.expires.Before(at) {
			soonest, at = k, e.expires
		}
	}
	if len(c.m) >= c.max {
		delete(c.m, soonest)
	}
}

func (c *cache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
