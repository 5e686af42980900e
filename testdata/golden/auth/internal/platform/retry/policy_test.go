package retry

import (
	"testing"
	"time"
)

func TestPresets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		env      string
		attempts int
		delays   []time.Duration // with the jitter draw at 0
	}{
		{"development", 3, []time.Duration{100 * ms, 200 * ms}},
		{"test", 2, []time.Duration{10 * ms}},
		{"production", 8, []time.Duration{s1, 2 * s1, 4 * s1, 8 * s1, 16 * s1, 32 * s1, 64 * s1, 128 * s1, 256 * s1, 300 * s1}},
	}
	for _, tt := range tests {
		p, err := Preset(tt.env)
		if err != nil {
			t.Fatalf("Preset(%q): %v", tt.env, err)
		}
		if err := p.Validate(); err != nil {
			t.Errorf("Preset(%q) is invalid: %v", tt.env, err)
		}
		if got := p.Attempts(); got != tt.attempts {
			t.Errorf("Preset(%q).Attempts() = %d, want %d", tt.env, got, tt.attempts)
		}
		p.Rand = func() float64 { return 0 }
		for i, want := range tt.delays {
			if got := p.Delay(i + 1); got != want {
				t.Errorf("Preset(%q).Delay(%d) = %v, want %v", tt.env, i+1, got, want)
			}
		}
	}
	if _, err := Preset("prod"); err == nil || err.Error() != `retry preset "prod": want development, test or production` {
		t.Fatalf("Preset(prod) = %v", err)
	}
}

func TestAttempts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		policy Policy
		want   int
	}{
		{Policy{}, 5},
		{Policy{MaxAttempts: 1}, 1},
		{Policy{MaxAttempts: 25}, 25},
		{Policy{MaxAttempts: -2}, 5},
		{Policy{Strategy: Strategy{Kind: None}, MaxAttempts: 10}, 1},
	}
	for _, tt := range tests {
		if got := tt.policy.Attempts(); got != tt.want {
			t.Errorf("%+v.Attempts() = %d, want %d", tt.policy, got, tt.want)
		}
	}
}

func TestPolicyDelayDrawsOnlyForJitter(t *testing.T) {
	t.Parallel()
	noDraw := func() float64 { t.Error("Rand called for a strategy without jitter"); return 0 }
	for _, s := range []Strategy{{Kind: Fixed, Interval: s1}, {Kind: Linear, BaseDelay: s1, MaxDelay: s1}, {Kind: None}} {
		if got := (Policy{Strategy: s, Rand: noDraw}).Delay(1); got != s.Delay(1, 0) {
			t.Errorf("%s: Delay(1) = %v", s.Kind, got)
		}
	}
	draws := 0
	p := Policy{Rand: func() float64 { draws++; return 0.999 }}
	if got := p.Delay(1); got < 900*ms || got > 901*ms || draws != 1 {
		t.Fatalf("default strategy Delay(1) = %v after %d draws, want about 900ms after 1", got, draws)
	}
	if got := (Policy{}).Delay(1); got < 900*ms || got > s1 {
		t.Fatalf("default Rand: Delay(1) = %v, want within [900ms, 1s]", got)
	}
}
