package breaker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"example.com/demo/internal/platform/fakeclock"
)

var errBoom = errors.New("boom")

type transition struct{ from, to State }

// bundle is what every test needs: a breaker on a fake clock whose
// transitions are recorded.
type bundle struct {
	b     *Breaker
	clock *fakeclock.Clock
	mu    sync.Mutex
	seen  []transition
}

func setup(t *testing.T, s Settings) *bundle {
	t.Helper()
	tb := &bundle{clock: fakeclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))}
	s.Clock = tb.clock.Now
	s.OnStateChange = func(name string, from, to State) {
		if name != "dep" {
			t.Errorf("OnStateChange name = %q, want dep", name)
		}
		tb.mu.Lock()
		defer tb.mu.Unlock()
		tb.seen = append(tb.seen, transition{from, to})
	}
	tb.b = New("dep", s)
	if tb.b.Name() != "dep" {
		t.Fatalf("Name = %q", tb.b.Name())
	}
	return tb
}

func (tb *bundle) transitions() []transition {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return slices.Clone(tb.seen)
}

// A step acts on the bundle and checks what it expects.
type step func(t *testing.T, tb *bundle)

func calls(n int, fnErr error) step {
	return func(t *testing.T, tb *bundle) {
		t.Helper()
		for i := range n {
			err := tb.b.Execute(context.Background(), func(context.Context) error { return fnErr })
			if err != fnErr { //nolint:errorlint // fn's own error, not wrapped
				t.Fatalf("call %d: Execute = %v, want %v", i+1, err, fnErr)
			}
		}
	}
}

func fail(n int) step    { return calls(n, errBoom) }
func succeed(n int) step { return calls(n, nil) }

func adopt(s State, openFor time.Duration) step {
	return func(t *testing.T, tb *bundle) { tb.b.Adopt(s, openFor) }
}

func advance(d time.Duration) step {
	return func(t *testing.T, tb *bundle) { tb.clock.Advance(d) }
}

func rejected(want error) step {
	return func(t *testing.T, tb *bundle) {
		t.Helper()
		ran := false
		err := tb.b.Execute(context.Background(), func(context.Context) error { ran = true; return nil })
		if err != want || ran { //nolint:errorlint // the sentinel itself, not wrapped
			t.Fatalf("Execute = %v (ran %v), want %v without running", err, ran, want)
		}
	}
}

func state(want State) step {
	return func(t *testing.T, tb *bundle) {
		t.Helper()
		if got := tb.b.State(); got != want {
			t.Fatalf("State = %v, want %v", got, want)
		}
	}
}

func counts(want Counts) step {
	return func(t *testing.T, tb *bundle) {
		t.Helper()
		if got := tb.b.Counts(); got != want {
			t.Fatalf("Counts = %+v, want %+v", got, want)
		}
	}
}

func retryAfter(want time.Duration) step {
	return func(t *testing.T, tb *bundle) {
		t.Helper()
		if got := tb.b.RetryAfter(); got != want {
			t.Fatalf("RetryAfter = %v, want %v", got, want)
		}
	}
}

const (
	c = Closed
	h = HalfOpen
	o = Open
)

