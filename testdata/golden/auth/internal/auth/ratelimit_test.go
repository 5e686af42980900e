package auth

import (
	"testing"
	"time"

	"example.com/demo/internal/apperr"
)

func retryAfter(t *testing.T, err error) time.Duration {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Code != apperr.CodeRateLimited {
		t.Fatalf("error = %v, want RATE_LIMITED", err)
	}
	return e.RetryAfter
}

func TestWindowCounterLocksForRestOfWindow(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	w := newWindowCounter(5, 15*time.Minute, 100, clock.Now)
	for i := range 5 {
		if err := w.allow("k"); err != nil {
			t.Fatalf("blocked before failure %d: %v", i+1, err)
		}
		clock.Advance(time.Minute)
	}
	// Five failures in minutes 0–4: locked until minute 15.
	if got := retryAfter(t, w.blocked("k")); got != 10*time.Minute {
		t.Fatalf("Retry-After = %v, want 10m", got)
	}
	if err := w.blocked("other"); err != nil {
		t.Fatalf("another key is blocked: %v", err)
	}
	clock.Advance(10*time.Minute - 1500*time.Millisecond)
	if got := retryAfter(t, w.blocked("k")); got != 2*time.Second {
		t.Fatalf("Retry-After rounds up: got %v, want 2s", got)
	}
	clock.Advance(1500 * time.Millisecond)
	if err := w.blocked("k"); err != nil {
		t.Fatalf("still blocked after the window closed: %v", err)
	}
}

func TestWindowCounterAllow(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	w := newWindowCounter(3, time.Minute, 100, clock.Now)
	for i := range 3 {
		if err := w.allow("ip"); err != nil {
			t.Fatalf("request %d refused: %v", i+1, err)
		}
	}
	if got := retryAfter(t, w.allow("ip")); got != time.Minute {
		t.Fatalf("Retry-After = %v, want 1m", got)
	}
	clock.Advance(time.Minute)
	if err := w.allow("ip"); err != nil {
		t.Fatalf("refused in a new window: %v", err)
	}
}

func TestWindowCounterUndo(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	w := newWindowCounter(2, time.Minute, 100, clock.Now)
	for range 5 {
		if err := w.allow("k"); err != nil {
			t.Fatalf("refused although every event was taken back: %v", err)
		}
		w.undo("k")
	}
	_ = w.allow("k")
	_ = w.allow("k")
	if err := w.allow("k"); err == nil {
		t.Fatal("allowed over the limit")
	}
	w.undo("other")
	clock.Advance(time.Minute)
	w.undo("k")
	if len(w.windows) != 0 {
		t.Fatal("undo kept a closed window or opened one")
	}
}

func TestWindowCounterResetAndSweep(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	w := newWindowCounter(1, time.Minute, 100, clock.Now)
	_ = w.allow("a")
	_ = w.allow("b")
	w.reset("a")
	if err := w.blocked("a"); err != nil {
		t.Fatalf("reset key blocked: %v", err)
	}
	clock.Advance(2 * time.Minute)
	w.sweep()
	if n := len(w.windows); n != 0 {
		t.Fatalf("%d windows left after sweep, want 0", n)
	}
}
