// Package fakeclock is a clock that tests move by hand. Code that reads the
// time through a func() time.Time (breaker.Settings.Clock, the auth
// service's Now) gets (*Clock).Now, and the test calls Advance instead of
// sleeping: what depends on time is tested without waiting for it.
package fakeclock

import (
	"sync"
	"sync/atomic"
	"time"
)

// Clock is a settable clock, safe for concurrent use. It also counts its
// readings, for tests that hold a fast path to reading no time at all.
type Clock struct {
	mu    sync.Mutex
	now   time.Time
	reads atomic.Int64
}

// New returns a clock that reads start until it is moved.
func New(start time.Time) *Clock { return &Clock{now: start} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.reads.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d (back, when d is negative).
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Reads is how many times Now was called.
func (c *Clock) Reads() int64 { return c.reads.Load() }
