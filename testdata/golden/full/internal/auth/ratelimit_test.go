package auth_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"example.com/demo/internal/apperr"
	"example.com/demo/internal/auth"
	"example.com/demo/internal/database"
	"example.com/demo/internal/platform/pgtest"
)

// testPool is a pool on a fresh migrated database of t's own.
func testPool(tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	m, err := database.NewMigrator()
	if err != nil {
		tb.Fatal(err)
	}
	pool, err := database.Open(context.Background(), pgtest.NewDatabase(tb, m))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(pool.Close)
	return pool
}

func testLimiter(db *pgxpool.Pool, name string, limit int, window time.Duration, clock *auth.FakeClock) *auth.Limiter {
	return auth.NewLimiter(db, name, limit, window, clock.Now, false)
}

func retryAfter(t *testing.T, err error) time.Duration {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Code != apperr.CodeRateLimited {
		t.Fatalf("error = %v, want RATE_LIMITED", err)
	}
	return e.RetryAfter
}

func TestLimiter(t *testing.T) {
	t.Parallel()
	pool := testPool(t)
	ctx := context.Background()
	type step struct {
		advance time.Duration
		do      string // allow, undo, reset
		key     string
		want    time.Duration // for allow: 0 allowed, else the Retry-After of the refusal
	}
	allowed := func(key string) step { return step{do: "allow", key: key} }
	refused := func(key string, after time.Duration) step { return step{do: "allow", key: key, want: after} }
	for _, tc := range []struct {
		name  string
		limit int
		steps []step
	}{
		{"locks for the rest of the window", 3, []step{
			allowed("k"), {advance: time.Minute}, allowed("k"), {advance: time.Minute}, allowed("k"),
			{advance: time.Minute}, refused("k", 12*time.Minute), allowed("other"),
			{advance: 12*time.Minute - 1500*time.Millisecond}, refused("k", 2*time.Second), // rounded up
			{advance: 1500 * time.Millisecond}, allowed("k"), // a new window
			allowed("k"), allowed("k"), refused("k", 15*time.Minute),
		}},
		{"undo gives an event back", 2, []step{
			allowed("k"), {do: "undo", key: "k"}, allowed("k"), {do: "undo", key: "k"},
			allowed("k"), allowed("k"), refused("k", 15*time.Minute),
			// Refusals are not events: one undo frees one slot whatever their number.
			refused("k", 15*time.Minute), {do: "undo", key: "k"}, allowed("k"), refused("k", 15*time.Minute),
			{do: "undo", key: "absent"}, allowed("absent"),
		}},
		{"undo in a closed window does nothing", 1, []step{
			allowed("k"), {advance: 15 * time.Minute}, {do: "undo", key: "k"}, allowed("k"), refused("k", 15*time.Minute),
		}},
		{"reset forgets the window", 1, []step{
			allowed("k"), refused("k", 15*time.Minute), {do: "reset", key: "k"}, allowed("k"),
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := auth.NewFakeClock()
			l := testLimiter(pool, strings.ReplaceAll(tc.name, " ", "_"), tc.limit, 15*time.Minute, clock)
			for i, s := range tc.steps {
				clock.Advance(s.advance)
				switch s.do {
				case "undo":
					l.Undo(ctx, s.key)
				case "reset":
					l.Reset(ctx, s.key)
				case "allow":
					err := l.Allow(ctx, s.key)
					if s.want == 0 && err != nil {
						t.Fatalf("step %d: allow(%s) = %v, want allowed", i, s.key, err)
					}
					if s.want != 0 {
						if got := retryAfter(t, err); got != s.want {
							t.Fatalf("step %d: Retry-After = %v, want %v", i, got, s.want)
						}
					}
				}
			}
		})
	}
}

