package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"example.com/demo/internal/platform/breaker"
)

// Every worker on a database shares the state of its circuit breakers with
// the others through the task_breakers table: a breaker opened by one
// worker defers its tasks on all of them.
//
//   - A worker's own transitions (breaker.Settings.OnStateChange) are
//     written there: an opening as a row whose open_until is counted by the
//     database's clock, a closing as the row deleted. A trigger publishes
//     each change (NOTIFY task_breakers) with the time left open, which the
//     other workers add to their own clocks: the clocks of the processes
//     never meet, so skew between them does not matter.
//   - The others adopt it (breaker.Adopt) as it arrives, or, while they
//     cannot listen (a connection pooler in transaction mode, a lost
//     listening connection), by reading the table at every poll: then they
//     lag by up to one PollInterval. A worker that listens reads it every
//     Settings.BreakerResync all the same. A worker reads the table once before
//     its first claim, so one started later begins with the breakers open.
//     A transition of a worker's own not yet written is newer than what it
//     reads or hears meanwhile, and stands (breaker.AdoptAt).
//   - Once the cool-down has passed, one worker at a time may run trial
//     calls: the worker that takes the trial in the table (trial_by, for one
//     Lease, renewed as long as it holds it). Its local breaker bounds how
//     many run at once (MaxTrials). The trial's end is its own transition:
//     closed (the row deleted, every worker closes) or open again (a new
//     cool-down for every worker). The other workers defer their tasks
//     meanwhile. Trials are thus limited for the cluster, not per worker: a
//     dependency coming back gets MaxTrials calls, not MaxTrials per worker.
//     (A trial running longer than a Lease lets another worker take over:
//     then two may run at once.)
//
// The closed breaker's path stays what it is without sharing: one atomic
// load more (guard.Execute), no lock and no database.

// breakersChannel is notified by a trigger on task_breakers.
const breakersChannel = "task_breakers"

// errTrialElsewhere defers a task whose breaker's cool-down is over while
// another worker runs the trial.
var errTrialElsewhere = fmt.Errorf("%w: another worker runs the trial calls", breaker.ErrOpen)

// guard is the circuit breaker of a task type, or of one key of it, on this
// worker, tied to the state it shares with the others.
type guard struct {
	*breaker.Breaker
	key    breakerKey
	shared *sharedBreakers // nil: not shared
	// version is the rank (newsRank) of the newest shared state applied or
	// written: older news is ignored.
	version atomic.Int64
	// trialUntil is when this worker's hold on the trial ends and
	// deniedUntil when it may ask again, on sharedBreakers.now's clock.
	trialUntil  atomic.Int64
	deniedUntil atomic.Int64
}

// Execute runs fn through the breaker. A breaker whose cool-down is over
// lets trial calls through only while this worker holds the trial; an open
// one is not asked at all, so that it cannot move to half-open on its own.
func (g *guard) Execute(ctx context.Context, fn func(context.Context) error) error {
	if g.shared != nil {
		switch g.State() {
		case breaker.Open:
			return breaker.ErrOpen
		case breaker.HalfOpen:
			if !g.shared.mayTry(ctx, g) {
				return errTrialElsewhere
			}
		}
	}
	return g.Breaker.Execute(ctx, fn)
}

// sharedBreakers writes this worker's breaker transitions to task_breakers
// and adopts those of the other workers.
type sharedBreakers struct {
	store    *Store
	worker   string
	types    []string
	timeout  time.Duration // how long an opening lasts
	lease    time.Duration // how long a hold on a trial lasts
	deferMin time.Duration // how long a refused worker waits to ask again
	poll     time.Duration
	// resyncEvery is how often a worker that listens reads the table all
	// the same: a notification missed (a listener put behind a transaction
	// pooler by mistake, where it hears nothing once its transaction ends;
	// a full queue of notes) is made good within it.
	resyncEvery time.Duration
	log         *slog.Logger
	epoch       time.Time
	set         *breakerSet
	// adopted reports a transition taken over from the others.
	adopted func(g *guard, from, to breaker.State)

	mu      sync.Mutex
	pending map[breakerKey]transition // own transitions not yet written

	kick   chan struct{}
	notes  chan string
	resync atomic.Bool
}

