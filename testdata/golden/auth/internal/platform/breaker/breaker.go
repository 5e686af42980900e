package breaker

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

var (
	// ErrOpen rejects a call while the breaker is open. Nothing ran: a task
	// worker defers the task (see RetryAfter) instead of failing it.
	ErrOpen = errors.New("circuit breaker is open")

	// ErrTooManyTrials rejects a call while the breaker is half-open and all
	// MaxTrials trial calls are running. It wraps ErrOpen: to a caller both
	// mean "not now, nothing ran".
	ErrTooManyTrials = fmt.Errorf("%w: half-open trial limit reached", ErrOpen)
)

// Breaker is a circuit breaker; see the package documentation. It is safe for
// concurrent use. Create it with New.
type Breaker struct {
	word  atomic.Uint64         // see state.go
	epoch atomic.Pointer[epoch] // data of the current generation

	mu sync.Mutex // serialises transitions and the half-open bookkeeping

	name             string
	failureThreshold uint64
	successThreshold uint64
	maxTrials        uint64
	timeout          time.Duration
	clock            func() time.Time
	onStateChange    func(name string, from, to State)
	isFailure        func(err error) bool
	ignore           func(err error) bool
}

// epoch holds what one generation needs besides the word. It is replaced,
// never modified, so readers need no lock.
type epoch struct {
	gen   uint64
	until time.Time          // open: when trial calls may start
	done  func(success bool) // Allow's result for this generation, allocated once
}

type outcome uint8

const (
	success outcome = iota
	failure
	ignored // neither: frees a trial slot, changes no counter
)

// New returns a closed breaker. The name is passed to OnStateChange.
func New(name string, s Settings) *Breaker {
	b := &Breaker{
		name:             name,
		failureThreshold: s.failureThreshold(),
		successThreshold: s.successThreshold(),
		maxTrials:        s.maxTrials(),
		timeout:          s.timeout(),
		clock:            s.clock(),
		onStateChange:    s.OnStateChange,
		isFailure:        s.IsFailure,
		ignore:           s.Ignore,
	}
	b.epoch.Store(b.newEpoch(0, time.Time{}))
	return b
}

// Name returns the name given to New.
func (b *Breaker) Name() string { return b.name }

// State returns the current state. An open breaker whose Timeout has passed
// reports HalfOpen, although it moves there only on the next call.
func (b *Breaker) State() State {
	w := b.word.Load()
	if stateOf(w) == Open {
		if e := b.epoch.Load(); e.gen == genOf(w) && !b.clock().Before(e.until) {
			return HalfOpen
		}
	}
	return stateOf(w)
}

// Counts returns the counters of the current state.
func (b *Breaker) Counts() Counts { return countsOf(b.word.Load()) }

// RetryAfter returns how long an open breaker keeps rejecting calls: the
// delay for a deferred task. It is 0 when the breaker is not open.
func (b *Breaker) RetryAfter() time.Duration {
	if stateOf(b.word.Load()) != Open {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if stateOf(b.word.Load()) != Open {
		return 0
	}
	return max(b.epoch.Load().until.Sub(b.clock()), 0)
}

// Adopt puts the breaker in the state that a peer guarding the same
// dependency (another process of a cluster) reports: Open for openFor from
// now, or Closed. HalfOpen is taken as Open for openFor: the next call after
// it may start a trial. The counters restart and calls under way belong to
// the old generation, as after any transition. Adopt does not call
// OnStateChange, which reports this breaker's own transitions, those a
// caller may have to tell its peers about; whoever learned of the peer's
// state reports it.
func (b *Breaker) Adopt(s State, openFor time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.adoptLocked(s, openFor)
}

// Generation identifies the breaker's current state: every transition, its
// own or adopted, begins a new generation. It waits for a transition under
// way to finish, OnStateChange included, so that whatever the hook records
// is known to the caller. Pass it to AdoptAt.
func (b *Breaker) Generation() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return genOf(b.word.Load())
}

// AdoptAt is Adopt if the breaker is still in generation gen, read with
// Generation before the peer's state was, and reports whether it adopted.
// A transition since then, the breaker's own or adopted, is newer than the
// peer's state and stands: a breaker that opened on its own failures while
// a peer's "closed" was on its way stays open.
func (b *Breaker) AdoptAt(gen uint64, s State, openFor time.Duration) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if genOf(b.word.Load()) != gen {
		return false
	}
	b.adoptLocked(s, openFor)
	return true
}

// adoptLocked is Adopt; the caller holds mu.
func (b *Breaker) adoptLocked(s State, openFor time.Duration) {
	if s != Closed {
		s = Open
	}
	for {
		w := b.word.Load()
		n := next(w, s)
		// A closed breaker's counters change without the lock.
		if b.word.CompareAndSwap(w, n) {
			var until time.Time
			if s == Open {
				until = b.clock().Add(max(openFor, 0))
			}
			b.epoch.Store(b.newEpoch(genOf(n), until))
			return
		}
	}
}

// Allow asks to start a call. On success the caller runs it and must call
// done exactly once with its outcome: a done never called keeps a half-open
// trial slot taken for good (Execute cannot forget). Otherwise err is
// ErrOpen or ErrTooManyTrials and nothing may run. Outcomes of calls that
// started before a transition are ignored. The closed path allocates nothing:
// done is shared by all the calls of one generation.
func (b *Breaker) Allow() (done func(success bool), err error) {
	gen, err := b.acquire()
	if err != nil {
		return nil, err
	}
	if e := b.epoch.Load(); e.gen == gen {
		return e.done, nil
	}
	return b.doneFunc(gen), nil // a transition is under way: rare
}

