package tasks

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/starter-go/starter/runtime/breaker"
)

// A breaker that opens on its own failures while the worker adopts what
// the others said a moment before stays open: its opening is newer, and is
// written next. The breaker's state changes a moment before its
// OnStateChange records the opening as pending; an adoption that looked
// for a pending transition in that moment used to close it again, and the
// worker then ran the type's tasks against a dependency the table said was
// down.
func TestOwnOpeningOutlivesOlderSharedNews(t *testing.T) {
	t.Parallel()
	key := breakerKey{taskType: "fragile"}
	tests := []struct {
		name  string
		adopt func(s *sharedBreakers, g *guard)
	}{
		{"a read of the table without its row", func(s *sharedBreakers, g *guard) { s.adopt(g, nil) }},
		{"a notification of a closing", func(s *sharedBreakers, g *guard) { s.apply(g, 1, nil) }},
		{"a notification of an opening", func(s *sharedBreakers, g *guard) {
			openFor := time.Hour
			s.apply(g, 1, &openFor)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSharedBreakers(nil, Settings{Lease: time.Second}.withDefaults(), []string{key.taskType},
				slog.New(slog.NewTextHandler(io.Discard, nil)))
			s.adopted = func(g *guard, from, to breaker.State) {
				t.Logf("adopted %s → %s", from, to)
			}
			inHook, release := make(chan struct{}), make(chan struct{})
			g := &guard{key: key, shared: s}
			g.Breaker = breaker.New(key.taskType, breaker.Settings{FailureThreshold: 1, Timeout: time.Minute,
				OnStateChange: func(_ string, _, to breaker.State) {
					close(inHook)
					<-release
					s.transitioned(g, to)
				}})
			go func() {
				_ = g.Breaker.Execute(context.Background(), func(context.Context) error { return errors.New("down") })
			}()
			<-inHook // open, not yet recorded as pending
			go func() {
				time.Sleep(10 * time.Millisecond)
				close(release)
			}()
			tt.adopt(s, g)
			if st := g.State(); st != breaker.Open {
				t.Fatalf("state = %s, want open", st)
			}
			if got := g.RetryAfter(); got > time.Minute {
				t.Errorf("RetryAfter = %v: the shared state replaced the worker's own opening", got)
			}
			if !s.isPending(key) {
				t.Error("the opening is not waiting to be written")
			}
		})
	}
}

// A newer shared opening that arrives just as the worker's breaker starts
// a trial loses to that transition, which is not written (half-open is the
// worker's own business). The worker must not take the opening as known:
// a read of the table that ignored it would leave the worker to close
// after a successful trial, and run the type's tasks through the others'
// new cool-down. The table is read again instead, and the opening adopted.
func TestSharedOpeningLostToATrialIsReadAgain(t *testing.T) {
	t.Parallel()
	key := breakerKey{taskType: "fragile"}
	s := newSharedBreakers(nil, Settings{Lease: time.Second}.withDefaults(), []string{key.taskType},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	s.adopted = func(*guard, breaker.State, breaker.State) {}
	var armed atomic.Bool
	trialRuns, release, trialDone := make(chan struct{}), make(chan struct{}), make(chan struct{})
	g := &guard{key: key, shared: s}
	startTrial := func() {
		go func() {
			defer close(trialDone)
			_ = g.Breaker.Execute(context.Background(), func(context.Context) error {
				close(trialRuns)
				<-release
				return nil
			})
		}()
		<-trialRuns
	}
	g.Breaker = breaker.New(key.taskType, breaker.Settings{Timeout: time.Minute,
		// Armed, the clock starts a trial call the first time it is read:
		// the adoption then reads it between the breaker's generation and
		// the adoption proper.
		Clock: func() time.Time {
			if armed.CompareAndSwap(true, false) {
				startTrial()
			}
			return time.Now()
		},
		OnStateChange: func(_ string, _, to breaker.State) { s.transitioned(g, to) }})
	t.Cleanup(func() {
		close(release)
		<-trialDone
	})

	over := time.Duration(0)
	s.apply(g, 1, &over) // open, its cool-down over: a trial may start
	if st := g.State(); st != breaker.HalfOpen {
		t.Fatalf("state = %s, want half-open", st)
	}
	reopened := time.Hour
	armed.Store(true)
	s.apply(g, 2, &reopened) // another worker opened it again, as the trial starts
	if st := g.State(); st != breaker.HalfOpen {
		t.Fatalf("state = %s: the trial did not start before the adoption", st)
	}
	if !s.resync.Load() {
		t.Error("the opening lost to the trial, and no read of the table was asked for")
	}
	s.apply(g, 2, &reopened) // the table read again
	if st := g.State(); st != breaker.Open {
		t.Fatalf("state = %s after reading the table again, want open", st)
	}
	if got := g.RetryAfter(); got <= time.Minute {
		t.Errorf("RetryAfter = %v, want the other worker's cool-down", got)
	}
}

// hostKeyer keys a type's breakers by the task's payload.
type hostKeyer struct{}

func (hostKeyer) BreakerKey(t *Task) string { return string(t.Payload) }

// A keyed breaker evicted while one of its tasks still runs may open on
// that task's failure. Its opening is written all the same, and the
// version the write returns belongs to it, not to the breaker that took
// its key meanwhile: that one has opened nothing, and must adopt the
// opening when it hears of it, instead of taking it as known and running
// the key's tasks through the cool-down.
func TestEvictedBreakersOpeningReachesItsSuccessor(t *testing.T) {
	t.Parallel()
	key := breakerKey{taskType: "hooks", key: "down.example"}
	s := newSharedBreakers(nil, Settings{Lease: time.Second}.withDefaults(), []string{key.taskType},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	s.adopted = func(*guard, breaker.State, breaker.State) {}
	mk := func(taskType, k string) *guard {
		g := &guard{key: breakerKey{taskType, k}, shared: s}
		g.Breaker = breaker.New(taskType+" "+k, breaker.Settings{FailureThreshold: 1, Timeout: time.Minute,
			OnStateChange: func(_ string, _, to breaker.State) { s.transitioned(g, to) }})
		return g
	}
	s.set = &breakerSet{make: mk, byType: map[string]*guard{key.taskType: mk(key.taskType, "")},
		keyers: map[string]BreakerKeyer{key.taskType: hostKeyer{}}, byKey: map[breakerKey]*guard{}}
	evicted := s.set.keyed(key)
	s.set.mu.Lock()
	delete(s.set.byKey, key) // evicted, with a task still running under it
	s.set.mu.Unlock()
	successor := s.set.keyed(key)
	_ = evicted.Execute(context.Background(), func(context.Context) error { return errors.New("down") })

	// publish, with the database's answer: the opening written as version 7.
	s.mu.Lock()
	batch := s.pending
	s.pending = map[breakerKey]transition{}
	s.mu.Unlock()
	if len(batch) != 1 {
		t.Fatalf("pending = %v, want the evicted breaker's opening", batch)
	}
	for _, tr := range batch {
		s.written(tr, 7, true)
	}
	openFor := time.Minute
	s.apply(successor, 7, &openFor) // its notification
	if st := successor.State(); st != breaker.Open {
		t.Fatalf("successor state = %s, want open: it took the evicted breaker's opening as known", st)
	}
}