func newSharedBreakers(store *Store, s Settings, types []string, log *slog.Logger) *sharedBreakers {
	timeout := s.Breaker.Timeout
	if timeout <= 0 {
		timeout = breaker.DefaultTimeout
	}
	return &sharedBreakers{store: store, worker: s.ID, types: types, timeout: timeout, lease: s.Lease,
		deferMin: s.DeferMin, poll: s.PollInterval, resyncEvery: s.BreakerResync, log: log, epoch: time.Now(),
		pending: map[breakerKey]transition{}, kick: make(chan struct{}, 1), notes: make(chan string, 256)}
}

// now reads the monotonic clock, in nanoseconds.
func (s *sharedBreakers) now() int64 { return int64(time.Since(s.epoch)) }

// transitioned records a transition of this worker's own, to be written;
// it runs in the breaker's OnStateChange. Half-open is the worker's own
// business: it holds the trial already.
func (s *sharedBreakers) transitioned(g *guard, to breaker.State) {
	if to == breaker.HalfOpen {
		return
	}
	g.trialUntil.Store(0)
	s.mu.Lock()
	s.pending[g.key] = transition{g, to}
	s.mu.Unlock()
	s.wake()
}

func (s *sharedBreakers) wake() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// note takes a notification from the listener.
func (s *sharedBreakers) note(payload string) {
	select {
	case s.notes <- payload:
	default: // too many at once: read the table instead
		s.requestSync()
	}
}

// requestSync asks for the table to be read, e.g. after the listener was
// away and may have missed notifications.
func (s *sharedBreakers) requestSync() {
	s.resync.Store(true)
	s.wake()
}

func (s *sharedBreakers) isPending(k breakerKey) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.pending[k]
	return ok
}

// run writes this worker's transitions and applies the others' until ctx
// ends, then writes those still waiting. listening reports whether
// notifications arrive: without them the table is read at every poll, with
// them every Settings.BreakerResync.
func (s *sharedBreakers) run(ctx context.Context, listening func() bool) {
	t := time.NewTicker(s.poll)
	defer t.Stop()
	lastSync := time.Now()
	for {
		select {
		case <-ctx.Done():
			// A worker that opened a breaker just before it stopped still
			// tells the others.
			flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.lease/3)
			defer cancel()
			s.publish(flushCtx)
			return
		case <-s.kick:
		case p := <-s.notes:
			s.applyNote(p)
		case <-t.C:
			if !listening() || time.Since(lastSync) >= s.resyncEvery {
				s.resync.Store(true)
			}
		}
		s.publish(ctx)
		if s.resync.Swap(false) {
			lastSync = time.Now()
			if err := s.sync(ctx); err != nil && ctx.Err() == nil {
				s.resync.Store(true) // again at the next poll
				s.log.Error("reading the shared task breakers failed", "err", err)
			}
		}
	}
}

// publish writes the transitions recorded since the last call. One that
// fails stays pending, for the next poll, unless a newer one replaced it.
func (s *sharedBreakers) publish(ctx context.Context) {
	s.mu.Lock()
	batch := s.pending
	s.pending = map[breakerKey]transition{}
	s.mu.Unlock()
	for k, tr := range batch {
		err := s.write(ctx, tr)
		if err == nil {
			continue
		}
		if ctx.Err() == nil {
			s.log.Error("writing a task breaker's state failed; retrying at the next poll",
				"task_type", k.taskType, "key", k.key, "state", tr.to.String(), "err", err)
		}
		s.mu.Lock()
		if _, newer := s.pending[k]; !newer {
			s.pending[k] = tr
		}
		s.mu.Unlock()
	}
}

// transition is one of this worker's own, waiting to be written.
type transition struct {
	g  *guard
	to breaker.State
}

// write stores one transition of this worker's.
func (s *sharedBreakers) write(ctx context.Context, tr transition) error {
	var version int64
	var done bool
	var err error
	if tr.to == breaker.Open {
		version, done, err = s.store.openBreaker(ctx, tr.g.key, s.worker, s.timeout)
	} else {
		done, err = s.store.closeBreaker(ctx, tr.g.key, s.worker)
	}
	if err != nil {
		return err
	}
	s.written(tr, version, done)
	return nil
}

// written takes note of a transition written as version, or refused (!done).
// An opening that finds the breaker already open (another worker opened it
// first), or a closing by a worker that no longer holds the trial, leaves
// the table as it is: the table is read again to adopt what it says. The
// version is known to the breaker that made the transition only: a keyed
// one may have been evicted meanwhile, and the breaker now under its key
// must adopt the opening when it hears of it.
func (s *sharedBreakers) written(tr transition, version int64, done bool) {
	switch {
	case !done:
		s.resync.Store(true)
	case newsRank(version, false) > tr.g.version.Load(): // a closing's version is 0
		tr.g.version.Store(newsRank(version, false))
	}
}

