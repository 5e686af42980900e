package tasks

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel/trace"

	"example.com/demo/internal/platform/breaker"
	"example.com/demo/internal/platform/retry"
	"example.com/demo/internal/storable"
)

// Settings configures a Worker. The zero value is valid: every field has the
// default documented on it.
type Settings struct {
	// ID names the worker in locked_by. Default: host-pid-random.
	ID string
	// Concurrency is how many tasks run at once. Default 10.
	Concurrency int
	// ClaimBatch caps the tasks taken by one claim. Default: Concurrency, at most 1000.
	ClaimBatch int
	// PollInterval is how often the worker claims without a notification:
	// retries and scheduled tasks become due this way. Default 1s.
	PollInterval time.Duration
	// Lease is how long a claimed task stays with the worker without a
	// heartbeat. Heartbeats and the reaper of expired leases run every Lease/3;
	// a handler whose lease could not be renewed for 5/6 of a Lease has its
	// context cancelled, before another worker may take the task back. It is
	// also how long outcomes are retried at shutdown while the database is
	// away. Default 30s.
	Lease time.Duration
	// HandlerTimeout bounds one attempt. Default 5m.
	HandlerTimeout time.Duration
	// ShutdownGrace is how long running tasks may finish once Run's context
	// ends; the rest are cancelled and released. Default 0: release at once.
	ShutdownGrace time.Duration
	// CancelWait is how long the handlers cancelled at shutdown get to
	// return before their tasks are released all the same: a handler deaf
	// to its context keeps running, and its late outcome is dropped.
	// Default 1s.
	CancelWait time.Duration
	// Breaker configures the circuit breaker of each task type, and of each
	// key of a type whose handler is a BreakerKeyer (its own zero value is
	// valid). The breakers' state is shared with the other workers on the
	// database (see sharedBreakers); Timeout is how long an opening by this
	// worker defers the tasks on all of them. Its OnStateChange is called
	// after the worker's own, for the transitions adopted from the other
	// workers too. Errors marked retry.Permanent are ignored by every
	// breaker, besides those its Ignore picks: one user's bad payloads must
	// not defer everyone's tasks.
	Breaker breaker.Settings
	// DeferMin is the shortest delay of a task deferred by its breaker, so a
	// half-open breaker busy with its trial does not make the worker spin.
	// Default: PollInterval.
	DeferMin time.Duration
	// ClaimCooldown is how long a worker with fewer than ClaimBatch/2 free
	// slots waits for more to free up before it claims. Default 2ms.
	ClaimCooldown time.Duration
	// CompleteBatch caps the outcomes written by one statement. Default 1000.
	CompleteBatch int
	// CompleteWait is how long the completer waits for more outcomes before it
	// writes a batch that is not full. Default 1ms.
	CompleteWait time.Duration
	// CompleteRetryMax caps the pause between tries to write outcomes while
	// the database cannot be reached: the pause starts at 10ms (or the cap,
	// when lower) and doubles. It is at most how long outcomes wait to be
	// written once the database is back. Default 1s.
	CompleteRetryMax time.Duration
	// Listen opens the connection the worker LISTENs on for new tasks and
	// the other workers' breaker changes; it must reach PostgreSQL itself,
	// not a pooler in transaction mode, where notifications are lost.
	// Default: one made like the pool's.
	Listen func(context.Context) (*pgx.Conn, error)
	// PollOnly turns LISTEN off: the worker then finds new tasks, and the
	// breakers other workers opened or closed, by polling alone,
	// PollInterval/2 later on average (behind a transaction pooler with no
	// direct URL). Default false.
	PollOnly bool
	// BreakerResync is how often a worker that listens reads the shared
	// breakers' table all the same, making good a notification it missed.
	// Default 30s.
	BreakerResync time.Duration
	// Tracer, when set, runs each attempt in a span that continues the trace
	// of the request that created the task (tracing.go). Default nil: none.
	Tracer trace.Tracer
}

