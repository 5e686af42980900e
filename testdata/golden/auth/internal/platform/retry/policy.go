package retry

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"
)

// Policy is a Strategy with an attempt limit and the sources of chance and
// time it uses. The zero Policy is valid: the default strategy, 5 attempts.
type Policy struct {
	// Strategy gives the delays. Default (zero): DefaultStrategy.
	Strategy Strategy

	// MaxAttempts counts every attempt, the first included, from 1 to 25;
	// strategy None always makes it 1. Default (0): DefaultMaxAttempts.
	MaxAttempts int

	// Rand returns the jitter draw, in [0, 1). Tests pass a constant.
	// Default (nil): math/rand/v2.Float64, safe for concurrent use.
	Rand func() float64

	// Sleep waits for d and returns nil, or returns ctx's cause as soon as
	// ctx is done. Do uses it between attempts; tests pass one that records
	// d and returns at once. Default (nil): a timer raced against ctx.Done().
	Sleep func(ctx context.Context, d time.Duration) error
}

// DefaultMaxAttempts is the API's default max_attempts.
const DefaultMaxAttempts = 5

// Development retries quickly and gives up soon: exponential from 100 ms,
// 3 attempts.
func Development() Policy {
	s := DefaultStrategy()
	s.BaseDelay = 100 * time.Millisecond
	return Policy{Strategy: s, MaxAttempts: 3}
}

// Test keeps test suites fast: a fixed 10 ms, 2 attempts.
func Test() Policy {
	return Policy{Strategy: Strategy{Kind: Fixed, Interval: 10 * time.Millisecond}, MaxAttempts: 2}
}

// Production rides out longer outages: exponential from 1 s, ×2, at most
// 300 s, jitter 0.1, 8 attempts (about 4 minutes of delays in all).
func Production() Policy {
	return Policy{Strategy: DefaultStrategy(), MaxAttempts: 8}
}

// Preset returns the policy for an environment name: "development", "test"
// or "production".
func Preset(env string) (Policy, error) {
	switch env {
	case "development":
		return Development(), nil
	case "test":
		return Test(), nil
	case "production":
		return Production(), nil
	}
	return Policy{}, fmt.Errorf("retry preset %q: want development, test or production", env)
}

// Attempts returns the number of attempts allowed, the first included.
func (p Policy) Attempts() int {
	switch {
	case p.Strategy.Kind == None:
		return 1
	case p.MaxAttempts <= 0:
		return DefaultMaxAttempts
	}
	return p.MaxAttempts
}

// Delay returns the delay between attempt n (1-based, the one that failed)
// and attempt n+1, drawing the jitter from Rand. The caller checks n
// against Attempts.
func (p Policy) Delay(n int) time.Duration {
	if k := p.Strategy.Kind; k != Exponential && k != "" {
		return p.Strategy.Delay(n, 0) // no draw needed
	}
	return p.Strategy.Delay(n, p.rand())
}

// Validate checks the strategy and max_attempts (1 to 25; 0 means the
// default). The error is a *FieldError.
func (p Policy) Validate() error {
	if p.MaxAttempts < 0 || p.MaxAttempts > MaxAttemptsMax {
		return &FieldError{Field: "max_attempts", Rule: fmt.Sprintf("must be between 1 and %d", MaxAttemptsMax)}
	}
	return p.Strategy.Validate()
}

func (p Policy) rand() float64 {
	if p.Rand == nil {
		return rand.Float64() //nolint:gosec // G404: jitter needs no secrecy
	}
	return p.Rand()
}

func (p Policy) sleep(ctx context.Context, d time.Duration) error {
	if p.Sleep == nil {
		return sleep(ctx, d)
	}
	return p.Sleep(ctx, d)
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return context.Cause(ctx)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
