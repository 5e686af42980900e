package retry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
)

// fieldsOf lists, per kind, the JSON fields besides "type", in the API's order.
func fieldsOf(k Kind) []string {
	switch k {
	case Exponential:
		return []string{"base_delay_ms", "multiplier", "max_delay_ms", "jitter"}
	case Linear:
		return []string{"base_delay_ms", "increment_ms", "max_delay_ms"}
	case Fixed:
		return []string{"interval_ms"}
	}
	return nil
}

// MarshalJSON writes the API's retry_strategy object with the fields of s's
// kind only, in the API's order; the zero Strategy writes the default.
func (s Strategy) MarshalJSON() ([]byte, error) {
	s = s.resolved()
	if s.Kind != None && fieldsOf(s.Kind) == nil {
		return nil, fmt.Errorf("marshal retry strategy: unknown type %q", s.Kind)
	}
	b := append(make([]byte, 0, 112), `{"type":`...)
	b = strconv.AppendQuote(b, string(s.Kind))
	for _, f := range fieldsOf(s.Kind) {
		b = append(b, `,"`...)
		b = append(b, f...)
		b = append(b, `":`...)
		if f == "multiplier" || f == "jitter" {
			v := s.float(f)
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("marshal retry strategy: %s is %v", f, v)
			}
			b = appendFloat(b, v)
		} else {
			b = strconv.AppendInt(b, s.duration(f).Milliseconds(), 10)
		}
	}
	return append(b, '}'), nil
}

// appendFloat keeps a decimal point on whole numbers ("2.0"), as the API shows.
func appendFloat(b []byte, v float64) []byte {
	start := len(b)
	b = strconv.AppendFloat(b, v, 'f', -1, 64)
	if !bytes.ContainsRune(b[start:], '.') {
		b = append(b, ".0"...)
	}
	return b
}

// UnmarshalJSON reads the API's retry_strategy object and validates it. A
// missing "type" means exponential; missing fields take the defaults
// base_delay_ms 1000, multiplier 2.0, max_delay_ms 300000, jitter 0.1,
// increment_ms 1000, interval_ms 1000. Fields of another kind, unknown
// fields and delays that are not whole numbers are errors. Every error about
// the content is a *FieldError; null leaves s as it is. The result holds the
// fields of its kind only.
func (s *Strategy) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		return nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return &FieldError{Field: "retry_strategy", Rule: "must be an object"}
	}
	out := DefaultStrategy()
	out.Increment, out.Interval = time.Second, time.Second
	if t, ok := raw["type"]; ok {
		if bytes.Equal(t, []byte("null")) || json.Unmarshal(t, &out.Kind) != nil {
			return fieldError("type", "must be a string")
		}
	}
	if out.Kind != None && fieldsOf(out.Kind) == nil {
		return fieldError("type", "must be one of exponential, linear, fixed, none")
	}
	for _, name := range sortedKeys(raw) {
		if err := out.set(name, raw[name]); err != nil {
			return err
		}
	}
	out = out.canonical()
	if err := out.Validate(); err != nil {
		return err
	}
	*s = out
	return nil
}

// canonical keeps only the fields of s's kind, so that equal JSON gives
// equal values.
func (s Strategy) canonical() Strategy {
	c := Strategy{Kind: s.Kind}
	for _, f := range fieldsOf(s.Kind) {
		if f == "multiplier" || f == "jitter" {
			*c.floatField(f) = s.float(f)
		} else {
			*c.durationField(f) = s.duration(f)
		}
	}
	return c
}

func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// set stores one JSON field of s's kind.
func (s *Strategy) set(name string, raw json.RawMessage) error {
	if name == "type" {
		return nil
	}
	if !slices.Contains(fieldsOf(s.Kind), name) {
		return fieldError(name, fmt.Sprintf("is not a field of type %s", s.Kind))
	}
	v, ok := number(raw)
	if !ok {
		return fieldError(name, "must be a number")
	}
	if name == "multiplier" || name == "jitter" {
		*s.floatField(name) = v
		return nil
	}
	if v != math.Trunc(v) {
		return fieldError(name, "must be a whole number of milliseconds")
	}
	if v < 0 || v > float64(MaxDelayLimit/time.Millisecond) {
		return fieldError(name, "must be between 0 and 86400000")
	}
	*s.durationField(name) = time.Duration(v) * time.Millisecond
	return nil
}

// number parses a JSON number. raw is one valid JSON value (the object
// around it was decoded), so a number is whatever starts like one, and
// JSON's number grammar is a subset of ParseFloat's.
func number(raw json.RawMessage) (float64, bool) {
	if len(raw) == 0 || raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
		return 0, false
	}
	v, err := strconv.ParseFloat(string(raw), 64)
	return v, err == nil || errors.Is(err, strconv.ErrRange)
}

func (s *Strategy) floatField(name string) *float64 {
	if name == "multiplier" {
		return &s.Multiplier
	}
	return &s.Jitter
}

func (s *Strategy) durationField(name string) *time.Duration {
	switch name {
	case "base_delay_ms":
		return &s.BaseDelay
	case "max_delay_ms":
		return &s.MaxDelay
	case "increment_ms":
		return &s.Increment
	}
	return &s.Interval
}

func (s Strategy) float(name string) float64          { return *s.floatField(name) }
func (s Strategy) duration(name string) time.Duration { return *s.durationField(name) }
