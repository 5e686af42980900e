package tests

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/starter-go/starter/runtime/breaker"
	"github.com/starter-go/starter/runtime/fakeclock"
	"github.com/starter-go/starter/templates/project/internal/apptest"
	"github.com/starter-go/starter/templates/project/internal/config"
	"github.com/starter-go/starter/templates/project/internal/tasks"
)

// The circuit breaker of a task type is one for every worker on the
// database: opened on one, it defers the type's tasks on all; the time it
// stays open is the database's; one worker at a time runs the trial calls;
// and the trial's success closes it everywhere. Each test runs two
// instances of the service on one database (apptest.NewCluster), a worker
// in each, as two worker processes would.

// workerCluster starts two instances on one database without their own
// workers: the tests start the workers they need, one per instance.
func workerCluster(t *testing.T, opts ...apptest.Option) (a, b *apptest.TestApp) {
	t.Helper()
	noWorker := apptest.WithConfig(func(c *config.Config) { c.Tasks.Worker = false })
	apps := apptest.NewCluster(t, 2, append([]apptest.Option{apptest.WithRoutes(testRoutes), noWorker}, opts...)...)
	return apps[0], apps[1]
}

// dependency is the one thing every worker's "shared-dep" handler calls:
// failing or not, and optionally holding calls until released.
type dependency struct {
	failing  atomic.Bool
	hold     atomic.Bool
	released chan struct{}
	entered  chan uuid.UUID
	// failSlowly makes failing calls take failDelay, longer than a
	// worker's poll, so that every worker with a free slot claims some of
	// the tasks before another has run them all.
	failSlowly atomic.Bool
	mu         sync.Mutex
	inFlight   int
	most       int
	calls      atomic.Int64
}

// failDelay is how long a failing call takes while failSlowly is set:
// more than apptest.WorkerSettings' 20ms poll.
const failDelay = 60 * time.Millisecond

func newDependency() *dependency {
	return &dependency{released: make(chan struct{}), entered: make(chan uuid.UUID, 100)}
}

func (d *dependency) handler() tasks.Handler {
	return tasks.HandlerFunc(func(ctx context.Context, t *tasks.Task) (any, error) {
		d.calls.Add(1)
		d.mu.Lock()
		d.inFlight++
		d.most = max(d.most, d.inFlight)
		d.mu.Unlock()
		defer func() {
			d.mu.Lock()
			d.inFlight--
			d.mu.Unlock()
		}()
		d.entered <- t.ID
		if d.hold.Load() {
			select {
			case <-d.released:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		if d.failing.Load() {
			if d.failSlowly.Load() {
				select {
				case <-time.After(failDelay):
				case <-ctx.Done():
					return nil, ctx.Err()
				}
			}
			return nil, errors.New("dependency down")
		}
		return "fine", nil
	})
}

// resetMost starts counting the most calls at once afresh.
func (d *dependency) resetMost() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.most = d.inFlight
}

func (d *dependency) mostInFlight() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.most
}

// sharedDepWorker starts a worker of the "shared-dep" type whose breaker
// opens after threshold consecutive failures and stays open for timeout. A
// worker given a high threshold never opens the breaker by itself: if it
// defers, it learnt the state from another worker.
func sharedDepWorker(t *testing.T, app *apptest.TestApp, d *dependency, threshold int, timeout time.Duration, clock func() time.Time) *apptest.RunningWorker {
	t.Helper()
	return app.StartWorker(registry("shared-dep", d.handler()), sharedDepSettings(threshold, timeout, clock))
}

func sharedDepSettings(threshold int, timeout time.Duration, clock func() time.Time) tasks.Settings {
	s := apptest.WorkerSettings()
	s.Breaker = breaker.Settings{FailureThreshold: threshold, Timeout: timeout, MaxTrials: 1, Clock: clock}
	return s
}

// openBurst is how many failing tasks openOn inserts at once: more than two
// workers of 8 slots can hold, so that some are left for w, however the
// claims fall.
const openBurst = 20

