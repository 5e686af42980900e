package retry

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

var errBoom = errors.New("boom")

// recorder is a fake Policy.Sleep: it records each delay and returns at once.
type recorder struct{ slept []time.Duration }

func (r *recorder) Sleep(ctx context.Context, d time.Duration) error {
	r.slept = append(r.slept, d)
	return ctx.Err()
}

// results returns an fn that fails with errs[i] on call i+1 and succeeds after them.
func results(calls *int, errs ...error) func(context.Context) error {
	return func(context.Context) error {
		*calls++
		if *calls <= len(errs) {
			return errs[*calls-1]
		}
		return nil
	}
}

func TestDo(t *testing.T) {
	t.Parallel()
	exp := Strategy{Kind: Exponential, BaseDelay: s1, Multiplier: 2, MaxDelay: time.Minute}
	last := errors.New("third")
	permanent := Permanent(errBoom)
	tests := []struct {
		name      string
		policy    Policy
		errs      []error
		wantCalls int
		wantSlept []time.Duration
		wantErr   error
	}{
		{"success at once", Policy{Strategy: exp}, nil, 1, nil, nil},
		{"success on the third attempt", Policy{Strategy: exp}, []error{errBoom, errBoom}, 3, []time.Duration{s1, 2 * s1}, nil},
		{"gives up after MaxAttempts with the last error", Policy{Strategy: exp, MaxAttempts: 3},
			[]error{errBoom, errBoom, last, errBoom}, 3, []time.Duration{s1, 2 * s1}, last},
		{"zero MaxAttempts means 5", Policy{Strategy: Strategy{Kind: Fixed, Interval: ms}},
			slices.Repeat([]error{errBoom}, 9), 5, slices.Repeat([]time.Duration{ms}, 4), errBoom},
		{"MaxAttempts 1 never sleeps", Policy{MaxAttempts: 1}, []error{errBoom}, 1, nil, errBoom},
		{"none makes one attempt", Policy{Strategy: Strategy{Kind: None}, MaxAttempts: 9}, []error{errBoom}, 1, nil, errBoom},
		{"a permanent error stops at once", Policy{Strategy: exp}, []error{errBoom, permanent}, 2, []time.Duration{s1}, permanent},
		{"a wrapped permanent error too", Policy{Strategy: exp}, []error{fmt.Errorf("send: %w", permanent)}, 1, nil, permanent},
		{"jitter comes from Rand", Policy{Rand: func() float64 { return 0.5 }},
			[]error{errBoom, errBoom}, 3, []time.Duration{950 * ms, 1900 * ms}, nil},
		{"linear", Policy{Strategy: Strategy{Kind: Linear, BaseDelay: s1, Increment: s1, MaxDelay: time.Hour}},
			[]error{errBoom, errBoom, errBoom}, 4, []time.Duration{s1, 2 * s1, 3 * s1}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{}
			tt.policy.Sleep = rec.Sleep
			calls := 0
			err := Do(context.Background(), tt.policy, results(&calls, tt.errs...))
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("Do = %v, want %v", err, tt.wantErr)
			}
			if calls != tt.wantCalls {
				t.Errorf("fn called %d times, want %d", calls, tt.wantCalls)
			}
			if !slices.Equal(rec.slept, tt.wantSlept) {
				t.Errorf("slept %v, want %v", rec.slept, tt.wantSlept)
			}
		})
	}
}

func TestDoReturnsPermanentErrorsMarked(t *testing.T) {
	t.Parallel()
	err := Do(context.Background(), Policy{}, func(context.Context) error { return Permanent(errBoom) })
	if !IsPermanent(err) || !errors.Is(err, errBoom) || err.Error() != "boom" {
		t.Fatalf("Do = %v (permanent %v), want boom, still marked permanent", err, IsPermanent(err))
	}
}

func TestDoRejectsAnInvalidPolicy(t *testing.T) {
	t.Parallel()
	err := Do(context.Background(), Policy{MaxAttempts: 99}, func(context.Context) error {
		t.Error("fn ran")
		return nil
	})
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "max_attempts" || err.Error() != "retry: invalid max_attempts: must be between 1 and 25" {
		t.Fatalf("Do = %v, want the max_attempts *FieldError", err)
	}
}

func TestDoCancelledDuringSleep(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancelCause(context.Background())
	stop := errors.New("shutting down")
	p := Policy{Sleep: func(ctx context.Context, d time.Duration) error {
		cancel(stop) // the cancellation arrives while Do waits
		return context.Cause(ctx)
	}}
	calls := 0
	err := Do(ctx, p, results(&calls, errBoom, errBoom))
	if calls != 1 || !errors.Is(err, stop) || !errors.Is(err, errBoom) {
		t.Fatalf("Do = %v after %d calls, want boom and the cause after 1", err, calls)
	}
	if want := "boom (retry: stopped before attempt 2 of 5: shutting down)"; err.Error() != want {
		t.Fatalf("message %q, want %q", err, want)
	}
}

// TestDoDefaultSleep runs the real timer-based sleep in a synctest bubble,
// where time is fake and advances only when every goroutine waits.
func TestDoDefaultSleep(t *testing.T) {
	t.Parallel()
	fixedHour := Strategy{Kind: Fixed, Interval: time.Hour}
	t.Run("waits the delays", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			start, calls := time.Now(), 0
			err := Do(context.Background(), Policy{Strategy: fixedHour, MaxAttempts: 3}, results(&calls, errBoom, errBoom))
			if err != nil || calls != 3 {
				t.Fatalf("Do = %v after %d calls", err, calls)
			}
			if waited := time.Since(start); waited != 2*time.Hour {
				t.Fatalf("waited %v, want 2h", waited)
			}
		})
	})
	t.Run("a deadline ends the wait", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Minute)
			defer cancel()
			start, calls := time.Now(), 0
			err := Do(ctx, Policy{Strategy: fixedHour}, results(&calls, errBoom, errBoom, errBoom))
			if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, errBoom) || calls != 2 {
				t.Fatalf("Do = %v after %d calls", err, calls)
			}
			if waited := time.Since(start); waited != 90*time.Minute {
				t.Fatalf("returned after %v, want 1h30m", waited)
			}
		})
	})
	t.Run("no delay still notices a done ctx", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		calls := 0
		err := Do(ctx, Policy{Strategy: Strategy{Kind: Fixed}}, results(&calls, errBoom, errBoom))
		if !errors.Is(err, context.Canceled) || calls != 1 {
			t.Fatalf("Do = %v after %d calls", err, calls)
		}
		if err := sleep(context.Background(), 0); err != nil {
			t.Fatalf("sleep(0) = %v", err)
		}
	})
}

func TestPermanent(t *testing.T) {
	t.Parallel()
	if Permanent(nil) != nil {
		t.Fatal("Permanent(nil) is not nil")
	}
	if IsPermanent(nil) || IsPermanent(errBoom) {
		t.Fatal("plain errors reported permanent")
	}
	err := fmt.Errorf("webhook: %w", Permanent(errBoom))
	if !IsPermanent(err) || !errors.Is(err, errBoom) || err.Error() != "webhook: boom" {
		t.Fatalf("wrapped permanent error: %v, permanent %v", err, IsPermanent(err))
	}
	if !IsPermanent(errors.Join(errBoom, Permanent(errBoom))) {
		t.Fatal("IsPermanent misses a permanent error inside a join")
	}
}
