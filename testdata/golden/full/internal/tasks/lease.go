package tasks

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/google/uuid"
)

// errLeaseLost cancels a handler whose lease is about to end without a
// heartbeat having renewed it: another worker may take the task back then,
// and the task must not run twice at once.
var errLeaseLost = errors.New("lease lost: no heartbeat reached the database in time")

// lease is a task this process holds, from its claim until its outcome is
// written: running, or finished with the outcome waiting for the database.
// Heartbeats renew exactly these.
type lease struct {
	id      uuid.UUID
	attempt int
	// until is when the lease ends by this process's clock (see leases.now),
	// never later than the database's lease_expires_at: it is counted from
	// the moment the claim or heartbeat that set it was sent.
	until time.Duration
	// ctx is the handler's: a child of the worker's run context that also
	// ends when the lease is lost (guardLeases), or when the handler returns.
	ctx    context.Context
	cancel context.CancelCauseFunc
}

// leases are the tasks a worker holds.
type leases struct {
	mu    sync.Mutex
	m     map[uuid.UUID]*lease
	epoch time.Time
}

func newLeases() *leases { return &leases{m: map[uuid.UUID]*lease{}, epoch: time.Now()} }

// now reads the monotonic clock: a lease must not stretch or shrink when the
// wall clock is set.
func (ls *leases) now() time.Duration { return time.Since(ls.epoch) }

// hold records tasks just claimed with a lease that ends at until, their
// handlers to run under runCtx.
func (ls *leases) hold(runCtx context.Context, claimed []*Task, until time.Duration) []*lease {
	out := make([]*lease, len(claimed))
	for i, t := range claimed {
		ctx, cancel := context.WithCancelCause(runCtx)
		out[i] = &lease{id: t.ID, attempt: t.CurrentAttempt, until: until, ctx: ctx, cancel: cancel}
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	for _, l := range out {
		ls.m[l.id] = l
	}
	return out
}

// drop forgets the leases of outcomes that were written (or found to belong
// to someone else). Each outcome forgets its own lease only: the worker may
// have claimed its task again meanwhile, with the same attempt number when
// the outcome gave the attempt back.
func (ls *leases) drop(batch []outcome) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	for _, o := range batch {
		if l := ls.m[o.id]; l != nil && l == o.lease {
			delete(ls.m, o.id)
		}
	}
}

// snapshot returns the ids and attempts of every lease held, for a heartbeat
// or a release.
func (ls *leases) snapshot() ([]uuid.UUID, []int32) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	ids := make([]uuid.UUID, 0, len(ls.m))
	attempts := make([]int32, 0, len(ls.m))
	for _, l := range ls.m {
		ids = append(ids, l.id)
		attempts = append(attempts, int32(l.attempt))
	}
	return ids, attempts
}

// renewed extends to until the leases a heartbeat renewed.
func (ls *leases) renewed(ids []uuid.UUID, until time.Duration) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	for _, id := range ids {
		if l := ls.m[id]; l != nil {
			l.until = max(l.until, until)
		}
	}
}

// expire cancels the handlers whose lease ends within margin, and reports
// how many it cancelled.
func (ls *leases) expire(margin time.Duration) int {
	deadline := ls.now() + margin
	ls.mu.Lock()
	defer ls.mu.Unlock()
	n := 0
	for _, l := range ls.m {
		if l.until <= deadline && l.ctx.Err() == nil { // its handler is still running
			l.cancel(errLeaseLost)
			n++
		}
	}
	return n
}

// guardLeases cancels every handler whose lease is about to end unrenewed,
// checking every Lease/12 and cancelling when less than Lease/6 is left: a
// healthy worker renews every Lease/3, so that is two heartbeats missed, and
// the handler still has Lease/12 or more to stop before anyone may reap its
// task. It runs apart from the heartbeats, which a hung database may block.
func (w *Worker) guardLeases(ctx context.Context) {
	t := time.NewTicker(max(w.s.Lease/12, time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n := w.leases.expire(w.s.Lease / 6); n > 0 {
			w.log.Error("cancelled tasks whose lease could not be renewed", "count", n)
		}
	}
}
