// Package breaker is a circuit breaker for calls to one dependency (a task type,
// a webhook endpoint, an SMTP relay): after FailureThreshold consecutive
// failures it opens and rejects calls with ErrOpen for Timeout, then lets at
// most MaxTrials trial calls through (half-open) and closes again after
// SuccessThreshold successful trials.
//
// It is built for a task queue, where a common breaker gets in the way:
//
//   - An open breaker must defer work, not fail it. Allow reports ErrOpen
//     before anything runs, so the worker can put the task back with
//     RetryAfter as its delay without spending one of its attempts.
//     ErrTooManyTrials (half-open, every trial slot taken) wraps ErrOpen, so
//     one errors.Is check covers both.
//   - The clock is injected (Settings.Clock), so every transition is tested
//     with a fake clock instead of sleeping through the open timeout.
//   - Half-open is bounded: a recovering dependency gets MaxTrials calls, not
//     the whole backlog at once, and must answer SuccessThreshold of them.
//
// The closed-state success path, which is nearly every call, takes no lock
// and reads no clock: the state, the counters and a generation number share
// one atomic word, and the clock is read only on failures, on transitions
// and while open. Outcomes reported for an older generation (a call that
// started before the breaker tripped) are ignored.
package breaker