// breakerNote is the payload of a notification on breakersChannel.
type breakerNote struct {
	TaskType string `json:"task_type"`
	Key      string `json:"key"`
	// Version is the opening's; a closing's is that of the opening it ends.
	Version int64 `json:"version"`
	// OpenForUS is the time left open in microseconds; absent when closed.
	OpenForUS *int64 `json:"open_for_us"`
}

func (s *sharedBreakers) applyNote(payload string) {
	var n breakerNote
	if err := json.Unmarshal([]byte(payload), &n); err != nil {
		s.log.Error("malformed task breaker notification", "payload", payload, "err", err)
		return
	}
	g := s.set.lookup(breakerKey{n.TaskType, n.Key}, true)
	if g == nil {
		return // a type this worker does not handle
	}
	var openFor *time.Duration
	if n.OpenForUS != nil {
		d := time.Duration(*n.OpenForUS) * time.Microsecond
		openFor = &d
	}
	s.apply(g, newsRank(n.Version, openFor == nil), openFor)
}

// newsRank orders the shared states of a breaker: an opening by its version
// (task_breakers.version), a closing, which carries the version of the
// opening it ends, just after that opening and before the next.
func newsRank(version int64, closed bool) int64 {
	r := 2 * version
	if closed {
		r++
	}
	return r
}

// apply adopts a shared state newer (rank, see newsRank) than what g
// knows: open for openFor, or closed when openFor is nil. The state is
// known only once adopted: news that loses to a transition of g's own is
// read again later.
func (s *sharedBreakers) apply(g *guard, rank int64, openFor *time.Duration) {
	if rank <= g.version.Load() {
		return
	}
	if s.adopt(g, openFor) {
		g.version.Store(rank)
	}
}

// adopt puts g in a shared state, open for openFor or closed when openFor
// is nil, and reports whether it did. A transition of this worker's own is
// newer than anything read from the table or heard, and stands: one
// waiting to be written (it is written next, and the table is read again if
// the write is refused), or one made meanwhile, which moved g's generation
// (breaker.AdoptAt). The latter may be a trial's start, which is not
// written: the table is read again, so that the shared state is not lost
// for good. Generation waits for a transition under way to record itself
// as pending.
func (s *sharedBreakers) adopt(g *guard, openFor *time.Duration) bool {
	gen := g.Generation()
	if s.isPending(g.key) {
		return false
	}
	from, to, d := g.State(), breaker.Closed, time.Duration(0)
	switch {
	case openFor != nil:
		to, d = breaker.Open, *openFor
	case from == breaker.Closed:
		return true
	}
	g.trialUntil.Store(0)
	if !g.AdoptAt(gen, to, d) {
		s.requestSync()
		return false
	}
	if from != to {
		s.adopted(g, from, to)
	}
	return true
}

// sync reads the table and adopts it: the rows of the types this worker
// handles are open, and every other breaker is closed, unless it has a
// transition of its own waiting to be written.
func (s *sharedBreakers) sync(ctx context.Context) error {
	rows, err := s.store.breakerStates(ctx, s.types)
	if err != nil {
		return err
	}
	open := make(map[breakerKey]bool, len(rows))
	for _, r := range rows {
		open[r.key] = true
		if g := s.set.lookup(r.key, true); g != nil {
			s.apply(g, newsRank(r.version, false), &r.openFor)
		}
	}
	for _, g := range s.set.all() {
		if !open[g.key] {
			s.adopt(g, nil)
		}
	}
	return nil
}

// mayTry reports whether this worker holds the trial of g's shared
// breaker, taking it when it is free. It asks the database at most once
// per DeferMin while refused; a refusal defers the task by DeferMin.
func (s *sharedBreakers) mayTry(ctx context.Context, g *guard) bool {
	now := s.now()
	switch {
	case now < g.trialUntil.Load():
		return true
	case now < g.deniedUntil.Load(), s.isPending(g.key):
		return false // asked lately, or its own opening is not written yet
	}
	ctx, cancel := context.WithTimeout(ctx, s.lease/3)
	defer cancel()
	taken, exists, err := s.store.takeTrial(ctx, g.key, s.worker, s.lease)
	switch {
	case err != nil:
		s.log.Warn("taking a task breaker's trial failed", "task_type", g.key.taskType, "key", g.key.key, "err", err)
	case taken:
		g.trialUntil.Store(now + int64(s.lease))
		return true
	case !exists:
		s.requestSync() // closed meanwhile: this worker missed it
	}
	g.deniedUntil.Store(now + int64(s.deferMin))
	return false
}

