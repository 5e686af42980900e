package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"example.com/demo/internal/apperr"
	"example.com/demo/internal/platform/fakeclock"
)

// yieldingClock hands the processor to another goroutine on every reading,
// which widens any gap between two critical sections to a whole schedule.
func yieldingClock(c *fakeclock.Clock) func() time.Time {
	return func() time.Time {
		runtime.Gosched()
		return c.Now()
	}
}

// Concurrent callers of allow never take more than the limit between them:
// the check and the count are one critical section.
func TestWindowCounterAllowIsAtomic(t *testing.T) {
	t.Parallel()
	const limit, callers = 3, 32
	for round := range 50 {
		w := newWindowCounter(limit, time.Minute, 100, yieldingClock(newFakeClock()))
		var allowed atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range callers {
			wg.Go(func() {
				<-start
				if w.allow("k") == nil {
					allowed.Add(1)
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

// A flood of distinct keys keeps the map within its bound, and a key that is
// blocked stays blocked through the flood.
func TestWindowCounterBoundedKeys(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	const maxKeys = 64
	w := newWindowCounter(2, time.Minute, maxKeys, clock.Now)
	for range 2 {
		_ = w.allow("victim")
	}
	for i := range 10_000 {
		_ = w.allow(fmt.Sprintf("flood-%d", i))
		if len(w.windows) > maxKeys+1 {
			t.Fatalf("after %d distinct keys the map holds %d, bound %d (+1 shared overflow window)", i+1, len(w.windows), maxKeys)
		}
	}
	if w.blocked("victim") == nil {
		t.Fatal("the flood lifted the lock of a blocked key")
	}
	// Once the windows close, new keys get windows of their own again.
	clock.Advance(time.Minute)
	if err := w.allow("newcomer"); err != nil {
		t.Fatalf("a new key after the flood: %v", err)
	}
	if w.windows["newcomer"] == nil {
		t.Fatal("a new key after the flood went to the shared window")
	}
}

// While the map is full of blocked keys, new keys share one window: they are
// limited together rather than not at all.
func TestWindowCounterOverflowIsLimited(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	w := newWindowCounter(1, time.Minute, 8, clock.Now)
	for i := range 8 {
		_ = w.allow(fmt.Sprintf("blocked-%d", i))
	}
	if err := w.allow("first-new"); err != nil {
		t.Fatalf("first new key refused: %v", err)
	}
	if err := w.allow("second-new"); !apperr.Is(err, apperr.CodeRateLimited) {
		t.Fatalf("second new key in a saturated limiter: %v, want RATE_LIMITED", err)
	}
}

func TestIPKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"192.0.2.7", "192.0.2.7"},
		{"::ffff:192.0.2.7", "192.0.2.7"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
		{"2001:db8:1:3::1", "2001:db8:1:3::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"::1", "::/64"},
		{"not an address", "not an address"},
		{"", ""},
	} {
		if got := ipKey(tc.in); got != tc.want {
			t.Errorf("ipKey(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestHashGateBoundsConcurrency(t *testing.T) {
	t.Parallel()
	g := newHashGate(2)
	var running, peak atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			err := g.run(context.Background(), func() {
				n := running.Add(1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				runtime.Gosched()
				running.Add(-1)
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if p := peak.Load(); p > 2 {
		t.Fatalf("%d runs at once through a gate of 2", p)
	}
}

// Hashing and verifying in the service wait for the gate: with every slot
// taken, a request whose context ends gets the gate's error and no hash.
func TestServiceHashesThroughGate(t *testing.T) {
	t.Parallel()
	s := &Service{settings: Settings{Hash: cheap}.withDefaults(), logger: slog.New(slog.DiscardHandler), gate: newHashGate(1)}
	phc, err := HashPassword("Correct7horse", cheap)
	if err != nil {
		t.Fatal(err)
	}
	s.gate <- struct{}{} // every slot busy
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	if h, err := s.hash(cancelled, "Correct7horse"); !errors.Is(err, context.Canceled) || h != "" {
		t.Fatalf("hash with the gate full and the request gone = %q, %v", h, err)
	}
	if ok, err := s.verify(cancelled, "Correct7horse", phc); !errors.Is(err, context.Canceled) || ok {
		t.Fatalf("verify with the gate full and the request gone = %v, %v", ok, err)
	}
	if _, err := s.hash(expired, "Correct7horse"); !apperr.Is(err, apperr.CodeServiceUnavailable) {
		t.Fatalf("hash past the deadline = %v, want SERVICE_UNAVAILABLE", err)
	}
	<-s.gate
	if ok, err := s.verify(context.Background(), "Correct7horse", phc); err != nil || !ok {
		t.Fatalf("verify with a free slot = %v, %v", ok, err)
	}
}

func TestSettingsHashConcurrencyDefault(t *testing.T) {
	t.Parallel()
	if got := (Settings{}).withDefaults().HashConcurrency; got != runtime.GOMAXPROCS(0) {
		t.Fatalf("HashConcurrency default = %d, want GOMAXPROCS %d", got, runtime.GOMAXPROCS(0))
	}
}