func (s Settings) withDefaults() Settings {
	if s.ID == "" {
		s.ID = defaultID()
	}
	s.Concurrency = positive(s.Concurrency, 10)
	s.ClaimBatch = positive(s.ClaimBatch, min(s.Concurrency, 1000))
	s.PollInterval = positive(s.PollInterval, time.Second)
	s.Lease = positive(s.Lease, 30*time.Second)
	s.HandlerTimeout = positive(s.HandlerTimeout, 5*time.Minute)
	s.DeferMin = positive(s.DeferMin, s.PollInterval)
	s.ClaimCooldown = positive(s.ClaimCooldown, 2*time.Millisecond)
	s.CompleteBatch = positive(s.CompleteBatch, 1000)
	s.CompleteWait = positive(s.CompleteWait, time.Millisecond)
	s.CompleteRetryMax = positive(s.CompleteRetryMax, time.Second)
	s.CancelWait = positive(s.CancelWait, time.Second)
	s.BreakerResync = positive(s.BreakerResync, 30*time.Second)
	return s
}

func positive[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

func defaultID() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
}

// Worker claims due tasks of its registry's types and runs them. Any number
// of workers, in one process or many, may share a database.
type Worker struct {
	store    *Store
	pool     *pgxpool.Pool
	reg      *Registry
	s        Settings
	log      *slog.Logger
	metrics  *Metrics
	types    []string
	breakers *breakerSet
	shared   *sharedBreakers

	leases    *leases
	minutes   *minuteStats
	running   atomic.Int64
	handlers  sync.WaitGroup
	jobs      chan job
	slotFreed chan struct{}
	wake      chan struct{}
	outcomes  chan outcome
	// flushed is closed when the completer has written its last batch.
	flushed chan struct{}

	started   atomic.Bool
	state     atomic.Int32
	lastOK    atomic.Int64
	listening atomic.Bool
}

// Lifecycle of a worker, for its health check.
const (
	stateIdle int32 = iota
	stateRunning
	stateStopping
	stateStopped
)

// NewWorker returns a worker for the types of reg. metrics may be nil.
func NewWorker(pool *pgxpool.Pool, reg *Registry, s Settings, log *slog.Logger, metrics *Metrics) *Worker {
	s = s.withDefaults()
	w := &Worker{
		store:     NewStore(pool),
		pool:      pool,
		reg:       reg,
		s:         s,
		log:       log.With("worker", s.ID),
		metrics:   metrics,
		types:     reg.Types(),
		leases:    newLeases(),
		minutes:   newMinuteStats(),
		jobs:      make(chan job, s.Concurrency),
		slotFreed: make(chan struct{}, 1),
		wake:      make(chan struct{}, 1),
		outcomes:  make(chan outcome, 2*s.Concurrency),
		flushed:   make(chan struct{}),
	}
	w.shared = newSharedBreakers(w.store, s, w.types, w.log)
	w.shared.adopted = w.breakerAdopted
	w.breakers = newBreakerSet(reg, w.types, w.newGuard)
	w.shared.set = w.breakers
	w.markOK() // the health check gives Run its first window from now
	return w
}

// newGuard makes the breaker of a task type (key empty) or of one key of
// a type whose handler is a BreakerKeyer; only the former have a metric, so
// that users' payloads cannot add series.
func (w *Worker) newGuard(taskType, key string) *guard {
	g := &guard{key: breakerKey{taskType, key}, shared: w.shared}
	bs := w.s.Breaker
	bs.Ignore = ignoreForBreaker(bs.Ignore)
	bs.OnStateChange = func(_ string, from, to breaker.State) {
		w.shared.transitioned(g, to)
		w.breakerChanged(g, from, to, "task breaker changed state")
	}
	name := taskType
	if key == "" {
		w.metrics.setBreaker(taskType, breaker.Closed)
	} else {
		name += " " + key
	}
	g.Breaker = breaker.New(name, bs)
	return g
}

// breakerAdopted reports a transition taken over from another worker.
func (w *Worker) breakerAdopted(g *guard, from, to breaker.State) {
	w.breakerChanged(g, from, to, "task breaker state adopted from another worker")
}