func TestTransitions(t *testing.T) {
	t.Parallel()
	three := Settings{FailureThreshold: 3, SuccessThreshold: 2, Timeout: 10 * time.Second}
	tests := []struct {
		name     string
		settings Settings
		steps    []step
		want     []transition
	}{
		{
			name:     "failures below the threshold keep it closed",
			settings: three,
			steps:    []step{fail(2), state(c), counts(Counts{ConsecutiveFailures: 2}), retryAfter(0)},
		},
		{
			name:     "a success forgets earlier failures",
			settings: three,
			steps:    []step{fail(2), succeed(1), counts(Counts{}), fail(2), state(c)},
		},
		{
			name:     "the threshold opens it",
			settings: three,
			steps:    []step{fail(3), state(o), counts(Counts{}), rejected(ErrOpen), retryAfter(10 * time.Second)},
			want:     []transition{{c, o}},
		},
		{
			name:     "open until the timeout has passed",
			settings: three,
			steps: []step{
				fail(3), advance(10*time.Second - time.Nanosecond),
				rejected(ErrOpen), state(o), retryAfter(time.Nanosecond),
			},
			want: []transition{{c, o}},
		},
		{
			name:     "after the timeout it reports half-open and moves there on the next call",
			settings: three,
			steps:    []step{fail(3), advance(10 * time.Second), state(h), retryAfter(0), succeed(1), state(h)},
			want:     []transition{{c, o}, {o, h}},
		},
		{
			name:     "half-open closes after the success threshold",
			settings: three,
			steps: []step{
				fail(3), advance(10 * time.Second), succeed(1),
				counts(Counts{ConsecutiveSuccesses: 1}), succeed(1), state(c), counts(Counts{}),
			},
			want: []transition{{c, o}, {o, h}, {h, c}},
		},
		{
			name:     "a failed trial reopens it for a whole new timeout",
			settings: three,
			steps: []step{
				fail(3), advance(10 * time.Second), succeed(1), fail(1), state(o),
				advance(10*time.Second - time.Nanosecond), rejected(ErrOpen),
				advance(time.Nanosecond), succeed(2), state(c),
			},
			want: []transition{{c, o}, {o, h}, {h, o}, {o, h}, {h, c}},
		},
		{
			name:     "closed again it needs the full threshold to reopen",
			settings: three,
			steps:    []step{fail(3), advance(10 * time.Second), succeed(2), fail(2), state(c), fail(1), state(o)},
			want:     []transition{{c, o}, {o, h}, {h, c}, {c, o}},
		},
		{
			name:     "zero settings: 5 failures, 60 s, one success",
			settings: Settings{},
			steps: []step{
				fail(4), state(c), fail(1), state(o), advance(60*time.Second - 1), rejected(ErrOpen),
				advance(1), succeed(1), state(c),
			},
			want: []transition{{c, o}, {o, h}, {h, c}},
		},
		{
			name:     "threshold 1 opens on the first failure",
			settings: Settings{FailureThreshold: 1},
			steps:    []step{fail(1), state(o)},
			want:     []transition{{c, o}},
		},
		{
			name:     "an error IsFailure rejects counts as a success",
			settings: Settings{FailureThreshold: 2, IsFailure: func(err error) bool { return !errors.Is(err, errBoom) }},
			steps:    []step{fail(5), state(c), calls(1, errors.New("down")), counts(Counts{ConsecutiveFailures: 1})},
		},
		{
			name:     "an ignored error neither counts as a failure nor forgets earlier ones",
			settings: Settings{FailureThreshold: 2, Ignore: func(err error) bool { return errors.Is(err, errBoom) }},
			steps: []step{
				fail(5), state(c), counts(Counts{}), calls(1, errors.New("down")), fail(3),
				counts(Counts{ConsecutiveFailures: 1}), calls(1, errors.New("down")), state(o),
			},
			want: []transition{{c, o}},
		},
		{
			name:     "an ignored trial frees its slot without closing or reopening",
			settings: Settings{FailureThreshold: 1, Timeout: time.Second, Ignore: func(err error) bool { return errors.Is(err, errBoom) }},
			steps: []step{
				calls(1, errors.New("down")), advance(time.Second), fail(3), state(h),
				counts(Counts{}), succeed(1), state(c),
			},
			want: []transition{{c, o}, {o, h}, {h, c}},
		},
	}
	for _, tt := range append(tests, adoptions...) {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tb := setup(t, tt.settings)
			for _, s := range tt.steps {
				s(t, tb)
			}
			if got := tb.transitions(); !slices.Equal(got, tt.want) {
				t.Errorf("transitions = %v, want %v", got, tt.want)
			}
		})
	}
}

