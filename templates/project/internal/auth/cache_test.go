package auth

import (
	"testing"
	"time"

	"github.com/google/uuid"
)

func testPrincipal(user uuid.UUID, h byte) Principal {
	return Principal{UserID: user, tokenHash: TokenHash{h}, Role: RoleUser}
}

func TestPrincipalCacheTTL(t *testing.T) {
	t.Parallel()
	c := newPrincipalCache(5 * time.Second)
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
	c := newPrincipalCache(time.Minute)
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
	c := newPrincipalCache(time.Minute)
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
	c := newPrincipalCache(-1)
	p := testPrincipal(uuid.New(), 1)
	c.put(c.epoch(), p, time.Now())
	if _, ok := c.get(p.tokenHash, time.Now()); ok {
		t.Fatal("a disabled cache served a hit")
	}
}