// openOn runs failing tasks until w's breaker opens, then waits until every
// one of them has failed or been deferred by the open breaker, so that none
// reaches the dependency afterwards. The calls fail slowly: a worker that
// fails tasks as fast as it claims them could take every one before w's
// next poll, as many times as the test tried.
func openOn(t *testing.T, app *apptest.TestApp, d *dependency, w *apptest.RunningWorker) {
	t.Helper()
	d.failing.Store(true)
	d.failSlowly.Store(true)
	burst := make([]uuid.UUID, openBurst)
	for i := range burst {
		burst[i] = app.InsertTask(tasks.NewTask{TaskType: "shared-dep", MaxAttempts: 1, RetryStrategy: noRetry}).ID
	}
	if !apptest.Eventually(30*time.Second, func() bool { return w.Breaker("shared-dep").State() == breaker.Open }) {
		t.Fatalf("worker %s's breaker never opened", w.ID())
	}
	d.failSlowly.Store(false)
	settled := func() bool {
		for _, id := range burst {
			cur := app.Task(id)
			deferred := cur.Status == tasks.StatusPending && cur.ScheduledAt.After(time.Now().Add(time.Minute))
			if cur.Status != tasks.StatusFailed && !deferred {
				return false
			}
		}
		return true
	}
	if !apptest.Eventually(30*time.Second, settled) {
		t.Fatal("the failing tasks neither failed nor were deferred")
	}
	d.resetMost() // the failing calls ran side by side; what the test counts comes after
	// The worker writes its transition in the background: wait for it, so
	// that what the test does next to the shared state comes after it.
	if !apptest.Eventually(10*time.Second, func() bool { return sharedOpen(t, app) }) {
		t.Fatal("the opening never reached task_breakers")
	}
}

func sharedOpen(t *testing.T, app *apptest.TestApp) bool {
	t.Helper()
	var open bool
	if err := app.DB.QueryRow(context.Background(), `SELECT EXISTS (SELECT FROM task_breakers)`).Scan(&open); err != nil {
		t.Fatal(err)
	}
	return open
}

// endSharedCoolDown ends the cool-down of a breaker a test opened on a
// worker with a fake clock where the workers take it from, task_breakers:
// once the opening is written there, its open_until becomes now, and the
// worker adopts that (its breaker half-open at once, whatever its clock)
// before the test goes on.
func endSharedCoolDown(t *testing.T, app *apptest.TestApp, b *breaker.Breaker) {
	t.Helper()
	if !apptest.Eventually(10*time.Second, func() bool { return sharedOpen(t, app) }) {
		t.Fatal("the opening never reached task_breakers")
	}
	if _, err := app.DB.Exec(context.Background(), `UPDATE task_breakers SET open_until = now()`); err != nil {
		t.Fatal(err)
	}
	if !apptest.Eventually(10*time.Second, func() bool { return b.State() == breaker.HalfOpen }) {
		t.Fatalf("breaker %s after the cool-down ended in task_breakers", b.State())
	}
}

var noRetry = []byte(`{"type":"none"}`)

// deferredBy waits until a fresh task has been deferred at least min ahead,
// without running and without spending an attempt.
func deferredBy(t *testing.T, app *apptest.TestApp, d *dependency, min time.Duration) {
	t.Helper()
	calls := d.calls.Load()
	task := app.InsertTask(tasks.NewTask{TaskType: "shared-dep"})
	cur := app.WaitTask(task.ID, "deferred", func(t *tasks.Task) bool {
		return t.ScheduledAt.After(task.ScheduledAt.Add(min))
	})
	if cur.Status != tasks.StatusPending || cur.CurrentAttempt != 0 || d.calls.Load() != calls {
		t.Fatalf("deferred task: %+v after %d calls of the dependency", cur, d.calls.Load()-calls)
	}
}

// endCoolDown ends the cool-down where it is kept, in the database, and
// waits until every worker has heard of it.
func endCoolDown(t *testing.T, app *apptest.TestApp, workers ...*apptest.RunningWorker) {
	t.Helper()
	if _, err := app.DB.Exec(context.Background(), `UPDATE task_breakers SET open_until = now()`); err != nil {
		t.Fatal(err)
	}
	for _, w := range workers {
		if !apptest.Eventually(10*time.Second, func() bool { return w.Breaker("shared-dep").State() == breaker.HalfOpen }) {
			t.Fatalf("worker %s's breaker is %s after the cool-down", w.ID(), w.Breaker("shared-dep").State())
		}
	}
}