// adoptions are the cases of TestTransitions for Adopt: a peer's state is
// taken over without OnStateChange, and the breaker then goes on from it as
// if it had got there itself.
var adoptions = []struct {
	name     string
	settings Settings
	steps    []step
	want     []transition
}{
	{
		name:     "a closed breaker adopts open for the time the peer has left",
		settings: Settings{FailureThreshold: 3, Timeout: 10 * time.Second},
		steps: []step{
			fail(2), adopt(o, 4*time.Second), state(o), counts(Counts{}), rejected(ErrOpen),
			retryAfter(4 * time.Second), advance(4*time.Second - 1), rejected(ErrOpen),
		},
	},
	{
		name:     "after the adopted time a trial runs and closes it as its own",
		settings: Settings{FailureThreshold: 3, Timeout: 10 * time.Second},
		steps:    []step{adopt(o, 4*time.Second), advance(4 * time.Second), state(h), succeed(1), state(c)},
		want:     []transition{{o, h}, {h, c}},
	},
	{
		name:     "a failed trial after an adoption reopens it for its own timeout",
		settings: Settings{FailureThreshold: 3, Timeout: 10 * time.Second},
		steps: []step{
			adopt(o, 0), state(h), fail(1), state(o), retryAfter(10 * time.Second),
		},
		want: []transition{{o, h}, {h, o}},
	},
	{
		name:     "adopting half-open is adopting open",
		settings: Settings{Timeout: 10 * time.Second},
		steps:    []step{adopt(h, time.Second), rejected(ErrOpen), advance(time.Second), succeed(1), state(c)},
		want:     []transition{{o, h}, {h, c}},
	},
	{
		name:     "an open breaker adopts closed and forgets its timeout",
		settings: Settings{FailureThreshold: 1, Timeout: 10 * time.Second},
		steps: []step{
			fail(1), adopt(c, time.Hour), state(c), retryAfter(0), succeed(1), fail(1), state(o),
		},
		want: []transition{{c, o}, {c, o}},
	},
	{
		name:     "a closed breaker adopting closed forgets its failures",
		settings: Settings{FailureThreshold: 3},
		steps:    []step{fail(2), adopt(c, 0), counts(Counts{}), fail(2), state(c), fail(1), state(o)},
		want:     []transition{{c, o}},
	},
	{
		name:     "a half-open breaker adopts open again",
		settings: Settings{FailureThreshold: 1, SuccessThreshold: 2, Timeout: 10 * time.Second},
		steps: []step{
			fail(1), advance(10 * time.Second), succeed(1), adopt(o, 5*time.Second), state(o),
			retryAfter(5 * time.Second),
		},
		want: []transition{{c, o}, {o, h}},
	},
}

// halfOpen returns a bundle whose breaker has just become half-open.
func halfOpen(t *testing.T, s Settings) *bundle {
	t.Helper()
	s.FailureThreshold = 1
	tb := setup(t, s)
	fail(1)(t, tb)
	tb.clock.Advance(tb.b.RetryAfter())
	return tb
}

func TestTrialLimit(t *testing.T) {
	t.Parallel()
	tb := halfOpen(t, Settings{MaxTrials: 2, SuccessThreshold: 3})
	done1, err1 := tb.b.Allow()
	done2, err2 := tb.b.Allow()
	if err1 != nil || err2 != nil {
		t.Fatalf("first two trials: %v, %v", err1, err2)
	}
	counts(Counts{Trials: 2})(t, tb)
	_, err := tb.b.Allow()
	if err != ErrTooManyTrials || !errors.Is(err, ErrOpen) { //nolint:errorlint // the sentinel itself, not wrapped
		t.Fatalf("third trial: %v, want ErrTooManyTrials wrapping ErrOpen", err)
	}
	done1(true)
	counts(Counts{Trials: 1, ConsecutiveSuccesses: 1})(t, tb)
	done3, err := tb.b.Allow()
	if err != nil {
		t.Fatalf("trial after a slot was freed: %v", err)
	}
	done2(true)
	done3(true)
	state(Closed)(t, tb)
}

func TestTrialLimitConcurrent(t *testing.T) {
	t.Parallel()
	const callers, limit = 64, 3
	tb := halfOpen(t, Settings{MaxTrials: limit})
	var admitted, rejectedN atomic.Int64
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			switch _, err := tb.b.Allow(); {
			case err == nil:
				admitted.Add(1)
			case errors.Is(err, ErrTooManyTrials):
				rejectedN.Add(1)
			default:
				t.Errorf("Allow: %v", err)
			}
		})
	}
	wg.Wait()
	if admitted.Load() != limit || rejectedN.Load() != callers-limit {
		t.Fatalf("admitted %d, rejected %d; want %d and %d", admitted.Load(), rejectedN.Load(), limit, callers-limit)
	}
}

func TestStaleOutcomesAreIgnored(t *testing.T) {
	t.Parallel()
	tb := setup(t, Settings{FailureThreshold: 2, SuccessThreshold: 2, Timeout: time.Second})
	late, err := tb.b.Allow() // starts while closed, ends after the trip
	if err != nil {
		t.Fatal(err)
	}
	fail(2)(t, tb)
	late(false) // must not count against the open breaker…
	state(Open)(t, tb)
	tb.clock.Advance(time.Second)
	succeed(1)(t, tb)
	late(true) // …nor as a second successful trial
	state(HalfOpen)(t, tb)
	counts(Counts{ConsecutiveSuccesses: 1})(t, tb)
	want := []transition{{c, o}, {o, h}}
	if got := tb.transitions(); !slices.Equal(got, want) {
		t.Errorf("transitions = %v, want %v", got, want)
	}
}

