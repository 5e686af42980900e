package retry

import (
	"fmt"
	"time"
)

// Limits of the API on a retry policy.
const (
	MaxDelayLimit  = 86_400_000 * time.Millisecond // every delay: 0 to 24 h
	MinMultiplier  = 1
	MaxMultiplier  = 10
	MaxAttemptsMax = 25
)

// FieldError reports a retry setting that breaks a rule. Field is the name
// the API uses ("retry_strategy.multiplier", "max_attempts"), so a handler
// can turn it into a validation error for that field as it stands.
type FieldError struct {
	Field string
	Rule  string
}

// Error reads "invalid retry_strategy.jitter: must be between 0 and 1".
func (e *FieldError) Error() string { return "invalid " + e.Field + ": " + e.Rule }

func fieldError(field, rule string) *FieldError {
	return &FieldError{Field: "retry_strategy." + field, Rule: rule}
}

// Validate checks the fields of s's Kind against the API's limits: delays
// from 0 to 86 400 000 ms, multiplier from 1 to 10, jitter from 0 to 1,
// max_delay_ms at least base_delay_ms. The error is a *FieldError.
func (s Strategy) Validate() error {
	if s.Kind == "" {
		return nil // DefaultStrategy
	}
	switch s.Kind {
	case Exponential:
		return firstError(
			delay("base_delay_ms", s.BaseDelay),
			between("multiplier", s.Multiplier, MinMultiplier, MaxMultiplier),
			delay("max_delay_ms", s.MaxDelay),
			atLeastBase(s),
			between("jitter", s.Jitter, 0, 1),
		)
	case Linear:
		return firstError(
			delay("base_delay_ms", s.BaseDelay),
			delay("increment_ms", s.Increment),
			delay("max_delay_ms", s.MaxDelay),
			atLeastBase(s),
		)
	case Fixed:
		return firstError(delay("interval_ms", s.Interval))
	case None:
		return nil
	}
	return fieldError("type", "must be one of exponential, linear, fixed, none")
}

func delay(field string, d time.Duration) *FieldError {
	if d < 0 || d > MaxDelayLimit {
		return fieldError(field, "must be between 0 and 86400000")
	}
	return nil
}

func between(field string, f, lo, hi float64) *FieldError {
	if !(f >= lo && f <= hi) { // also NaN
		return fieldError(field, fmt.Sprintf("must be between %g and %g", lo, hi))
	}
	return nil
}

func atLeastBase(s Strategy) *FieldError {
	if s.MaxDelay < s.BaseDelay {
		return fieldError("max_delay_ms", "must be at least base_delay_ms")
	}
	return nil
}

// firstError keeps the order of the API's fields in the message a caller sees.
func firstError(errs ...*FieldError) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
