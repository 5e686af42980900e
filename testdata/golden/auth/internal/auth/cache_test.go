package auth

import (
	"testing"
	"time"

	"github.com/google/uuid"
)

func testPrincipal(user uuid.UUID, h byte) Principal {
	return Principal{UserID: user, tokenHash: TokenHash{h}, Role: RoleUser}
}

// liveCache is a cache the revocation listener vouches for during the test.
func liveCache(ttl time.Duration) *principalCache {
	c := newPrincipalCache(ttl)
	c.vouch(time.Now().Add(time.Hour))
	return c
}

func TestPrincipalCacheTTL(t *testing.T) {
	t.Parallel()
	c := liveCache(5 * time.Second)
	now := time.Now()
	p := testPrincipal(uuid.New(), 1)
	c.put(c.epoch(), p, now)
	if _, ok := c.get(p.tokenHash, now.Add(4*time.Second)); !ok {
		t.Fatal("miss within the TTL")
	}
	if _, ok := c.get(p.tokenHash, now.Add(5*time.Second)); ok {
		t.Fatal("hit after the TTL")
	}
}

func TestPrincipalCacheInvalidation(t *testing.T) {
	t.Parallel()
	c := liveCache(time.Minute)
	now := time.Now()
	alice, bob := uuid.New(), uuid.New()
	a1, a2, b1 := testPrincipal(alice, 1), testPrincipal(alice, 2), testPrincipal(bob, 3)
	for _, p := range []Principal{a1, a2, b1} {
		c.put(c.epoch(), p, now)
	}
	c.invalidateToken(a1.tokenHash)
	if _, ok := c.get(a1.tokenHash, now); ok {
		t.Fatal("token still cached after invalidateToken")
	}
	if _, ok := c.get(a2.tokenHash, now); !ok {
		t.Fatal("invalidateToken dropped another token")
	}
	c.invalidateUser(alice)
	if _, ok := c.get(a2.tokenHash, now); ok {
		t.Fatal("user's token still cached after invalidateUser")
	}
	if _, ok := c.get(b1.tokenHash, now); !ok {
		t.Fatal("invalidateUser dropped another user's token")
	}
}

// A lookup that started before a revocation must not store what it read.
func TestPrincipalCacheRaceWithRevocation(t *testing.T) {
	t.Parallel()
	c := liveCache(time.Minute)
	p := testPrincipal(uuid.New(), 1)
	epoch := c.epoch()
	c.invalidateUser(p.UserID)
	c.put(epoch, p, time.Now())
	if _, ok := c.get(p.tokenHash, time.Now()); ok {
		t.Fatal("a stale lookup was cached after a revocation")
	}
}

func TestPrincipalCacheDisabled(t *testing.T) {
	t.Parallel()
	c := liveCache(-1)
	p := testPrincipal(uuid.New(), 1)
	c.put(c.epoch(), p, time.Now())
	if _, ok := c.get(p.tokenHash, time.Now()); ok {
		t.Fatal("a disabled cache served a hit")
	}
}

// Without the listener's word the cache neither serves nor stores; a flush
// (the listener's connection lost or back) drops everything and withdraws
// that word until the next heartbeat.
func TestPrincipalCacheNeedsTheListener(t *testing.T) {
	t.Parallel()
	now := time.Now()
	p := testPrincipal(uuid.New(), 1)
	c := newPrincipalCache(time.Minute)
	c.put(c.epoch(), p, now)
	c.vouch(time.Now().Add(time.Hour))
	if _, ok := c.get(p.tokenHash, now); ok {
		t.Fatal("stored while no listener vouched for the cache")
	}
	c.put(c.epoch(), p, now)
	epoch := c.epoch()
	c.flush()
	if _, ok := c.get(p.tokenHash, now); ok {
		t.Fatal("served after a flush")
	}
	c.vouch(time.Now().Add(time.Hour))
	if _, ok := c.get(p.tokenHash, now); ok {
		t.Fatal("an entry from before the flush came back")
	}
	c.put(epoch, p, now)
	if _, ok := c.get(p.tokenHash, now); ok {
		t.Fatal("a lookup that started before the flush was stored")
	}
	c.vouch(time.Now().Add(-time.Millisecond)) // never shortens
	c.put(c.epoch(), p, now)
	if _, ok := c.get(p.tokenHash, now); !ok {
		t.Fatal("miss while vouched for")
	}
	lapsed := newPrincipalCache(time.Minute)
	lapsed.vouch(time.Now().Add(-time.Millisecond))
	lapsed.put(lapsed.epoch(), p, now)
	if _, ok := lapsed.get(p.tokenHash, now); ok {
		t.Fatal("served after the listener's word lapsed")
	}
}
