package tasks

import (
	"sync"

	"github.com/starter-go/starter/runtime/breaker"
	"github.com/starter-go/starter/runtime/retry"
)

// BreakerKeyer is implemented by handlers whose tasks reach different
// dependencies. Each key gets a circuit breaker of its own, so one failing
// dependency does not defer the tasks bound for the others: the webhook
// handler keys by destination host. An empty key means the type's breaker.
type BreakerKeyer interface {
	BreakerKey(t *Task) string
}

// maxKeyedBreakers bounds the keyed breakers of one worker: keys come from
// payloads, which users write.
const maxKeyedBreakers = 1000

type breakerKey struct{ taskType, key string }

// breakerSet holds a worker's circuit breakers: one per task type, made up
// front and read without a lock, and one per key for the types whose handler
// is a BreakerKeyer, made on first use.
type breakerSet struct {
	make   func(taskType, key string) *guard
	byType map[string]*guard
	keyers map[string]BreakerKeyer

	mu    sync.Mutex
	byKey map[breakerKey]*guard
}

func newBreakerSet(reg *Registry, types []string, mk func(taskType, key string) *guard) *breakerSet {
	s := &breakerSet{make: mk, byType: map[string]*guard{}, keyers: map[string]BreakerKeyer{},
		byKey: map[breakerKey]*guard{}}
	for _, t := range types {
		s.byType[t] = mk(t, "")
		if h, ok := reg.handler(t); ok {
			if k, ok := h.(BreakerKeyer); ok {
				s.keyers[t] = k
			}
		}
	}
	return s
}

// forTask returns the breaker that guards t.
func (s *breakerSet) forTask(t *Task) *guard {
	k, ok := s.keyers[t.TaskType]
	if !ok {
		return s.byType[t.TaskType]
	}
	key := k.BreakerKey(t)
	if key == "" {
		return s.byType[t.TaskType]
	}
	return s.keyed(breakerKey{t.TaskType, key})
}

func (s *breakerSet) keyed(k breakerKey) *guard {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok := s.byKey[k]; ok {
		return b
	}
	if len(s.byKey) >= maxKeyedBreakers {
		s.evict()
	}
	b := s.make(k.taskType, k.key)
	s.byKey[k] = b
	return b
}

// lookup returns the breaker of k: a type's, or a key's of a type whose
// handler is a BreakerKeyer, made when create is set and it does not exist
// yet. It returns nil for a type the worker does not handle.
func (s *breakerSet) lookup(k breakerKey, create bool) *guard {
	if _, ok := s.byType[k.taskType]; !ok {
		return nil
	}
	if k.key == "" {
		return s.byType[k.taskType]
	}
	if _, ok := s.keyers[k.taskType]; !ok {
		return nil
	}
	if create {
		return s.keyed(k)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byKey[k]
}

// all returns every breaker of the set.
func (s *breakerSet) all() []*guard {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*guard, 0, len(s.byType)+len(s.byKey))
	for _, g := range s.byType {
		out = append(out, g)
	}
	for _, g := range s.byKey {
		out = append(out, g)
	}
	return out
}

// evict forgets the breakers that hold nothing worth keeping (closed, no
// failure counted), or one breaker at random when every one of them does.
// A task still running under a forgotten breaker reports to it harmlessly.
func (s *breakerSet) evict() {
	for k, b := range s.byKey {
		if b.State() == breaker.Closed && b.Counts() == (breaker.Counts{}) {
			delete(s.byKey, k)
		}
	}
	for k := range s.byKey {
		if len(s.byKey) < maxKeyedBreakers {
			return
		}
		delete(s.byKey, k)
	}
}

// ignoreForBreaker is the worker's breaker.Settings.Ignore: an error that
// no retry can fix (a bad payload, marked retry.Permanent) says nothing
// about the dependency, so it must not open the breaker of a type for every
// user, nor close a half-open one.
func ignoreForBreaker(user func(error) bool) func(error) bool {
	return func(err error) bool {
		return retry.IsPermanent(err) || (user != nil && user(err))
	}
}