// breakerRow is an open breaker read from task_breakers.
type breakerRow struct {
	key     breakerKey
	version int64
	openFor time.Duration
}

// openBreakerSQL opens a breaker for $3 microseconds from now, unless it is
// open already and still cooling down: a trial that failed (or a worker
// that saw failures after the cool-down) starts a new cool-down, a second
// opening does not stretch the first.
const openBreakerSQL = `
INSERT INTO task_breakers AS b (task_type, key, open_until, opened_by)
VALUES ($1::text, $2::text, now() + $3::bigint * interval '1 microsecond', $4::text)
ON CONFLICT (task_type, key) DO UPDATE
	SET open_until = EXCLUDED.open_until, opened_by = EXCLUDED.opened_by, trial_by = NULL, trial_until = NULL
	WHERE b.open_until <= now()
RETURNING version`

func (s *Store) openBreaker(ctx context.Context, k breakerKey, worker string, d time.Duration) (int64, bool, error) {
	var version int64
	err := s.pool.QueryRow(ctx, openBreakerSQL, k.taskType, k.key, d.Microseconds(), worker).Scan(&version)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("open task breaker: %w", err)
	}
	return version, true, nil
}

// closeBreaker closes a breaker whose trial worker holds.
func (s *Store) closeBreaker(ctx context.Context, k breakerKey, worker string) (bool, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM task_breakers
		WHERE task_type = $1::text AND key = $2::text AND trial_by = $3::text`, k.taskType, k.key, worker)
	if err != nil {
		return false, fmt.Errorf("close task breaker: %w", err)
	}
	return tag.RowsAffected() > 0, nil
}

// takeTrialSQL gives worker $3 the trial of an open breaker whose cool-down
// is over, for $4 microseconds, unless another worker holds it. It reports
// whether the worker holds it, and whether the breaker is open at all.
const takeTrialSQL = `
WITH taken AS (
	UPDATE task_breakers SET trial_by = $3::text, trial_until = now() + $4::bigint * interval '1 microsecond'
	WHERE task_type = $1::text AND key = $2::text AND open_until <= now()
		AND (trial_by IS NULL OR trial_by = $3::text OR trial_until <= now())
	RETURNING 1)
SELECT EXISTS (SELECT FROM taken), EXISTS (SELECT FROM task_breakers WHERE task_type = $1::text AND key = $2::text)`

func (s *Store) takeTrial(ctx context.Context, k breakerKey, worker string, d time.Duration) (taken, exists bool, err error) {
	err = s.pool.QueryRow(ctx, takeTrialSQL, k.taskType, k.key, worker, d.Microseconds()).Scan(&taken, &exists)
	if err != nil {
		return false, false, fmt.Errorf("take task breaker trial: %w", err)
	}
	return taken, exists, nil
}

// breakerStates reads the open breakers of the given types with the time
// each has left, by the database's clock. The table holds a row per open
// breaker only, so this is a read of a few rows.
func (s *Store) breakerStates(ctx context.Context, types []string) ([]breakerRow, error) {
	rows, err := s.pool.Query(ctx, `SELECT task_type, key, version,
			(extract(epoch FROM open_until - clock_timestamp()) * 1e6)::bigint
		FROM task_breakers WHERE task_type = ANY($1::text[])`, types)
	if err != nil {
		return nil, fmt.Errorf("read task breakers: %w", err)
	}
	defer rows.Close()
	var out []breakerRow
	for rows.Next() {
		var r breakerRow
		var us int64
		if err := rows.Scan(&r.key.taskType, &r.key.key, &r.version, &us); err != nil {
			return nil, fmt.Errorf("read task breakers: %w", err)
		}
		r.openFor = time.Duration(us) * time.Microsecond
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read task breakers: %w", err)
	}
	return out, nil
}

// pruneBreakers closes the breakers whose cool-down ended an hour ago with
// no trial since: nothing of theirs has run, and a closed breaker reopens
// at once if the dependency is still down. Keys come from payloads, so
// without this the table would keep every host that ever failed.
func (s *Store) pruneBreakers(ctx context.Context) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM task_breakers
		WHERE open_until < now() - interval '1 hour' AND (trial_until IS NULL OR trial_until < now() - interval '1 hour')`)
	if err != nil {
		return fmt.Errorf("prune task breakers: %w", err)
	}
	return nil
}