// Limiters of different names share the table, never their counts.
func TestLimiterNamesAreSeparate(t *testing.T) {
	t.Parallel()
	pool := testPool(t)
	clock := auth.NewFakeClock()
	a := testLimiter(pool, "a", 1, time.Minute, clock)
	b := testLimiter(pool, "b", 1, time.Minute, clock)
	if err := a.Allow(context.Background(), "k"); err != nil {
		t.Fatal(err)
	}
	if err := b.Allow(context.Background(), "k"); err != nil {
		t.Fatalf("another limiter's count blocked the key: %v", err)
	}
}

// Keys the client chooses may be long or hold bytes PostgreSQL cannot store
// in text: they are counted under their hash instead of failing.
func TestLimiterStoresAnyKey(t *testing.T) {
	t.Parallel()
	pool := testPool(t)
	l := testLimiter(pool, "any", 1, time.Minute, auth.NewFakeClock())
	for _, key := range []string{strings.Repeat("x", 10_000), "nul\x00byte", "bad\xffutf8"} {
		if err := l.Allow(context.Background(), key); err != nil {
			t.Fatalf("first event of %.20q: %v", key, err)
		}
		if err := l.Allow(context.Background(), key); !apperr.Is(err, apperr.CodeRateLimited) {
			t.Fatalf("second event of %.20q = %v, want RATE_LIMITED", key, err)
		}
	}
}

// Concurrent callers, on separate connections as separate instances would
// be, never take more than the limit between them.
func TestLimiterAllowIsAtomic(t *testing.T) {
	t.Parallel()
	pool := testPool(t)
	const limit, callers = 3, 16
	for round := range 10 {
		l := testLimiter(pool, fmt.Sprintf("atomic%d", round), limit, time.Minute, auth.NewFakeClock())
		var allowed atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range callers {
			wg.Go(func() {
				<-start
				if err := l.Allow(context.Background(), "k"); err == nil {
					allowed.Add(1)
				} else if !apperr.Is(err, apperr.CodeRateLimited) {
					t.Error(err)
				}
			})
		}
		close(start)
		wg.Wait()
		if n := allowed.Load(); n != limit {
			t.Fatalf("round %d: %d of %d concurrent events allowed, limit %d", round, n, callers, limit)
		}
	}
}

// The clean-up deletes the rows of closed windows and only those, so the
// table holds at most the keys seen within a window and a clean-up interval.
func TestSweepRateLimits(t *testing.T) {
	t.Parallel()
	pool := testPool(t)
	ctx := context.Background()
	clock := auth.NewFakeClock()
	short := testLimiter(pool, "short", 1, time.Minute, clock)
	long := testLimiter(pool, "long", 1, time.Hour, clock)
	for i := range 100 {
		_ = short.Allow(ctx, fmt.Sprint(i))
	}
	_ = long.Allow(ctx, "blocked")
	clock.Advance(time.Minute)
	n, err := auth.SweepRateLimits(ctx, pool, clock.Now())
	if err != nil || n != 100 {
		t.Fatalf("sweep removed %d rows (%v), want the 100 closed windows", n, err)
	}
	if err := long.Allow(ctx, "blocked"); !apperr.Is(err, apperr.CodeRateLimited) {
		t.Fatalf("the sweep lifted an open window: %v", err)
	}
}

// A database that cannot count: the request limit lets events through, the
// failure limits refuse them with 503 and a Retry-After, never a 500.
func TestLimiterDatabaseDown(t *testing.T) {
	t.Parallel()
	pool := testPool(t)
	pool.Close()
	for _, failOpen := range []bool{true, false} {
		l := auth.NewLimiter(pool, "down", 1, time.Minute, auth.NewFakeClock().Now, failOpen)
		err := l.Allow(context.Background(), "k")
		switch e, _ := apperr.As(err); {
		case failOpen && err != nil:
			t.Fatalf("fail-open limiter refused: %v", err)
		case !failOpen && (e == nil || e.Code != apperr.CodeServiceUnavailable || e.RetryAfter <= 0):
			t.Fatalf("fail-closed limiter = %v, want SERVICE_UNAVAILABLE with Retry-After", err)
		}
	}
}
