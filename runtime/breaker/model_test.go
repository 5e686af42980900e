package breaker

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"
)

// model is the breaker's specification written the plain way: one goroutine,
// no packing, no atomics. TestAgainstModel drives both with the same random
// operations and compares everything observable after each one.
type model struct {
	s           Settings
	now         time.Time
	state       State
	gen         int
	failures    int
	successes   int
	trials      int
	until       time.Time
	transitions []transition
}

func (m *model) enter(s State) {
	m.transitions = append(m.transitions, transition{m.state, s})
	m.state, m.gen, m.failures, m.successes, m.trials = s, m.gen+1, 0, 0, 0
	if s == Open {
		m.until = m.now.Add(m.s.timeout())
	}
}

func (m *model) allow() (int, error) {
	switch m.state {
	case Closed:
		return m.gen, nil
	case Open:
		if m.now.Before(m.until) {
			return 0, ErrOpen
		}
		m.enter(HalfOpen)
	}
	if m.trials >= int(m.s.maxTrials()) {
		return 0, ErrTooManyTrials
	}
	m.trials++
	return m.gen, nil
}

func (m *model) done(gen int, ok bool) {
	switch {
	case gen != m.gen:
	case m.state == Closed && ok:
		m.failures = 0
	case m.state == Closed:
		if m.failures++; m.failures >= int(m.s.failureThreshold()) {
			m.enter(Open)
		}
	case m.state != HalfOpen || m.trials == 0:
	case !ok:
		m.enter(Open)
	default:
		m.trials--
		if m.successes++; m.successes >= int(m.s.successThreshold()) {
			m.enter(Closed)
		}
	}
}

func (m *model) observe() (State, Counts, time.Duration) {
	switch m.state {
	case Open:
		left := max(m.until.Sub(m.now), 0)
		if left == 0 {
			return HalfOpen, Counts{}, 0
		}
		return Open, Counts{}, left
	case HalfOpen:
		return HalfOpen, Counts{ConsecutiveSuccesses: m.successes, Trials: m.trials}, 0
	}
	return Closed, Counts{ConsecutiveFailures: m.failures}, 0
}

func TestAgainstModel(t *testing.T) {
	t.Parallel()
	settings := []Settings{
		{},
		{FailureThreshold: 1, SuccessThreshold: 1, MaxTrials: 1, Timeout: time.Second},
		{FailureThreshold: 3, SuccessThreshold: 2, MaxTrials: 3, Timeout: 10 * time.Second},
		{FailureThreshold: 2, SuccessThreshold: 5, MaxTrials: 2, Timeout: time.Minute},
	}
	for i, s := range settings {
		for seed := range uint64(5) {
			rng := rand.New(rand.NewPCG(seed, uint64(i)))
			tb := setup(t, s)
			m := &model{s: s, now: tb.clock.Now()}
			type call struct {
				done func(bool)
				gen  int
			}
			var pending []call
			for op := range 4000 {
				switch k := rng.IntN(10); {
				case k < 4: // start a call
					done, err := tb.b.Allow()
					gen, merr := m.allow()
					if !errors.Is(err, merr) || (err == nil) != (merr == nil) {
						t.Fatalf("settings %d seed %d op %d: Allow = %v, model says %v", i, seed, op, err, merr)
					}
					if err == nil {
						pending = append(pending, call{done, gen})
					}
				case k < 8 && len(pending) > 0: // finish one, in any order
					j := rng.IntN(len(pending))
					c, ok := pending[j], rng.IntN(3) > 0
					pending = append(pending[:j], pending[j+1:]...)
					c.done(ok)
					m.done(c.gen, ok)
				default: // let time pass
					d := []time.Duration{0, time.Second / 2, s.timeout() / 2, s.timeout()}[rng.IntN(4)]
					tb.clock.Advance(d)
					m.now = m.now.Add(d)
				}
				st, cn, ra := m.observe()
				if tb.b.State() != st || tb.b.Counts() != cn || tb.b.RetryAfter() != ra {
					t.Fatalf("settings %d seed %d op %d: breaker %v %+v %v, model %v %+v %v", i, seed, op,
						tb.b.State(), tb.b.Counts(), tb.b.RetryAfter(), st, cn, ra)
				}
			}
			if got := tb.transitions(); len(got) != len(m.transitions) {
				t.Fatalf("settings %d seed %d: %d transitions, model %d", i, seed, len(got), len(m.transitions))
			}
			for j, tr := range tb.transitions() {
				if tr != m.transitions[j] {
					t.Fatalf("settings %d seed %d: transition %d is %v, model %v", i, seed, j, tr, m.transitions[j])
				}
			}
		}
	}
}
