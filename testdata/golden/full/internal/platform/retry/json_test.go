package retry

import (
	"encoding/json"
	"errors"
	"math"
	"testing"
	"time"
)

func TestMarshalJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		strategy Strategy
		want     string
	}{
		{"zero is the API default", Strategy{},
			`{"type":"exponential","base_delay_ms":1000,"multiplier":2.0,"max_delay_ms":300000,"jitter":0.1}`},
		{"exponential", Strategy{Kind: Exponential, BaseDelay: 250 * ms, Multiplier: 1.5, MaxDelay: time.Minute, Jitter: 0, Interval: s1},
			`{"type":"exponential","base_delay_ms":250,"multiplier":1.5,"max_delay_ms":60000,"jitter":0.0}`},
		{"linear", Strategy{Kind: Linear, BaseDelay: s1, Increment: 2 * s1, MaxDelay: time.Minute, Multiplier: 3},
			`{"type":"linear","base_delay_ms":1000,"increment_ms":2000,"max_delay_ms":60000}`},
		{"fixed", Strategy{Kind: Fixed, Interval: 10 * ms, BaseDelay: s1}, `{"type":"fixed","interval_ms":10}`},
		{"none", Strategy{Kind: None, Interval: s1}, `{"type":"none"}`},
		{"sub-millisecond parts are dropped", Strategy{Kind: Fixed, Interval: 1500 * time.Microsecond}, `{"type":"fixed","interval_ms":1}`},
	}
	for _, tt := range tests {
		got, err := json.Marshal(tt.strategy)
		if err != nil || string(got) != tt.want {
			t.Errorf("%s: Marshal = %s, %v; want %s", tt.name, got, err, tt.want)
		}
	}
	for _, s := range []Strategy{{Kind: "bogus"}, {Kind: Exponential, Multiplier: math.Inf(1)}, {Kind: Exponential, Jitter: math.NaN()}} {
		if got, err := json.Marshal(s); err == nil {
			t.Errorf("Marshal(%+v) = %s, want an error", s, got)
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	t.Parallel()
	for _, s := range []Strategy{
		DefaultStrategy(),
		Development().Strategy,
		Test().Strategy,
		{Kind: Exponential, BaseDelay: 7 * ms, Multiplier: 9.75, MaxDelay: MaxDelayLimit, Jitter: 1},
		{Kind: Linear, BaseDelay: 0, Increment: 3 * s1, MaxDelay: time.Hour},
		{Kind: Fixed, Interval: 0},
		{Kind: None},
	} {
		data, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("Marshal(%+v): %v", s, err)
		}
		var back Strategy
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatalf("Unmarshal(%s): %v", data, err)
		}
		if back != s {
			t.Errorf("%s came back as %+v, want %+v", data, back, s)
		}
	}
}

func TestUnmarshalJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		in    string
		want  Strategy
		field string // the *FieldError expected, if any
		rule  string
	}{
		{name: "API default", in: `{"type":"exponential","base_delay_ms":1000,"multiplier":2.0,"max_delay_ms":300000,"jitter":0.1}`,
			want: DefaultStrategy()},
		{name: "missing fields take the defaults", in: `{"type":"exponential","base_delay_ms":500}`,
			want: Strategy{Kind: Exponential, BaseDelay: 500 * ms, Multiplier: 2, MaxDelay: 300 * s1, Jitter: 0.1}},
		{name: "missing type is exponential", in: `{}`, want: DefaultStrategy()},
		{name: "linear", in: `{"type":"linear","base_delay_ms":1000,"increment_ms":500,"max_delay_ms":4000}`,
			want: Strategy{Kind: Linear, BaseDelay: s1, Increment: 500 * ms, MaxDelay: 4 * s1}},
		{name: "linear defaults", in: `{"type":"linear"}`,
			want: Strategy{Kind: Linear, BaseDelay: s1, Increment: s1, MaxDelay: 300 * s1}},
		{name: "fixed", in: `{"type":"fixed","interval_ms":30000}`, want: Strategy{Kind: Fixed, Interval: 30 * s1}},
		{name: "fixed default", in: `{"type":"fixed"}`, want: Strategy{Kind: Fixed, Interval: s1}},
		{name: "none", in: `{"type":"none"}`, want: Strategy{Kind: None}},
		{name: "exponent notation is a whole number", in: `{"type":"fixed","interval_ms":1e3}`, want: Strategy{Kind: Fixed, Interval: s1}},
		{name: "unknown type", in: `{"type":"fibonacci"}`, field: "retry_strategy.type", rule: "must be one of exponential, linear, fixed, none"},
		{name: "type not a string", in: `{"type":3}`, field: "retry_strategy.type", rule: "must be a string"},
		{name: "type null", in: `{"type":null}`, field: "retry_strategy.type", rule: "must be a string"},
		{name: "not an object", in: `[1]`, field: "retry_strategy", rule: "must be an object"},
		{name: "field of another type", in: `{"type":"fixed","interval_ms":10,"multiplier":2}`,
			field: "retry_strategy.multiplier", rule: "is not a field of type fixed"},
		{name: "none takes no fields", in: `{"type":"none","jitter":0}`, field: "retry_strategy.jitter", rule: "is not a field of type none"},
		{name: "unknown field", in: `{"type":"linear","delay":5}`, field: "retry_strategy.delay", rule: "is not a field of type linear"},
		{name: "fraction of a millisecond", in: `{"type":"fixed","interval_ms":1.5}`,
			field: "retry_strategy.interval_ms", rule: "must be a whole number of milliseconds"},
		{name: "number as a string", in: `{"type":"fixed","interval_ms":"10"}`, field: "retry_strategy.interval_ms", rule: "must be a number"},
		{name: "null number", in: `{"type":"exponential","jitter":null}`, field: "retry_strategy.jitter", rule: "must be a number"},
		{name: "delay over a day", in: `{"type":"fixed","interval_ms":86400001}`,
			field: "retry_strategy.interval_ms", rule: "must be between 0 and 86400000"},
		{name: "huge delay", in: `{"type":"fixed","interval_ms":1e300}`,
			field: "retry_strategy.interval_ms", rule: "must be between 0 and 86400000"},
		{name: "delay beyond float64", in: `{"type":"fixed","interval_ms":1e400}`,
			field: "retry_strategy.interval_ms", rule: "must be between 0 and 86400000"},
		{name: "boolean delay", in: `{"type":"fixed","interval_ms":true}`, field: "retry_strategy.interval_ms", rule: "must be a number"},
		{name: "negative delay", in: `{"type":"linear","increment_ms":-1}`,
			field: "retry_strategy.increment_ms", rule: "must be between 0 and 86400000"},
		{name: "multiplier out of range", in: `{"multiplier":11}`, field: "retry_strategy.multiplier", rule: "must be between 1 and 10"},
		{name: "jitter out of range", in: `{"jitter":1.01}`, field: "retry_strategy.jitter", rule: "must be between 0 and 1"},
		{name: "max below base", in: `{"type":"linear","base_delay_ms":5000,"max_delay_ms":4000}`,
			field: "retry_strategy.max_delay_ms", rule: "must be at least base_delay_ms"},
		{name: "max below the default base", in: `{"max_delay_ms":10}`,
			field: "retry_strategy.max_delay_ms", rule: "must be at least base_delay_ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got Strategy
			err := json.Unmarshal([]byte(tt.in), &got)
			if tt.field == "" {
				if err != nil || got != tt.want {
					t.Fatalf("Unmarshal = %+v, %v; want %+v", got, err, tt.want)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field || fe.Rule != tt.rule {
				t.Fatalf("Unmarshal error = %v, want %s: %s", err, tt.field, tt.rule)
			}
			if got != (Strategy{}) {
				t.Fatalf("a failed Unmarshal changed the value to %+v", got)
			}
		})
	}
}

// TestJSONInATask checks the strategy as a field of a larger document, as the
// tasks feature stores and accepts it.
func TestJSONInATask(t *testing.T) {
	t.Parallel()
	type task struct {
		MaxAttempts   int      `json:"max_attempts"`
		RetryStrategy Strategy `json:"retry_strategy"`
	}
	var tk task
	if err := json.Unmarshal([]byte(`{"max_attempts":3,"retry_strategy":null}`), &tk); err != nil || tk.RetryStrategy != (Strategy{}) {
		t.Fatalf("null strategy: %+v, %v", tk, err)
	}
	err := json.Unmarshal([]byte(`{"max_attempts":3,"retry_strategy":{"type":"fixed","interval_ms":-5}}`), &tk)
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "retry_strategy.interval_ms" {
		t.Fatalf("nested error = %v, want a *FieldError for retry_strategy.interval_ms", err)
	}
	out, err := json.Marshal(task{MaxAttempts: 5})
	if want := `{"max_attempts":5,"retry_strategy":{"type":"exponential","base_delay_ms":1000,"multiplier":2.0,"max_delay_ms":300000,"jitter":0.1}}`; err != nil || string(out) != want {
		t.Fatalf("Marshal = %s, %v; want %s", out, err, want)
	}
}
