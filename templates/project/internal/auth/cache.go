package auth

import (
	"sync"
	"time"

	"github.com/google/uuid"
)

// maxCached bounds the cache; when full it is emptied rather than evicted
// entry by entry, which keeps the code small and the worst case a few misses.
const maxCached = 100_000

// principalCache maps token hashes to resolved callers for a short TTL, so that
// an authenticated request does not query the database. Every revocation in
// this process goes through invalidate*, and a lookup that raced with one is
// not stored (the epoch check), so revocation here is immediate. Revocations
// made by other instances arrive through the revocation listener.
//
// The cache serves and stores entries only while the listener vouches for
// it (liveUntil, see ListenRevocations): a listener that lost its connection,
// or has not heard from the database lately, may have missed a revocation, so
// until it is back every lookup goes to the database.
type principalCache struct {
	ttl time.Duration

	mu        sync.Mutex
	gen       uint64
	liveUntil time.Time
	entries   map[TokenHash]cacheEntry
	byUser    map[uuid.UUID]map[TokenHash]struct{}
}

type cacheEntry struct {
	p        Principal
	cachedAt time.Time
}

func newPrincipalCache(ttl time.Duration) *principalCache {
	return &principalCache{ttl: ttl, entries: map[TokenHash]cacheEntry{}, byUser: map[uuid.UUID]map[TokenHash]struct{}{}}
}

func (c *principalCache) enabled() bool { return c.ttl > 0 }

// liveLocked reports whether the listener vouches for the cache now. It reads
// the real clock, not the service's: the listener's heartbeat is real time.
func (c *principalCache) liveLocked() bool { return time.Now().Before(c.liveUntil) }

// live is liveLocked for callers outside the cache.
func (c *principalCache) live() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.liveLocked()
}

// vouch lets the cache serve entries until until: the listener is known to
// have applied every revocation committed before the heartbeat it just saw.
func (c *principalCache) vouch(until time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if until.After(c.liveUntil) {
		c.liveUntil = until
	}
}

// flush empties the cache and stops serving it until vouched for again. The
// listener calls it when its connection is lost and again when it is back
// (what was cached before may have been revoked meanwhile), and for a
// revocation it cannot read.
func (c *principalCache) flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.liveUntil = time.Time{}
	c.clearLocked()
}

func (c *principalCache) get(h TokenHash, now time.Time) (Principal, bool) {
	if !c.enabled() {
		return Principal{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.liveLocked() {
		return Principal{}, false
	}
	e, ok := c.entries[h]
	if !ok || now.Sub(e.cachedAt) >= c.ttl || now.Before(e.cachedAt) {
		return Principal{}, false
	}
	return e.p, true
}

// epoch is read before a database lookup and handed to put.
func (c *principalCache) epoch() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put stores p unless an invalidation happened since epoch was read.
func (c *principalCache) put(epoch uint64, p Principal, now time.Time) {
	if !c.enabled() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if epoch != c.gen || !c.liveLocked() {
		return
	}
	if len(c.entries) >= maxCached {
		c.clearLocked()
	}
	c.entries[p.tokenHash] = cacheEntry{p: p, cachedAt: now}
	if c.byUser[p.UserID] == nil {
		c.byUser[p.UserID] = map[TokenHash]struct{}{}
	}
	c.byUser[p.UserID][p.tokenHash] = struct{}{}
}

// touched records a write of last_activity_at.
func (c *principalCache) touched(h TokenHash, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[h]; ok {
		e.p.lastActivity = at
		c.entries[h] = e
	}
}

func (c *principalCache) invalidateToken(h TokenHash) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if e, ok := c.entries[h]; ok {
		delete(c.entries, h)
		delete(c.byUser[e.p.UserID], h)
		if len(c.byUser[e.p.UserID]) == 0 {
			delete(c.byUser, e.p.UserID)
		}
	}
}

func (c *principalCache) invalidateUser(id uuid.UUID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for h := range c.byUser[id] {
		delete(c.entries, h)
	}
	delete(c.byUser, id)
}

// sweep drops expired entries.
func (c *principalCache) sweep(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for h, e := range c.entries {
		if now.Sub(e.cachedAt) >= c.ttl {
			delete(c.entries, h)
			delete(c.byUser[e.p.UserID], h)
			if len(c.byUser[e.p.UserID]) == 0 {
				delete(c.byUser, e.p.UserID)
			}
		}
	}
}

func (c *principalCache) clearLocked() {
	c.entries = map[TokenHash]cacheEntry{}
	c.byUser = map[uuid.UUID]map[TokenHash]struct{}{}
}