func TestBreakerOpenedOnOneWorkerDefersOnAnother(t *testing.T) {
	t.Parallel()
	app, peer := workerCluster(t)
	d := newDependency()
	a := sharedDepWorker(t, app, d, 2, time.Hour, nil)
	other := sharedDepWorker(t, peer, d, 1000, time.Minute, nil)
	openOn(t, app, d, a)
	if !apptest.Eventually(10*time.Second, func() bool { return other.Breaker("shared-dep").State() == breaker.Open }) {
		t.Fatalf("the other worker's breaker is %s", other.Breaker("shared-dep").State())
	}
	// Only the other worker is left to claim: it defers by the hour the
	// first one opened the breaker for, not by its own minute.
	if err := a.Stop(); err != nil {
		t.Fatal(err)
	}
	deferredBy(t, app, d, 30*time.Minute)
}

// A worker that starts after the breaker opened adopts it before its first
// claim, with the time the database says is left: its own clock, two hours
// ahead of everyone's, does not cut the hour short.
func TestWorkerStartedLaterAdoptsAnOpenBreaker(t *testing.T) {
	t.Parallel()
	app, peer := workerCluster(t)
	d := newDependency()
	a := sharedDepWorker(t, app, d, 2, time.Hour, nil)
	openOn(t, app, d, a)
	if err := a.Stop(); err != nil {
		t.Fatal(err)
	}
	ahead := fakeclock.New(time.Now().Add(2 * time.Hour))
	later := sharedDepWorker(t, peer, d, 1000, time.Minute, ahead.Now)
	if st := later.Breaker("shared-dep").State(); st != breaker.Open {
		t.Fatalf("a worker started after the breaker opened has it %s", st)
	}
	if left := later.Breaker("shared-dep").RetryAfter(); left < 59*time.Minute {
		t.Fatalf("breaker open for %s more, want about an hour", left)
	}
	deferredBy(t, app, d, 30*time.Minute)
}

// Once the cool-down is over, one worker at a time runs trial calls (at
// most MaxTrials): while a trial is under way on one worker, the tasks the
// other claims are deferred, not tried. The trial's success closes the
// breaker on every worker, and the tasks run.
func TestBreakerTrialsAreLimitedForTheCluster(t *testing.T) {
	t.Parallel()
	app, peer := workerCluster(t)
	d := newDependency()
	// One slot each: the worker running the trial cannot claim anything
	// else, so the other tasks reach the other worker.
	single := func(on *apptest.TestApp, threshold int) *apptest.RunningWorker {
		s := sharedDepSettings(threshold, time.Hour, nil)
		s.Concurrency = 1
		return on.StartWorker(registry("shared-dep", d.handler()), s)
	}
	a, other := single(app, 2), single(peer, 1000)
	openOn(t, app, d, a)
	if !apptest.Eventually(10*time.Second, func() bool { return other.Breaker("shared-dep").State() == breaker.Open }) {
		t.Fatal("the other worker did not adopt the open breaker")
	}
	d.failing.Store(false)
	d.hold.Store(true)
	endCoolDown(t, app, a, other)
	waiting := make([]uuid.UUID, 4)
	for i := range waiting {
		waiting[i] = app.InsertTask(tasks.NewTask{TaskType: "shared-dep"}).ID
	}
	var trial uuid.UUID
	for !slices.Contains(waiting, trial) { // skip the calls of openOn
		select {
		case trial = <-d.entered:
		case <-time.After(30 * time.Second):
			t.Fatal("no trial call after the cool-down")
		}
	}
	var since time.Time
	if err := app.DB.QueryRow(context.Background(), `SELECT now()`).Scan(&since); err != nil {
		t.Fatal(err)
	}
	// Every other task is claimed by the worker without the trial, and
	// deferred by it, while the trial runs.
	allDeferred := func() bool {
		for _, id := range waiting {
			if cur := app.Task(id); id != trial && !cur.UpdatedAt.After(since) {
				return false
			}
		}
		return true
	}
	apptest.Eventually(30*time.Second, func() bool { return d.mostInFlight() > 1 || allDeferred() })
	if most := d.mostInFlight(); most != 1 || !allDeferred() {
		t.Fatalf("%d trial calls at once across the workers (want 1); others deferred: %v", most, allDeferred())
	}
	close(d.released)
	for _, id := range waiting {
		app.WaitStatus(id, tasks.StatusCompleted)
	}
	for _, w := range []*apptest.RunningWorker{a, other} {
		if !apptest.Eventually(10*time.Second, func() bool { return w.Breaker("shared-dep").State() == breaker.Closed }) {
			t.Fatalf("worker %s's breaker is %s after a successful trial", w.ID(), w.Breaker("shared-dep").State())
		}
	}
}

