package retry

import (
	"encoding/json"
	"testing"
	"time"
)

// FuzzStrategyJSON: whatever UnmarshalJSON accepts is valid, marshals, reads
// back as the same value, and gives delays within its bounds. The seeds run
// with every `go test`; `go test -fuzz FuzzStrategyJSON` explores further.
func FuzzStrategyJSON(f *testing.F) {
	for _, seed := range []string{
		`{"type":"exponential","base_delay_ms":1000,"multiplier":2.0,"max_delay_ms":300000,"jitter":0.1}`,
		`{"type":"linear","base_delay_ms":0,"increment_ms":86400000,"max_delay_ms":86400000}`,
		`{"type":"fixed","interval_ms":1e3}`,
		`{"type":"none"}`,
		`{"multiplier":10,"jitter":1,"base_delay_ms":86400000,"max_delay_ms":86400000}`,
		`{"type":"fixed","interval_ms":-0}`,
		`{}`,
		`null`,
	} {
		f.Add([]byte(seed), 3, 0.5)
	}
	f.Fuzz(func(t *testing.T, data []byte, n int, r float64) {
		var s Strategy
		if err := json.Unmarshal(data, &s); err != nil {
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("%s decoded to an invalid %+v: %v", data, s, err)
		}
		out, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("Marshal(%+v): %v", s, err)
		}
		var back Strategy
		if err := json.Unmarshal(out, &back); err != nil || back != s.canonicalOrZero() {
			t.Fatalf("%s → %+v → %s → %+v, %v", data, s, out, back, err)
		}
		d := s.Delay(n, r)
		ceiling := map[Kind]time.Duration{Exponential: s.MaxDelay, Linear: s.MaxDelay, Fixed: s.Interval}[s.resolved().Kind]
		if s.Kind == "" {
			ceiling = DefaultStrategy().MaxDelay
		}
		if d < 0 || d > ceiling {
			t.Fatalf("%+v.Delay(%d, %v) = %v, want within [0, %v]", s, n, r, d, ceiling)
		}
	})
}

// canonicalOrZero is what a marshalled s reads back as: the zero Strategy
// marshals as the default.
func (s Strategy) canonicalOrZero() Strategy {
	return s.resolved().canonical()
}
