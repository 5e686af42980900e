// Package retry decides when a failed operation is tried again: a Strategy
// (exponential, linear, fixed or none) gives the delay before each next
// attempt, a Policy adds the attempt limit, and Do runs an operation in
// process with cancellable sleeps. The task queue uses the same values
// without Do: it stores a Strategy as the JSON retry_strategy of a task and
// reschedules the task Policy.Delay(attempt) later.
//
// What sets it apart from a plain backoff loop:
//
//   - Time and chance are injected: Policy.Rand draws the jitter and
//     Policy.Sleep waits, so tests check exact delays and cancellation
//     without sleeping.
//   - Every sleep honours ctx, and Permanent stops the retries at once for
//     errors that another attempt cannot fix (bad input, a 4xx).
//   - A Strategy validates itself against the limits of the API (Validate
//     returns a *FieldError naming the JSON field and the rule) and
//     (un)marshals exactly as the API's retry_strategy object.
//   - Jitter only shortens a delay (see Strategy.Delay), so MaxDelay is a
//     true ceiling and jitter 1 is "full jitter".
package retry