// The trial that succeeds on one worker closes the breaker on the other,
// which did not run it, and its tasks run at once again.
func TestBreakerClosedOnOneWorkerClosesOnAll(t *testing.T) {
	t.Parallel()
	app, peer := workerCluster(t)
	d := newDependency()
	a := sharedDepWorker(t, app, d, 2, time.Hour, nil)
	other := sharedDepWorker(t, peer, d, 1000, time.Hour, nil)
	openOn(t, app, d, a)
	if !apptest.Eventually(10*time.Second, func() bool { return other.Breaker("shared-dep").State() == breaker.Open }) {
		t.Fatal("the other worker did not adopt the open breaker")
	}
	d.failing.Store(false)
	endCoolDown(t, app, a, other)
	trial := app.InsertTask(tasks.NewTask{TaskType: "shared-dep"})
	app.WaitStatus(trial.ID, tasks.StatusCompleted)
	for _, w := range []*apptest.RunningWorker{a, other} {
		if !apptest.Eventually(10*time.Second, func() bool { return w.Breaker("shared-dep").State() == breaker.Closed }) {
			t.Fatalf("worker %s's breaker is still %s", w.ID(), w.Breaker("shared-dep").State())
		}
	}
	for _, w := range []*apptest.RunningWorker{a, other} {
		next := app.InsertTask(tasks.NewTask{TaskType: "shared-dep"})
		if done := app.WaitStatus(next.ID, tasks.StatusCompleted); done.CurrentAttempt != 1 {
			t.Fatalf("task after the close took %d attempts, last error %q", done.CurrentAttempt, *done.LastError)
		}
		if err := w.Stop(); err != nil { // the other one runs the next task
			t.Fatal(err)
		}
	}
}

// Behind a connection pooler in transaction mode with no direct URL no
// worker can LISTEN, and queries go in pgx's exec mode: each worker learns
// of the others' openings and closings by reading the table at every poll,
// and the trial that closes the breaker goes through the pooler too.
func TestBreakerStateReachesWorkersThatCannotListen(t *testing.T) {
	t.Parallel()
	app, peer := workerCluster(t, apptest.WithPooler())
	d := newDependency()
	a := sharedDepWorker(t, app, d, 2, time.Hour, nil)
	polling := sharedDepWorker(t, peer, d, 1000, time.Minute, nil)
	openOn(t, app, d, a)
	if !apptest.Eventually(10*time.Second, func() bool { return polling.Breaker("shared-dep").State() == breaker.Open }) {
		t.Fatalf("the polling worker's breaker is %s", polling.Breaker("shared-dep").State())
	}
	d.failing.Store(false)
	endCoolDown(t, app, a, polling)
	trial := app.InsertTask(tasks.NewTask{TaskType: "shared-dep"})
	app.WaitStatus(trial.ID, tasks.StatusCompleted)
	for _, w := range []*apptest.RunningWorker{a, polling} {
		if !apptest.Eventually(10*time.Second, func() bool { return w.Breaker("shared-dep").State() == breaker.Closed }) {
			t.Fatalf("worker %s's breaker is still %s", w.ID(), w.Breaker("shared-dep").State())
		}
	}
	if sharedOpen(t, app) {
		t.Fatal("task_breakers still has the breaker after its trial succeeded")
	}
}

