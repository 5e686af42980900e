package retry

import (
	"errors"
	"math"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	day := MaxDelayLimit
	exp := func(edit func(*Strategy)) Policy {
		s := DefaultStrategy()
		edit(&s)
		return Policy{Strategy: s}
	}
	tests := []struct {
		name   string
		policy Policy
		field  string // "" when valid
		rule   string
	}{
		{"zero policy", Policy{}, "", ""},
		{"presets", Production(), "", ""},
		{"none ignores everything else", Policy{Strategy: Strategy{Kind: None, Multiplier: 99}}, "", ""},
		{"limits included", exp(func(s *Strategy) { s.BaseDelay, s.MaxDelay, s.Multiplier, s.Jitter = day, day, 10, 1 }), "", ""},
		{"lower limits included", exp(func(s *Strategy) { s.BaseDelay, s.MaxDelay, s.Multiplier, s.Jitter = 0, 0, 1, 0 }), "", ""},
		{"max_attempts 25", Policy{MaxAttempts: 25}, "", ""},
		{"max_attempts 26", Policy{MaxAttempts: 26}, "max_attempts", "must be between 1 and 25"},
		{"max_attempts negative", Policy{MaxAttempts: -1}, "max_attempts", "must be between 1 and 25"},
		{"unknown type", Policy{Strategy: Strategy{Kind: "random"}}, "retry_strategy.type", "must be one of exponential, linear, fixed, none"},
		{"negative base", exp(func(s *Strategy) { s.BaseDelay = -ms }), "retry_strategy.base_delay_ms", "must be between 0 and 86400000"},
		{"base over a day", exp(func(s *Strategy) { s.BaseDelay, s.MaxDelay = day+ms, day+ms }), "retry_strategy.base_delay_ms", "must be between 0 and 86400000"},
		{"max over a day", exp(func(s *Strategy) { s.MaxDelay = day + ms }), "retry_strategy.max_delay_ms", "must be between 0 and 86400000"},
		{"multiplier below 1", exp(func(s *Strategy) { s.Multiplier = 0.9 }), "retry_strategy.multiplier", "must be between 1 and 10"},
		{"multiplier above 10", exp(func(s *Strategy) { s.Multiplier = 10.5 }), "retry_strategy.multiplier", "must be between 1 and 10"},
		{"multiplier NaN", exp(func(s *Strategy) { s.Multiplier = math.NaN() }), "retry_strategy.multiplier", "must be between 1 and 10"},
		{"jitter above 1", exp(func(s *Strategy) { s.Jitter = 1.5 }), "retry_strategy.jitter", "must be between 0 and 1"},
		{"jitter negative", exp(func(s *Strategy) { s.Jitter = -0.1 }), "retry_strategy.jitter", "must be between 0 and 1"},
		{"max below base", exp(func(s *Strategy) { s.MaxDelay = s.BaseDelay - ms }), "retry_strategy.max_delay_ms", "must be at least base_delay_ms"},
		{"linear max below base", Policy{Strategy: Strategy{Kind: Linear, BaseDelay: s1, MaxDelay: ms}}, "retry_strategy.max_delay_ms", "must be at least base_delay_ms"},
		{"linear increment", Policy{Strategy: Strategy{Kind: Linear, Increment: -ms}}, "retry_strategy.increment_ms", "must be between 0 and 86400000"},
		{"linear ignores multiplier", Policy{Strategy: Strategy{Kind: Linear, BaseDelay: s1, MaxDelay: s1}}, "", ""},
		{"fixed interval", Policy{Strategy: Strategy{Kind: Fixed, Interval: 25 * time.Hour}}, "retry_strategy.interval_ms", "must be between 0 and 86400000"},
		{"fixed zero", Policy{Strategy: Strategy{Kind: Fixed}}, "", ""},
		{"the first broken field in API order wins", exp(func(s *Strategy) { s.Jitter, s.Multiplier = 2, 20 }), "retry_strategy.multiplier", "must be between 1 and 10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.policy.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field || fe.Rule != tt.rule {
				t.Fatalf("Validate = %v, want %s: %s", err, tt.field, tt.rule)
			}
			if want := "invalid " + tt.field + ": " + tt.rule; err.Error() != want {
				t.Fatalf("message %q, want %q", err, want)
			}
		})
	}
}