func (w *Worker) breakerChanged(g *guard, from, to breaker.State, msg string) {
	if g.key.key == "" {
		w.metrics.setBreaker(g.key.taskType, to)
	}
	w.log.Warn(msg, "task_type", g.key.taskType, "key", g.key.key, "from", from.String(), "to", to.String())
	if user := w.s.Breaker.OnStateChange; user != nil {
		user(g.Name(), from, to)
	}
}

// ID returns the worker's name, as written in locked_by.
func (w *Worker) ID() string { return w.s.ID }

// Breaker returns the circuit breaker of a task type, or nil for a type the
// worker does not handle. A type whose handler is a BreakerKeyer uses it
// only for tasks without a key.
func (w *Worker) Breaker(taskType string) *breaker.Breaker {
	if g := w.breakers.byType[taskType]; g != nil {
		return g.Breaker
	}
	return nil
}

// Run registers the worker's task types, then claims and runs tasks until ctx
// ends. It then stops claiming, lets running tasks finish for ShutdownGrace,
// cancels the rest and puts them back in the queue without spending their
// attempt. Run may be called once.
func (w *Worker) Run(ctx context.Context) error {
	if !w.started.CompareAndSwap(false, true) {
		return errors.New("worker: Run called twice")
	}
	defer w.state.Store(stateStopped)
	if err := w.store.RegisterTypes(ctx, w.reg.Specs()); err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	w.markOK()
	if err := w.shared.sync(ctx); err != nil && ctx.Err() == nil {
		w.log.Error("reading the shared task breakers failed; retrying at the next poll", "err", err)
		w.shared.requestSync()
	}
	w.state.Store(stateRunning)
	// Handlers and the bookkeeping outlive ctx: they end during shutdown.
	runCtx, cancelRun := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelRun()
	bgCtx, stopBg := context.WithCancel(context.WithoutCancel(ctx))
	var bg sync.WaitGroup
	bg.Go(func() { w.listen(ctx) })
	bg.Go(func() { w.maintain(bgCtx) })
	bg.Go(func() { w.guardLeases(bgCtx) })
	bg.Go(func() { w.shared.run(bgCtx, w.listening.Load) })
	stopCompleter := make(chan struct{})
	bg.Go(func() { w.completeLoop(bgCtx, stopCompleter) })

	w.runners(runCtx)
	w.log.Info("worker started", "types", w.types, "concurrency", w.s.Concurrency)
	w.produce(ctx, runCtx)
	w.state.Store(stateStopping)
	close(w.jobs)
	w.shutdown(cancelRun, stopCompleter)
	stopBg()
	bg.Wait()
	w.log.Info("worker stopped")
	return nil
}

// shutdown waits for the handlers (cancelling them after the grace period),
// writes their outcomes and releases the tasks still held: those whose
// handler ignored its cancellation, or whose outcome could not be written.
func (w *Worker) shutdown(cancelRun context.CancelFunc, stopCompleter chan struct{}) {
	if !waitTimeout(&w.handlers, w.s.ShutdownGrace) {
		w.log.Info("shutdown grace over: cancelling running tasks", "running", w.running.Load())
		cancelRun()
		// Handlers that honour their context return at once; the others are
		// released below and their late outcome is dropped.
		waitTimeout(&w.handlers, w.s.CancelWait)
	}
	close(stopCompleter)
	<-w.flushed
	ids, attempts := w.leases.snapshot()
	if len(ids) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n, err := w.store.release(ctx, w.s.ID, ids, attempts)
	if err != nil {
		w.log.Error("release tasks at shutdown", "err", err)
	} else if n > 0 {
		w.log.Info("released tasks still running at shutdown", "count", n)
	}
}

func waitTimeout(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}