// A worker that listens still reads the shared breakers now and then
// (Settings.BreakerResync): an opening whose notification it never heard
// (here the trigger that publishes it is off) reaches it all the same.
func TestListeningWorkerRereadsTheBreakersItMissed(t *testing.T) {
	t.Parallel()
	b := setupWorker(t)
	d := newDependency()
	s := sharedDepSettings(1000, time.Minute, nil)
	s.BreakerResync = 50 * time.Millisecond
	reg := registry("shared-dep", d.handler())
	reg.Register("heard", "a type whose breaker opens with a notification", d.handler())
	w := b.app.StartWorker(reg, s)
	ctx := context.Background()
	openShared := func(taskType string) {
		t.Helper()
		_, err := b.app.DB.Exec(ctx, `INSERT INTO task_breakers (task_type, open_until, opened_by)
			VALUES ($1, now() + interval '1 hour', 'a worker on another machine')`, taskType)
		if err != nil {
			t.Fatal(err)
		}
	}
	// First an opening it hears: the worker is listening, and past the
	// reading of the table that follows its connecting.
	openShared("heard")
	if !apptest.Eventually(10*time.Second, func() bool { return w.Breaker("heard").State() == breaker.Open }) {
		t.Fatalf("the worker never heard of the opening: its breaker is %s", w.Breaker("heard").State())
	}
	if _, err := b.app.DB.Exec(ctx, `ALTER TABLE task_breakers DISABLE TRIGGER task_breakers_notify`); err != nil {
		t.Fatal(err)
	}
	openShared("shared-dep")
	if !apptest.Eventually(10*time.Second, func() bool { return w.Breaker("shared-dep").State() == breaker.Open }) {
		t.Fatalf("the listening worker's breaker is %s after the resync", w.Breaker("shared-dep").State())
	}
	deferredBy(t, b.app, d, 30*time.Minute)
}

// An opening can commit after a closing of the same breaker although it
// drew its version first: an insertion numbers its row before it waits for
// the row a closing is deleting. Here the closing holds the row a while,
// as a busy database may make it do. The opening is what the table says
// once both are over, and a worker that heard the closing adopts it all
// the same: a closing is numbered after the opening it ends, not after
// whatever began meanwhile.
func TestOpeningCommittedAfterAClosingIsAdopted(t *testing.T) {
	t.Parallel()
	b := setupWorker(t)
	d := newDependency()
	w := b.app.StartWorker(registry("shared-dep", d.handler()), sharedDepSettings(1000, time.Minute, nil))
	ctx := context.Background()
	// Open, its cool-down over, its trial held by a worker on another machine.
	if _, err := b.app.DB.Exec(ctx, `INSERT INTO task_breakers (task_type, open_until, opened_by, trial_by, trial_until)
		VALUES ('shared-dep', now(), 'a worker', 'the trial holder', now() + interval '1 minute')`); err != nil {
		t.Fatal(err)
	}
	if !apptest.Eventually(10*time.Second, func() bool { return w.Breaker("shared-dep").State() == breaker.HalfOpen }) {
		t.Fatalf("the worker never heard of the opening: its breaker is %s", w.Breaker("shared-dep").State())
	}
	closing, err := b.app.DB.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = closing.Rollback(ctx) }()
	if _, err := closing.Exec(ctx, `SELECT FROM task_breakers FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	// Another worker opens the breaker anew, as a worker writes its
	// opening: it waits for the closing.
	opened := make(chan error, 1)
	go func() {
		_, err := b.app.DB.Exec(ctx, `INSERT INTO task_breakers AS b (task_type, key, open_until, opened_by)
			VALUES ('shared-dep', '', now() + interval '1 hour', 'another worker')
			ON CONFLICT (task_type, key) DO UPDATE
				SET open_until = EXCLUDED.open_until, opened_by = EXCLUDED.opened_by, trial_by = NULL, trial_until = NULL
				WHERE b.open_until <= now()`)
		opened <- err
	}()
	if !apptest.Eventually(10*time.Second, func() bool {
		var waiting bool
		err := closing.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_locks WHERE NOT granted)`).Scan(&waiting)
		return err == nil && waiting
	}) {
		t.Fatal("the opening never waited for the closing")
	}
	if _, err := closing.Exec(ctx, `DELETE FROM task_breakers WHERE trial_by = 'the trial holder'`); err != nil {
		t.Fatal(err)
	}
	if err := closing.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-opened; err != nil {
		t.Fatal(err)
	}
	if !apptest.Eventually(10*time.Second, func() bool { return w.Breaker("shared-dep").State() == breaker.Open }) {
		t.Fatalf("the table says open, the worker's breaker is %s", w.Breaker("shared-dep").State())
	}
	if left := w.Breaker("shared-dep").RetryAfter(); left < 30*time.Minute {
		t.Fatalf("breaker open for %s more, want about an hour", left)
	}
}
