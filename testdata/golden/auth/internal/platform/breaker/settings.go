package breaker

import (
	"fmt"
	"time"
)

// Settings configures a Breaker. The zero value is valid: every field has the
// default documented on it.
type Settings struct {
	// FailureThreshold is the number of consecutive failures that opens a
	// closed breaker. Default (≤ 0): 5. Values above MaxCount are clamped.
	FailureThreshold int

	// SuccessThreshold is the number of successful trial calls that closes a
	// half-open breaker. Default (≤ 0): 1. Values above MaxCount are clamped.
	SuccessThreshold int

	// MaxTrials is the number of trial calls that may run at once while
	// half-open; further calls get ErrTooManyTrials. Default (≤ 0): 1. Values
	// above MaxCount are clamped.
	MaxTrials int

	// Timeout is how long the breaker stays open before it lets trial calls
	// through. Default (≤ 0): 60 s.
	Timeout time.Duration

	// Clock tells the time; tests pass a fake one. It is read only on
	// failures, on transitions and while open. Default (nil): time.Now.
	Clock func() time.Time

	// OnStateChange is called after every transition, in order, while the
	// breaker holds its lock: it may call State, Counts and RetryAfter but not
	// Allow or Execute. Default (nil): nothing is called.
	OnStateChange func(name string, from, to State)

	// IsFailure decides whether an error returned to Execute counts as a
	// failure; errors it rejects count as successes (the dependency answered,
	// say with an HTTP 4xx). Whatever it says, an error caused by the
	// cancellation of Execute's own ctx counts as neither. Default (nil):
	// every non-nil error is a failure. Allow's done func is not affected.
	IsFailure func(err error) bool

	// Ignore picks errors returned to Execute that count as neither success
	// nor failure: the call says nothing about the dependency, for instance
	// a caller's malformed input that no dependency could have accepted. An
	// ignored error frees its half-open trial slot and changes no counter, so
	// such errors can neither open the breaker nor close it, nor reset its
	// count of failures. It is asked before IsFailure. Default (nil): no error
	// is ignored. Allow's done func is not affected.
	Ignore func(err error) bool
}

// MaxCount bounds the thresholds and the trial limit, which share one atomic
// word with the state.
const MaxCount = 1<<countBits - 1

// Defaults applied to the zero fields of Settings.
const (
	DefaultFailureThreshold = 5
	DefaultSuccessThreshold = 1
	DefaultMaxTrials        = 1
	DefaultTimeout          = 60 * time.Second
)

// Development tolerates more failures and recovers sooner than Production,
// so a flaky local dependency does not keep a feature switched off.
func Development() Settings {
	return Settings{FailureThreshold: 10, Timeout: 30 * time.Second}
}

// Test fails fast and recovers fast, for test suites that exercise the open
// state (with a fake Clock they need not wait even that second).
func Test() Settings {
	return Settings{FailureThreshold: 2, Timeout: time.Second}
}

// Production opens after 5 consecutive failures, waits a minute, and wants
// 3 successful trials (one at a time) before trusting the dependency again.
func Production() Settings {
	return Settings{FailureThreshold: 5, SuccessThreshold: 3, Timeout: 60 * time.Second}
}

// Preset returns the settings for an environment name: "development",
// "test" or "production".
func Preset(env string) (Settings, error) {
	switch env {
	case "development":
		return Development(), nil
	case "test":
		return Test(), nil
	case "production":
		return Production(), nil
	}
	return Settings{}, fmt.Errorf("breaker preset %q: want development, test or production", env)
}

func (s Settings) failureThreshold() uint64 {
	return count(s.FailureThreshold, DefaultFailureThreshold)
}

func (s Settings) successThreshold() uint64 {
	return count(s.SuccessThreshold, DefaultSuccessThreshold)
}

func (s Settings) maxTrials() uint64 {
	return count(s.MaxTrials, DefaultMaxTrials)
}

func (s Settings) timeout() time.Duration {
	if s.Timeout <= 0 {
		return DefaultTimeout
	}
	return s.Timeout
}

func (s Settings) clock() func() time.Time {
	if s.Clock == nil {
		return time.Now
	}
	return s.Clock
}

func count(v, def int) uint64 {
	if v <= 0 {
		return uint64(def)
	}
	return uint64(min(v, MaxCount))
}