// produce claims tasks whenever slots are free and the queue may hold due
// tasks: after a notification, a poll tick, or a claim that filled every
// slot it asked for. When only a few slots are free it waits up to
// ClaimCooldown for more to free up, so that a busy worker makes a few big
// claims rather than one per finished task.
func (w *Worker) produce(ctx, runCtx context.Context) {
	tick := time.NewTicker(w.s.PollInterval)
	defer tick.Stop()
	gather := time.NewTimer(time.Hour)
	gather.Stop()
	gathering, more := false, true
	for {
		if more && !gathering {
			more = w.fill(ctx, runCtx)
		}
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
			more = true
		case <-tick.C:
			more = true
		case <-gather.C:
			gathering = false
		case <-w.slotFreed:
			switch free := w.free(); {
			case !more:
			case free >= w.minClaim():
				gathering = false
				gather.Stop()
			case !gathering:
				gathering = true
				gather.Reset(w.s.ClaimCooldown)
			}
		}
	}
}

func (w *Worker) free() int { return w.s.Concurrency - int(w.running.Load()) }

// minClaim is the claim size worth making without waiting for more slots.
func (w *Worker) minClaim() int { return max(1, w.s.ClaimBatch/2) }

// fill claims until the slots are (nearly) full or the queue has no due
// task, and reports whether due tasks may remain. The claimed tasks' handlers
// run under runCtx.
func (w *Worker) fill(ctx, runCtx context.Context) bool {
	for first := true; ctx.Err() == nil; first = false {
		free := w.free()
		if free <= 0 || (!first && free < w.minClaim()) {
			return true
		}
		n := min(free, w.s.ClaimBatch)
		sent := w.leases.now()
		claimed, err := w.claim(ctx, n)
		if err != nil {
			if ctx.Err() == nil {
				w.log.Error("claim failed; retrying at the next poll", "err", err)
			}
			return false
		}
		w.markOK()
		w.minutes.started(time.Now(), claimed)
		for i, l := range w.leases.hold(runCtx, claimed, sent+w.s.Lease) {
			w.start(job{claimed[i], l})
		}
		if len(claimed) < n {
			return false
		}
	}
	return false
}

// claim claims up to n tasks. A stop (ctx ending) does not cut a claim
// short: the database may have made it already, and its tasks would then
// wait for their lease to expire. They run, or are released by the
// shutdown, like the others.
func (w *Worker) claim(ctx context.Context, n int) ([]*Task, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.s.Lease/3)
	defer cancel()
	return w.store.claim(ctx, n, w.types, w.s.ID, w.s.Lease)
}

// job is a claimed task and its lease.
type job struct {
	t *Task
	l *lease
}

// start hands a claimed task to an idle runner; there is always one, since
// claims never exceed the free slots.
func (w *Worker) start(j job) {
	w.running.Add(1)
	w.jobs <- j
}

// runners start Concurrency goroutines that run tasks until jobs is closed.
// Long-lived runners keep their grown stacks: a goroutine per task spent a
// quarter of the worker's CPU growing fresh stacks.
func (w *Worker) runners(runCtx context.Context) {
	for range w.s.Concurrency {
		w.handlers.Go(func() {
			for j := range w.jobs {
				w.runOne(runCtx, j)
			}
		})
	}
}

func (w *Worker) runOne(runCtx context.Context, j job) {
	ctx, span := w.traceAttempt(j.l.ctx, j.t)
	o := w.execute(ctx, runCtx, j.t)
	o.lease = j.l
	endAttempt(span, o)
	j.l.cancel(nil)
	select {
	case w.outcomes <- o:
	case <-w.flushed:
		// Shutdown is over: the task was released or will be reaped.
	}
	w.running.Add(-1)
	select {
	case w.slotFreed <- struct{}{}:
	default:
	}
}

