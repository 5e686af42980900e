package tests

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/starter-go/starter/templates/project/internal/apptest"
	"github.com/starter-go/starter/templates/project/internal/auth"
	"github.com/starter-go/starter/templates/project/internal/config"
)

// Behind a transaction pooler without a direct URL, where LISTEN hears
// nothing, every instance polls for revocations instead, and a revocation
// made on A is still honoured by B, which cached the token, within the
// bound; with a direct URL they listen.
func TestPoolerRevocationsReachEveryInstance(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, check string
		opt         apptest.Option
	}{
		{"polling", "Polling for revocations every 50ms", apptest.WithPooler()},
		{"listening on the direct URL", "Listening for revocations", apptest.WithDirectURL()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			apps := apptest.NewCluster(t, 2, longCache(), fastRevocations(), tc.opt)
			a, b := apps[0], apps[1]
			eventually(t, 20*time.Second, "B says how it hears of revocations", func() bool {
				return revocationsCheck(t, b) == tc.check
			})
			u := a.CreateAuthUser(auth.RoleUser)
			if status, _ := me(t, b, u.Token); status != http.StatusOK {
				t.Fatalf("B before the logout: %d", status)
			}
			wantStatus(t, a.PostJSONAuth("/api/v1/auth/logout", u.Token, nil), http.StatusOK)
			eventually(t, revocationBound, "B honours a logout made on A", func() bool {
				status, _ := me(t, b, u.Token)
				return status == http.StatusUnauthorized
			})
		})
	}
}

// A poller whose connection hangs stops vouching for the cache within the
// bound, as a listener does, and one whose connection is cut reports it and
// bypasses the cache: the cache never serves what a poll could have missed.
func TestPoolerCacheBypassedWhilePollerIsCutOrHangs(t *testing.T) {
	t.Parallel()
	for _, cut := range []bool{false, true} {
		t.Run(map[bool]string{false: "hangs", true: "cut"}[cut], func(t *testing.T) {
			t.Parallel()
			opts := []apptest.Option{longCache(), apptest.WithPooler(), apptest.WithListenerProxy()}
			if cut { // what it waits for is the next poll; a hang keeps the lease that ships
				opts = append(opts, fastRevocations())
			}
			apps := apptest.NewCluster(t, 2, opts...)
			a, b := apps[0], apps[1]
			waitListening(t, a, b)
			u := a.CreateAuthUser(auth.RoleUser)
			if status, _ := me(t, b, u.Token); status != http.StatusOK {
				t.Fatalf("B before: %d", status)
			}
			if cut {
				b.ListenerProxy.Cut()
				eventually(t, 20*time.Second, "B reports its poller down", func() bool {
					return strings.HasPrefix(revocationsCheck(t, b), "down: ")
				})
			} else {
				b.ListenerProxy.Stall()
			}
			wantStatus(t, a.PostJSONAuth("/api/v1/auth/logout", u.Token, nil), http.StatusOK)
			eventually(t, revocationBound, "B honours a logout it cannot poll for", func() bool {
				status, _ := me(t, b, u.Token)
				return status == http.StatusUnauthorized
			})
		})
	}
}

// A revocation whose transaction commits after later ones were polled is
// still heard: a poll reads from the oldest transaction running at the
// previous poll, not from the newest revocation it saw.
func TestPoolerHearsARevocationCommittedLate(t *testing.T) {
	t.Parallel()
	apps := apptest.NewCluster(t, 2, longCache(), fastRevocations(), apptest.WithPooler())
	a, b := apps[0], apps[1]
	waitListening(t, a, b)
	late, early := a.CreateAuthUser(auth.RoleUser), a.CreateAuthUser(auth.RoleUser)
	for _, u := range []apptest.AuthUser{late, early} {
		if status, _ := me(t, b, u.Token); status != http.StatusOK {
			t.Fatalf("B before: %d", status)
		}
	}
	ctx := context.Background()
	tx, err := a.DB.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, late.ID); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, a.PostJSONAuth("/api/v1/auth/logout", early.Token, nil), http.StatusOK)
	eventually(t, revocationBound, "B honours the logout committed first", func() bool {
		status, _ := me(t, b, early.Token)
		return status == http.StatusUnauthorized
	})
	if status, _ := me(t, b, late.Token); status != http.StatusOK {
		t.Fatalf("B refused a session whose deletion is not committed yet: %d", status)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, revocationBound, "B honours the revocation committed last", func() bool {
		status, _ := me(t, b, late.Token)
		return status == http.StatusUnauthorized
	})
}

// A service told that DATABASE_URL is no pooler (database.pooler: none)
// while it is one in transaction mode would LISTEN on a server session the
// pooler hands to other clients, and miss revocations without an error: its
// listener notices that the pool's backend is its own, fails, and says so,
// and the token cache stays bypassed. Reaching PostgreSQL itself, the same
// configuration listens. (The first case needs the run's pooler: `make
// test-pgbouncer`.)
func TestListenerNoticesASessionOfAPooler(t *testing.T) {
	t.Parallel()
	app := newApp(t, longCache(), apptest.WithConfig(func(c *config.Config) {
		c.Database.Pooler, c.Database.DirectURL = config.PoolerNone, ""
	}))
	if os.Getenv("TEST_DATABASE_POOLER_URL") == "" {
		waitListening(t, app)
		return
	}
	eventually(t, 20*time.Second, "the listener says it is behind a transaction pooler", func() bool {
		return strings.Contains(app.Logs(), "revocation listener is behind a transaction pooler")
	})
	if msg := revocationsCheck(t, app); !strings.HasPrefix(msg, "down: ") {
		t.Fatalf("revocations check %q: the cache is vouched for by a listener that may hear nothing", msg)
	}
}

// eventually asserts that ok holds within bound from now. Checks that start
// before the bound may see the old state; the first that starts after it
// must see the new one, so the test states the contract's bound without
// timing any single request.
func eventually(t *testing.T, bound time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for time.Now().Before(deadline) {
		if ok() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !ok() {
		t.Fatalf("%s: still not so %v later", what, bound)
	}
}
