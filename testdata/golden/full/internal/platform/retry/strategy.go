package retry

import (
	"math"
	"time"
)

// Kind names a retry strategy as the API does.
type Kind string

// The kinds of Strategy.
const (
	// Exponential waits BaseDelay·Multiplier^(n−1) after attempt n, at most
	// MaxDelay, shortened by up to Jitter of itself.
	Exponential Kind = "exponential"
	// Linear waits BaseDelay + Increment·(n−1) after attempt n, at most MaxDelay.
	Linear Kind = "linear"
	// Fixed always waits Interval.
	Fixed Kind = "fixed"
	// None never retries: a single attempt, whatever MaxAttempts says.
	None Kind = "none"
)

// Strategy computes the delay between attempts. Only the fields of its Kind
// matter; the JSON form carries only those. The zero Strategy is
// DefaultStrategy. Delays are stored in whole milliseconds.
type Strategy struct {
	// Kind selects the formula. Default (""): DefaultStrategy as a whole.
	Kind Kind
	// BaseDelay is the delay after the first attempt (exponential, linear).
	BaseDelay time.Duration
	// Multiplier grows each exponential delay, from 1 to 10.
	Multiplier float64
	// MaxDelay caps the delay (exponential, linear); at least BaseDelay.
	MaxDelay time.Duration
	// Jitter is the fraction, from 0 to 1, by which an exponential delay may
	// be shortened at random, so that tasks failing together spread out.
	Jitter float64
	// Increment is added to each linear delay.
	Increment time.Duration
	// Interval is the fixed delay.
	Interval time.Duration
}

// DefaultStrategy is the API's default retry_strategy:
// {"type":"exponential","base_delay_ms":1000,"multiplier":2.0,"max_delay_ms":300000,"jitter":0.1}.
func DefaultStrategy() Strategy {
	return Strategy{
		Kind:       Exponential,
		BaseDelay:  time.Second,
		Multiplier: 2,
		MaxDelay:   300 * time.Second,
		Jitter:     0.1,
	}
}

// resolved replaces the zero Strategy by the default.
func (s Strategy) resolved() Strategy {
	if s.Kind == "" {
		return DefaultStrategy()
	}
	return s
}

// Delay returns the delay between attempt n (1-based, the one that failed)
// and attempt n+1; r in [0, 1) is the random draw for the jitter. The delay
// is d·(1 − Jitter·r) for the nominal delay d, so it lies in
// [d·(1−Jitter), d] and never exceeds MaxDelay. Whatever the fields, the
// result lies in [0, MaxDelayLimit]; n < 1 counts as 1.
func (s Strategy) Delay(n int, r float64) time.Duration {
	if s.Kind == "" {
		s = DefaultStrategy()
	}
	n = max(n, 1)
	var d float64
	switch s.Kind {
	case Exponential:
		d = float64(s.BaseDelay) * pow(atLeast1(s.Multiplier), n-1)
		d = min(d, float64(s.MaxDelay))
		d *= 1 - clamp01(s.Jitter)*clamp01(r)
	case Linear:
		d = float64(s.BaseDelay) + float64(s.Increment)*float64(n-1)
		d = min(d, float64(s.MaxDelay))
	case Fixed:
		d = float64(s.Interval)
	}
	if !(d > 0) { // also NaN
		return 0
	}
	return time.Duration(min(d, float64(MaxDelayLimit)))
}

// pow is m^k by squaring: at most 63 rounds, and a fraction of math.Pow's
// cost for the small k of retries.
func pow(m float64, k int) float64 {
	p := 1.0
	for ; k > 0 && !math.IsInf(p, 1); k >>= 1 {
		if k&1 == 1 {
			p *= m
		}
		m *= m
	}
	return p
}

func atLeast1(f float64) float64 {
	if !(f > 1) { // also NaN, which max would keep
		return 1
	}
	return f
}

func clamp01(f float64) float64 {
	if !(f > 0) {
		return 0
	}
	return min(f, 1)
}