func TestDoneTwiceDoesNotCorruptCounts(t *testing.T) {
	t.Parallel()
	tb := halfOpen(t, Settings{SuccessThreshold: 3})
	done, err := tb.b.Allow()
	if err != nil {
		t.Fatal(err)
	}
	done(true)
	done(true) // a bug in the caller; the second one has no trial to end
	counts(Counts{ConsecutiveSuccesses: 1})(t, tb)
	succeed(2)(t, tb)
	state(Closed)(t, tb)
}

func TestExecuteContext(t *testing.T) {
	t.Parallel()
	t.Run("a done ctx is fn's business and counts as nothing", func(t *testing.T) {
		t.Parallel()
		tb := setup(t, Settings{FailureThreshold: 1})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := tb.b.Execute(ctx, func(ctx context.Context) error { return fmt.Errorf("dial: %w", ctx.Err()) })
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Execute = %v, want context.Canceled", err)
		}
		state(Closed)(t, tb)
	})
	t.Run("its own cancellation is no failure and frees the trial", func(t *testing.T) {
		t.Parallel()
		tb := halfOpen(t, Settings{})
		ctx, cancel := context.WithCancel(context.Background())
		err := tb.b.Execute(ctx, func(ctx context.Context) error { cancel(); return ctx.Err() })
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Execute = %v, want context.Canceled", err)
		}
		state(HalfOpen)(t, tb)
		counts(Counts{})(t, tb)
		succeed(1)(t, tb)
		state(Closed)(t, tb)
	})
	t.Run("a cancellation from elsewhere is a failure", func(t *testing.T) {
		t.Parallel()
		tb := halfOpen(t, Settings{})
		calls(1, context.Canceled)(t, tb)
		state(Open)(t, tb)
	})
}

func TestExecutePanicIsAFailure(t *testing.T) {
	t.Parallel()
	tb := halfOpen(t, Settings{})
	func() {
		defer func() {
			if r := recover(); r != "kaboom" {
				t.Errorf("recovered %v, want the panic to go on up", r)
			}
		}()
		_ = tb.b.Execute(context.Background(), func(context.Context) error { panic("kaboom") })
	}()
	state(Open)(t, tb)
}

// TestClosedSuccessPath pins the performance contract: no clock, no allocation.
func TestClosedSuccessPath(t *testing.T) {
	tb := setup(t, Settings{})
	fail(1)(t, tb) // and forget it, so the loop below measures the steady state
	succeed(1)(t, tb)
	before := tb.clock.Reads()
	ctx := context.Background()
	fn := func(context.Context) error { return nil }
	allocs := testing.AllocsPerRun(100, func() {
		_ = tb.b.Execute(ctx, fn)
		done, _ := tb.b.Allow()
		done(true)
	})
	if allocs != 0 {
		t.Errorf("closed success path allocates %v times per call", allocs)
	}
	if n := tb.clock.Reads() - before; n != 0 {
		t.Errorf("closed success path read the clock %d times", n)
	}
}

// TestConcurrentUse hammers one breaker from many goroutines (run it with
// -race) and checks that the transitions form a valid chain.
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	tb := setup(t, Settings{FailureThreshold: 3, SuccessThreshold: 2, MaxTrials: 2, Timeout: time.Second})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				if i%50 == 0 {
					tb.clock.Advance(300 * time.Millisecond)
				}
				fails := (i+g)/10%2 == 0 // runs of failures, a little out of phase
				_ = tb.b.Execute(context.Background(), func(context.Context) error {
					if fails {
						return errBoom
					}
					return nil
				})
				_ = tb.b.State()
				_ = tb.b.Counts()
				_ = tb.b.RetryAfter()
			}
		})
	}
	wg.Wait()
	allowed := map[transition]bool{{c, o}: true, {o, h}: true, {h, c}: true, {h, o}: true}
	from := Closed
	seen := tb.transitions()
	for i, tr := range seen {
		if tr.from != from || !allowed[tr] {
			t.Fatalf("transition %d: %v→%v after reaching %v", i, tr.from, tr.to, from)
		}
		from = tr.to
	}
	if len(seen) == 0 {
		t.Fatal("no transitions: the workload never opened the breaker")
	}
	if got := tb.b.State(); got != from && !(from == Open && got == HalfOpen) {
		t.Fatalf("State = %v, last transition to %v", got, from)
	}
}

func TestConcurrentFailuresTripOnce(t *testing.T) {
	t.Parallel()
	tb := setup(t, Settings{FailureThreshold: 10})
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			_ = tb.b.Execute(context.Background(), func(context.Context) error { return errBoom })
		})
	}
	wg.Wait()
	if got, want := tb.transitions(), []transition{{c, o}}; !slices.Equal(got, want) {
		t.Fatalf("transitions = %v, want %v", got, want)
	}
}