// Execute runs fn if the breaker allows it and records the outcome (see
// Settings.IsFailure and Settings.Ignore). It returns fn's error unchanged,
// or ErrOpen or ErrTooManyTrials without running fn. Execute does not check
// ctx itself: fn gets it, and an error caused by its cancellation counts as
// neither success nor failure. A panic in fn counts as a failure and goes on
// up.
func (b *Breaker) Execute(ctx context.Context, fn func(ctx context.Context) error) error {
	gen, err := b.acquire()
	if err != nil {
		return err
	}
	reported := false
	defer func() {
		if !reported { // fn panicked or called runtime.Goexit
			b.report(gen, failure)
		}
	}()
	err = fn(ctx)
	reported = true
	b.report(gen, b.classify(ctx, err))
	return err
}

func (b *Breaker) classify(ctx context.Context, err error) outcome {
	switch {
	case err == nil:
		return success
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		return ignored
	case b.ignore != nil && b.ignore(err):
		return ignored
	case b.isFailure != nil && !b.isFailure(err):
		return success
	}
	return failure
}

// acquire admits a call and returns the generation it belongs to. Closed
// costs one atomic load; open before its timeout, one more and a clock read.
func (b *Breaker) acquire() (uint64, error) {
	w := b.word.Load()
	switch stateOf(w) {
	case Closed:
		return genOf(w), nil
	case Open:
		if e := b.epoch.Load(); e.gen == genOf(w) && b.clock().Before(e.until) {
			return 0, ErrOpen
		}
	}
	return b.acquireLocked()
}

func (b *Breaker) acquireLocked() (uint64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	w := b.word.Load()
	switch stateOf(w) {
	case Closed:
		return genOf(w), nil
	case Open:
		if b.clock().Before(b.epoch.Load().until) {
			return 0, ErrOpen
		}
		w = b.enter(w, HalfOpen)
	}
	if countA(w) >= b.maxTrials {
		return 0, ErrTooManyTrials
	}
	// Outside Closed only holders of mu change the word, so a plain store is safe.
	b.word.Store(w + oneA)
	return genOf(w), nil
}

// report records the outcome of a call of generation gen. A success in a
// closed breaker without failures to forget is a single atomic load.
func (b *Breaker) report(gen uint64, o outcome) {
	for {
		w := b.word.Load()
		switch {
		case genOf(w) != gen:
			return // stale: the breaker moved on while the call ran
		case stateOf(w) != Closed:
			b.reportLocked(gen, o)
			return
		case o == ignored, o == success && countA(w) == 0:
			return
		case o == success:
			if b.word.CompareAndSwap(w, w&^(countMask<<shiftA)) {
				return
			}
		case countA(w)+1 >= b.failureThreshold:
			b.trip(gen)
			return
		default:
			if b.word.CompareAndSwap(w, w+oneA) {
				return
			}
		}
	}
}

// trip counts the failure that reaches the threshold and opens the breaker,
// unless a concurrent success or transition got there first.
func (b *Breaker) trip(gen uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for {
		w := b.word.Load()
		if genOf(w) != gen || stateOf(w) != Closed {
			return
		}
		if countA(w)+1 < b.failureThreshold {
			if b.word.CompareAndSwap(w, w+oneA) {
				return
			}
			continue
		}
		if b.word.CompareAndSwap(w, next(w, Open)) {
			b.entered(w, Open)
			return
		}
	}
}

// reportLocked handles the outcome of a trial call.
func (b *Breaker) reportLocked(gen uint64, o outcome) {
	b.mu.Lock()
	defer b.mu.Unlock()
	w := b.word.Load()
	if genOf(w) != gen || stateOf(w) != HalfOpen || countA(w) == 0 {
		return // stale, or a done called twice: never let the count wrap
	}
	switch {
	case o == failure:
		b.enter(w, Open)
	case o == ignored:
		b.word.Store(w - oneA)
	case countB(w)+1 >= b.successThreshold:
		b.enter(w, Closed)
	default:
		b.word.Store(w - oneA + oneB)
	}
}

// enter moves a breaker that is not closed to state s; the caller holds mu.
func (b *Breaker) enter(w uint64, s State) uint64 {
	n := next(w, s)
	b.word.Store(n)
	b.entered(w, s)
	return n
}

// entered publishes the epoch of the generation after w's, now in state s,
// and calls the hook; the caller holds mu and has stored the new word.
func (b *Breaker) entered(w uint64, s State) {
	var until time.Time
	if s == Open {
		until = b.clock().Add(b.timeout)
	}
	b.epoch.Store(b.newEpoch(genOf(next(w, s)), until))
	if b.onStateChange != nil {
		b.onStateChange(b.name, stateOf(w), s)
	}
}

func (b *Breaker) newEpoch(gen uint64, until time.Time) *epoch {
	return &epoch{gen: gen, until: until, done: b.doneFunc(gen)}
}

func (b *Breaker) doneFunc(gen uint64) func(bool) {
	return func(ok bool) {
		if ok {
			b.report(gen, success)
		} else {
			b.report(gen, failure)
		}
	}
}
