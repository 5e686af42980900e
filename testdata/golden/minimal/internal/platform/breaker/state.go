package breaker

import "fmt"

// State is the position of a Breaker in its cycle.
type State uint8

// The states of a Breaker.
const (
	// Closed lets every call through and counts consecutive failures.
	Closed State = iota
	// HalfOpen lets up to MaxTrials trial calls through at once.
	HalfOpen
	// Open rejects every call with ErrOpen until Timeout has passed.
	Open
)

// String returns "closed", "half-open" or "open".
func (s State) String() string {
	switch s {
	case Closed:
		return "closed"
	case HalfOpen:
		return "half-open"
	case Open:
		return "open"
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// Counts is a snapshot of the counters of the current state; they start from
// zero at every transition.
type Counts struct {
	// ConsecutiveFailures counts failures since the last success (closed).
	ConsecutiveFailures int
	// ConsecutiveSuccesses counts successful trial calls (half-open).
	ConsecutiveSuccesses int
	// Trials counts trial calls running now (half-open).
	Trials int
}

// The whole mutable state of a breaker is one uint64, so that the hot path is
// a single atomic load and every change is one compare-and-swap:
//
//	bits  0–1   State
//	bits  2–21  a: consecutive failures (closed) or trials running (half-open)
//	bits 22–41  b: consecutive successes (half-open)
//	bits 42–63  generation, bumped by every transition (wraps after 4 194 304)
//
// The generation lets an outcome that arrives after a transition be
// recognised as stale and dropped.
const (
	stateBits = 2
	countBits = 20
	shiftA    = stateBits
	shiftB    = shiftA + countBits
	shiftGen  = shiftB + countBits
	stateMask = 1<<stateBits - 1
	countMask = 1<<countBits - 1
	genMask   = 1<<(64-shiftGen) - 1
	oneA      = 1 << shiftA
	oneB      = 1 << shiftB
)

func stateOf(w uint64) State { return State(w & stateMask) }
func countA(w uint64) uint64 { return w >> shiftA & countMask }
func countB(w uint64) uint64 { return w >> shiftB & countMask }
func genOf(w uint64) uint64  { return w >> shiftGen }

// next is the first word of state s in the generation after w's.
func next(w uint64, s State) uint64 {
	return (genOf(w)+1)&genMask<<shiftGen | uint64(s)
}

func countsOf(w uint64) Counts {
	switch stateOf(w) {
	case Closed:
		return Counts{ConsecutiveFailures: int(countA(w))}
	case HalfOpen:
		return Counts{Trials: int(countA(w)), ConsecutiveSuccesses: int(countB(w))}
	}
	return Counts{}
}