func TestPresets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		env                         string
		failures, successes, trials uint64
		timeout                     time.Duration
	}{
		{"development", 10, 1, 1, 30 * time.Second},
		{"test", 2, 1, 1, time.Second},
		{"production", 5, 3, 1, 60 * time.Second},
	}
	for _, tt := range tests {
		s, err := Preset(tt.env)
		if err != nil {
			t.Fatalf("Preset(%q): %v", tt.env, err)
		}
		b := New(tt.env, s)
		got := fmt.Sprint(b.failureThreshold, b.successThreshold, b.maxTrials, b.timeout)
		if want := fmt.Sprint(tt.failures, tt.successes, tt.trials, tt.timeout); got != want {
			t.Errorf("Preset(%q) gives %s, want %s", tt.env, got, want)
		}
	}
	if _, err := Preset("staging"); err == nil {
		t.Fatal("Preset(staging) succeeded")
	} else if want := `breaker preset "staging": want development, test or production`; err.Error() != want {
		t.Fatalf("Preset(staging) = %q, want %q", err, want)
	}
}

func TestSettingsClamp(t *testing.T) {
	t.Parallel()
	b := New("x", Settings{FailureThreshold: 1 << 30, SuccessThreshold: -3, MaxTrials: MaxCount + 1})
	if b.failureThreshold != MaxCount || b.successThreshold != 1 || b.maxTrials != MaxCount {
		t.Fatalf("thresholds %d %d %d", b.failureThreshold, b.successThreshold, b.maxTrials)
	}
}

func TestStateString(t *testing.T) {
	t.Parallel()
	for s, want := range map[State]string{Closed: "closed", HalfOpen: "half-open", Open: "open", 7: "State(7)"} {
		if got := s.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", s, got, want)
		}
	}
}

func TestGenerationWraps(t *testing.T) {
	t.Parallel()
	w := uint64(genMask)<<shiftGen | uint64(HalfOpen) | 3*oneA
	n := next(w, Closed)
	if genOf(n) != 0 || stateOf(n) != Closed || countA(n) != 0 {
		t.Fatalf("next of the last generation = %#x", n)
	}
}

// A peer's state learned before a transition of the breaker's own is older
// than it: AdoptAt leaves the breaker alone, Adopt would not.
func TestAdoptAtLosesToANewerTransition(t *testing.T) {
	t.Parallel()
	tb := setup(t, Settings{FailureThreshold: 2, Timeout: time.Minute})
	gen := tb.b.Generation()
	if !tb.b.AdoptAt(gen, Closed, 0) || tb.b.Generation() == gen {
		t.Fatal("AdoptAt at the current generation did not adopt, or left the generation as it was")
	}
	gen = tb.b.Generation()
	fail(2)(t, tb) // opens: its own transition
	if tb.b.AdoptAt(gen, Closed, 0) {
		t.Fatal("AdoptAt adopted at a generation older than the breaker's own opening")
	}
	state(Open)(t, tb)
	retryAfter(time.Minute)(t, tb)

	gen = tb.b.Generation()
	tb.b.Adopt(Open, time.Second) // a peer's news, adopted
	if tb.b.AdoptAt(gen, Closed, 0) {
		t.Fatal("AdoptAt adopted at a generation older than an adoption")
	}
	retryAfter(time.Second)(t, tb)
	if !tb.b.AdoptAt(tb.b.Generation(), Closed, 0) {
		t.Fatal("AdoptAt at the current generation did not adopt")
	}
	state(Closed)(t, tb)
}

// Generation does not return while a transition's OnStateChange runs: what
// the hook records is known to whoever read the generation.
func TestGenerationWaitsForOnStateChange(t *testing.T) {
	t.Parallel()
	inHook, release := make(chan struct{}), make(chan struct{})
	var hooked atomic.Bool
	b := New("dep", Settings{FailureThreshold: 1, OnStateChange: func(string, State, State) {
		close(inHook)
		<-release
		hooked.Store(true)
	}})
	go func() { _ = b.Execute(context.Background(), func(context.Context) error { return errBoom }) }()
	<-inHook
	// Released a little later; a Generation that did not wait returns first.
	go func() {
		time.Sleep(10 * time.Millisecond)
		close(release)
	}()
	b.Generation()
	if !hooked.Load() {
		t.Fatal("Generation returned before the transition's OnStateChange had")
	}
}