// execute runs one attempt through the type's breaker and decides its
// outcome. ctx is the attempt's, a child of runCtx, which ends at shutdown.
// An attempt cut short by a lost lease (its handler returning ctx.Err())
// counts neither for nor against the breaker: it says nothing about the task
// type's dependency.
func (w *Worker) execute(ctx, runCtx context.Context, t *Task) outcome {
	o := outcome{id: t.ID, attempt: t.CurrentAttempt, taskType: t.TaskType}
	h, _ := w.reg.handler(t.TaskType)
	br := w.breakers.forTask(t)
	var result []byte
	ran := false
	err := br.Execute(ctx, func(ctx context.Context) error {
		ran = true
		var err error
		result, err = w.call(ctx, h, t)
		return err
	})
	switch {
	case !ran:
		o.kind, o.delay = outcomeReleased, max(br.RetryAfter(), w.s.DeferMin)
		w.metrics.count(t.TaskType, metricDeferred)
	case err == nil:
		o.kind, o.result = outcomeCompleted, result
		w.metrics.count(t.TaskType, metricCompleted)
	case runCtx.Err() != nil:
		o.kind = outcomeReleased
		w.metrics.count(t.TaskType, metricReleased)
	case errors.Is(context.Cause(ctx), errLeaseLost) && !errors.Is(err, errLeaseLost):
		w.failed(ctx, &o, t, fmt.Errorf("%w: %w", errLeaseLost, err))
	default:
		w.failed(ctx, &o, t, err)
	}
	return o
}

// failed turns an error into a retry or, with no attempt left or an error
// marked retry.Permanent (a payload no attempt can fix), a failure.
func (w *Worker) failed(ctx context.Context, o *outcome, t *Task, err error) {
	o.err = storable.Text(err.Error(), 2000)
	delay, retryable := retryDelay(t.RetryStrategy, t.CurrentAttempt)
	if retryable && !retry.IsPermanent(err) && t.CurrentAttempt < t.MaxAttempts {
		o.kind, o.delay = outcomeRetrying, delay
		w.metrics.count(t.TaskType, metricRetried)
		w.log.WarnContext(ctx, "task attempt failed; will retry", "task_id", t.ID, "task_type", t.TaskType,
			"attempt", t.CurrentAttempt, "delay", delay, "err", err)
		return
	}
	o.kind = outcomeFailed
	w.metrics.count(t.TaskType, metricFailed)
	w.log.ErrorContext(ctx, "task failed for good", "task_id", t.ID, "task_type", t.TaskType, "attempt", t.CurrentAttempt, "err", err)
}

// call runs the handler with the attempt's timeout, turning a panic into an
// error and the result into JSON that the database can store.
func (w *Worker) call(attemptCtx context.Context, h Handler, t *Task) (result []byte, err error) {
	ctx, cancel := context.WithTimeout(attemptCtx, w.s.HandlerTimeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			w.log.ErrorContext(ctx, "task handler panicked", "task_id", t.ID, "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("handler panicked: %v", r)
		}
	}()
	res, err := h.Handle(ctx, t)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil && attemptCtx.Err() == nil {
			return nil, fmt.Errorf("handler timed out after %s: %w", w.s.HandlerTimeout, err)
		}
		return nil, err
	}
	if res == nil {
		return nil, nil
	}
	b, err := json.Marshal(res)
	if err != nil {
		return nil, fmt.Errorf("encode result: %w", err)
	}
	return storable.JSON(b), nil
}

func (w *Worker) markOK() { w.lastOK.Store(time.Now().UnixNano()) }

// Check is the worker's health check: it fails when the worker has stopped,
// never started, or has not reached the database for three poll intervals
// (or one lease, whichever is longer). A worker about to start is healthy
// for that long, so a probe right after start-up does not fail.
func (w *Worker) Check(context.Context) (string, error) {
	since := time.Since(time.Unix(0, w.lastOK.Load()))
	limit := max(3*w.s.PollInterval, w.s.Lease)
	switch w.state.Load() {
	case stateIdle:
		if since > limit {
			return "", errors.New("worker never started")
		}
		return "worker starting", nil
	case stateStopping, stateStopped:
		return "", errors.New("worker stopped")
	}
	if since > limit {
		return "", fmt.Errorf("no successful database round trip for %s", since.Round(time.Millisecond))
	}
	wakeup := "notifications"
	if !w.listening.Load() {
		wakeup = "polling only"
	}
	return fmt.Sprintf("running %d/%d tasks, %s", w.running.Load(), w.s.Concurrency, wakeup), nil
}
