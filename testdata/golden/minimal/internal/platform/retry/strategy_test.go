package retry

import (
	"math"
	"testing"
	"time"
)

const (
	ms = time.Millisecond
	s1 = time.Second
)

func TestDelay(t *testing.T) {
	t.Parallel()
	exp := Strategy{Kind: Exponential, BaseDelay: s1, Multiplier: 2, MaxDelay: 10 * s1}
	lin := Strategy{Kind: Linear, BaseDelay: s1, Increment: 500 * ms, MaxDelay: 2500 * ms}
	tests := []struct {
		name     string
		strategy Strategy
		r        float64
		want     []time.Duration // after attempts 1, 2, 3…
	}{
		{"exponential doubles up to the cap", exp, 0, []time.Duration{s1, 2 * s1, 4 * s1, 8 * s1, 10 * s1, 10 * s1}},
		{"exponential ×3", Strategy{Kind: Exponential, BaseDelay: 100 * ms, Multiplier: 3, MaxDelay: time.Hour},
			0, []time.Duration{100 * ms, 300 * ms, 900 * ms, 2700 * ms}},
		{"exponential ×1 is constant", Strategy{Kind: Exponential, BaseDelay: s1, Multiplier: 1, MaxDelay: s1},
			0, []time.Duration{s1, s1, s1}},
		{"exponential from 0 stays 0", Strategy{Kind: Exponential, Multiplier: 2, MaxDelay: s1},
			0, []time.Duration{0, 0}},
		{"jitter 0.5 at r→1 halves", withJitter(exp, 0.5), 1, []time.Duration{500 * ms, s1, 2 * s1, 4 * s1, 5 * s1}},
		{"jitter 0.5 at r=0.5 takes a quarter off", withJitter(exp, 0.5), 0.5, []time.Duration{750 * ms, 1500 * ms}},
		{"jitter 1 at r→1 is 0 (full jitter)", withJitter(exp, 1), 1, []time.Duration{0, 0}},
		{"jitter ignores a draw out of range", withJitter(exp, 0.5), 7, []time.Duration{500 * ms}},
		{"linear adds the increment up to the cap", lin, 0, []time.Duration{s1, 1500 * ms, 2 * s1, 2500 * ms, 2500 * ms}},
		{"linear has no jitter", lin, 0.9, []time.Duration{s1, 1500 * ms}},
		{"fixed", Strategy{Kind: Fixed, Interval: 30 * s1}, 0.9, []time.Duration{30 * s1, 30 * s1, 30 * s1}},
		{"none", Strategy{Kind: None}, 0, []time.Duration{0, 0}},
		{"zero strategy is the default", Strategy{}, 0, []time.Duration{s1, 2 * s1, 4 * s1}},
		{"default with jitter 0.1 at r→1", Strategy{}, 1, []time.Duration{900 * ms, 1800 * ms}},
		{"unknown kind waits 0", Strategy{Kind: "bogus", Interval: s1}, 0, []time.Duration{0}},
		{"a fixed delay beyond the limit is capped", Strategy{Kind: Fixed, Interval: 48 * time.Hour},
			0, []time.Duration{MaxDelayLimit}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for i, want := range tt.want {
				if got := tt.strategy.Delay(i+1, tt.r); got != want {
					t.Errorf("Delay(%d, %v) = %v, want %v", i+1, tt.r, got, want)
				}
			}
		})
	}
}

func withJitter(s Strategy, j float64) Strategy {
	s.Jitter = j
	return s
}

func TestDelayExtremes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		strategy Strategy
		n        int
		want     time.Duration
	}{
		{"attempt 0 counts as 1", Strategy{Kind: Linear, BaseDelay: s1, Increment: s1, MaxDelay: time.Hour}, 0, s1},
		{"negative attempt counts as 1", Strategy{}, -4, s1},
		{"exponential ×10 at attempt 25 hits the cap", Strategy{Kind: Exponential, BaseDelay: s1, Multiplier: 10, MaxDelay: time.Hour}, 25, time.Hour},
		{"exponential at a huge attempt does not overflow", Strategy{}, math.MaxInt, 300 * s1},
		{"linear at a huge attempt does not overflow", Strategy{Kind: Linear, BaseDelay: s1, Increment: time.Hour, MaxDelay: 2 * time.Hour}, math.MaxInt, 2 * time.Hour},
		{"multiplier below 1 acts as 1", Strategy{Kind: Exponential, BaseDelay: s1, Multiplier: 0.5, MaxDelay: time.Hour}, 5, s1},
		{"NaN multiplier acts as 1", Strategy{Kind: Exponential, BaseDelay: s1, Multiplier: math.NaN(), MaxDelay: time.Hour}, 5, s1},
		{"negative delay gives 0", Strategy{Kind: Fixed, Interval: -s1}, 1, 0},
		{"max below base caps anyway", Strategy{Kind: Exponential, BaseDelay: s1, Multiplier: 2, MaxDelay: 10 * ms}, 3, 10 * ms},
	}
	for _, tt := range tests {
		if got := tt.strategy.Delay(tt.n, 0); got != tt.want {
			t.Errorf("%s: Delay(%d) = %v, want %v", tt.name, tt.n, got, tt.want)
		}
	}
}

// TestJitterBounds walks the whole range of draws: every delay stays within
// [d·(1−jitter), d] and the extremes are reached.
func TestJitterBounds(t *testing.T) {
	t.Parallel()
	for _, jitter := range []float64{0, 0.1, 0.5, 1} {
		s := Strategy{Kind: Exponential, BaseDelay: s1, Multiplier: 2, MaxDelay: 8 * s1, Jitter: jitter}
		for n := 1; n <= 6; n++ {
			nominal := s.Delay(n, 0)
			lo := time.Duration(float64(nominal) * (1 - jitter))
			gotMin, gotMax := nominal, time.Duration(0)
			for i := range 1000 {
				d := s.Delay(n, float64(i)/1000)
				if d < lo || d > nominal {
					t.Fatalf("jitter %v, attempt %d: %v outside [%v, %v]", jitter, n, d, lo, nominal)
				}
				gotMin, gotMax = min(gotMin, d), max(gotMax, d)
			}
			if gotMax != nominal || float64(gotMin-lo) > float64(nominal)*jitter/500 {
				t.Errorf("jitter %v, attempt %d: draws span [%v, %v], want about [%v, %v]", jitter, n, gotMin, gotMax, lo, nominal)
			}
		}
	}
}

func TestPow(t *testing.T) {
	t.Parallel()
	for _, m := range []float64{1, 1.5, 2, 3.7, 10} {
		for k := range 40 {
			want := math.Pow(m, float64(k))
			if got := pow(m, k); math.Abs(got-want) > want*1e-12 {
				t.Errorf("pow(%v, %d) = %v, want %v", m, k, got, want)
			}
		}
	}
	if got := pow(10, math.MaxInt); !math.IsInf(got, 1) {
		t.Errorf("pow(10, MaxInt) = %v, want +Inf", got)
	}
}
