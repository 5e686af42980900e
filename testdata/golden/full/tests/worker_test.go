package tests

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"example.com/demo/internal/apptest"
	"example.com/demo/internal/config"
	"example.com/demo/internal/platform/breaker"
	"example.com/demo/internal/platform/fakeclock"
	"example.com/demo/internal/tasks"
)

// workerBundle is a service without its own worker, so each test runs the
// workers and handlers it needs.
type workerBundle struct {
	app *apptest.TestApp
	rec *recorder
}

func setupWorker(t *testing.T, opts ...apptest.Option) workerBundle {
	t.Helper()
	noWorker := apptest.WithConfig(func(c *config.Config) { c.Tasks.Worker = false })
	return workerBundle{app: newApp(t, append([]apptest.Option{noWorker}, opts...)...), rec: newRecorder()}
}

// recorder counts runs of each task and keeps their order.
type recorder struct {
	mu    sync.Mutex
	runs  map[uuid.UUID]int
	order []uuid.UUID
	total atomic.Int64
}

func newRecorder() *recorder { return &recorder{runs: map[uuid.UUID]int{}} }

func (r *recorder) record(id uuid.UUID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.runs[id]++
	r.order = append(r.order, id)
	r.total.Add(1)
}

func (r *recorder) count(id uuid.UUID) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.runs[id]
}

func (r *recorder) sequence() []uuid.UUID {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]uuid.UUID(nil), r.order...)
}

// handler records each run, then calls fn (nil: succeed with {"ok":true}).
func (r *recorder) handler(fn func(ctx context.Context, t *tasks.Task) (any, error)) tasks.Handler {
	return tasks.HandlerFunc(func(ctx context.Context, t *tasks.Task) (any, error) {
		r.record(t.ID)
		if fn == nil {
			return map[string]bool{"ok": true}, nil
		}
		return fn(ctx, t)
	})
}

func registry(taskType string, h tasks.Handler) *tasks.Registry {
	reg := tasks.NewRegistry()
	reg.Register(taskType, "test handler", h)
	return reg
}

func fixedRetry(ms int) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"type":"fixed","interval_ms":%d}`, ms))
}

func TestWorkerCompletesTaskKeepingResultAndMetadata(t *testing.T) {
	t.Parallel()
	b := setupWorker(t)
	release := make(chan struct{})
	b.app.StartWorker(registry("echo", b.rec.handler(func(ctx context.Context, task *tasks.Task) (any, error) {
		<-release
		var p map[string]any
		_ = json.Unmarshal(task.Payload, &p)
		return map[string]any{"echo": p["word"]}, nil
	})), apptest.WorkerSettings())
	meta := json.RawMessage(`{"api_created":true,"tag":"keep-me"}`)
	task := b.app.InsertTask(tasks.NewTask{TaskType: "echo", Payload: json.RawMessage(`{"word":"hi"}`), Metadata: meta})
	if task.Status != tasks.StatusPending || task.CurrentAttempt != 0 || task.StartedAt != nil {
		t.Fatalf("new task: %+v", task)
	}
	running := b.app.WaitStatus(task.ID, tasks.StatusRunning)
	if running.CurrentAttempt != 1 || running.StartedAt == nil || running.Result != nil {
		t.Fatalf("running task: %+v", running)
	}
	assertJSONEqual(t, running.Metadata, meta)
	close(release)
	done := b.app.WaitStatus(task.ID, tasks.StatusCompleted)
	assertJSONEqual(t, done.Result, json.RawMessage(`{"echo":"hi"}`))
	assertJSONEqual(t, done.Metadata, meta)
	if done.CurrentAttempt != 1 || done.CompletedAt == nil || done.LastError != nil {
		t.Fatalf("completed task: %+v", done)
	}
	var lockedBy *string
	if err := b.app.DB.QueryRow(context.Background(), `SELECT locked_by FROM tasks WHERE id = $1`, task.ID).Scan(&lockedBy); err != nil || lockedBy != nil {
		t.Fatalf("lease not cleared: %v %v", lockedBy, err)
	}
}

func assertJSONEqual(t *testing.T, got, want json.RawMessage) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("got is not JSON: %s", got)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("want is not JSON: %s", want)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Fatalf("JSON = %s, want %s", gb, wb)
	}
}

func TestWorkerRetriesWithGrowingDelaysIntoDeadLetter(t *testing.T) {
	t.Parallel()
	b := setupWorker(t)
	b.app.StartWorker(registry("flaky", b.rec.handler(func(context.Context, *tasks.Task) (any, error) {
		return nil, errors.New("upstream exploded")
	})), apptest.WorkerSettings())
	strategy := json.RawMessage(`{"type":"exponential","base_delay_ms":25,"multiplier":2,"max_delay_ms":10000,"jitter":0}`)
	task := b.app.InsertTask(tasks.NewTask{TaskType: "flaky", MaxAttempts: 4, RetryStrategy: strategy})

	// Each failure sets scheduled_at = now + delay in the statement that sets
	// updated_at = now, so their difference is the delay exactly.
	delays := map[int]time.Duration{}
	ok := apptest.Eventually(30*time.Second, func() bool {
		cur := b.app.Task(task.ID)
		if cur.Status == tasks.StatusRetrying {
			delays[cur.CurrentAttempt] = cur.ScheduledAt.Sub(cur.UpdatedAt)
		}
		return cur.Status == tasks.StatusFailed
	})
	if !ok {
		t.Fatalf("task never failed: %+v", b.app.Task(task.ID))
	}
	want := map[int]time.Duration{1: 25 * time.Millisecond, 2: 50 * time.Millisecond, 3: 100 * time.Millisecond}
	for attempt, d := range want {
		if got, seen := delays[attempt]; seen && got != d {
			t.Errorf("delay after attempt %d = %s, want %s", attempt, got, d)
		}
	}
	if len(delays) == 0 {
		t.Fatal("never saw the task retrying")
	}
	final := b.app.Task(task.ID)
	if final.CurrentAttempt != 4 || final.MaxAttempts != 4 || final.CompletedAt == nil ||
		final.LastError == nil || !strings.Contains(*final.LastError, "upstream exploded") {
		t.Fatalf("dead task: %+v", final)
	}
	if n := b.rec.count(task.ID); n != 4 {
		t.Fatalf("handler ran %d times, want 4", n)
	}
}

func TestWorkerRetrySucceedsOnLaterAttempt(t *testing.T) {
	t.Parallel()
	b := setupWorker(t)
	b.app.StartWorker(registry("second-time", b.rec.handler(func(_ context.Context, task *tasks.Task) (any, error) {
		if task.CurrentAttempt < 2 {
			return nil, errors.New("not yet")
		}
		return map[string]int{"attempt": task.CurrentAttempt}, nil
	})), apptest.WorkerSettings())
	task := b.app.InsertTask(tasks.NewTask{TaskType: "second-time", RetryStrategy: fixedRetry(10)})
	done := b.app.WaitStatus(task.ID, tasks.StatusCompleted)
	if done.CurrentAttempt != 2 || done.LastError == nil || *done.LastError != "not yet" {
		t.Fatalf("completed task: %+v", done)
	}
	assertJSONEqual(t, done.Result, json.RawMessage(`{"attempt":2}`))
}

func TestWorkerStrategyNoneFailsAfterOneAttempt(t *testing.T) {
	t.Parallel()
	b := setupWorker(t)
	b.app.StartWorker(registry("once", b.rec.handler(func(context.Context, *tasks.Task) (any, error) {
		return nil, errors.New("no luck")
	})), apptest.WorkerSettings())
	task := b.app.InsertTask(tasks.NewTask{TaskType: "once", MaxAttempts: 1, RetryStrategy: json.RawMessage(`{"type":"none"}`)})
	done := b.app.WaitStatus(task.ID, tasks.StatusFailed)
	if done.CurrentAttempt != 1 || b.rec.count(task.ID) != 1 {
		t.Fatalf("failed task: %+v after %d runs", done, b.rec.count(task.ID))
	}
}

func TestWorkerClaimsByPriorityThenAge(t *testing.T) {
	t.Parallel()
	b := setupWorker(t)
	b.app.RegisterTaskTypes("ordered")
	var want []uuid.UUID
	byPriority := map[tasks.Priority][]uuid.UUID{}
	for i, p := range []tasks.Priority{tasks.PriorityLow, tasks.PriorityCritical, tasks.PriorityNormal,
		tasks.PriorityHigh, tasks.PriorityLow, tasks.PriorityCritical, tasks.PriorityNormal, tasks.PriorityHigh} {
		task := b.app.InsertTask(tasks.NewTask{TaskType: "ordered", Priority: p,
			ScheduledAt: time.Now().Add(-time.Minute).Add(time.Duration(i) * time.Second)})
		byPriority[p] = append(byPriority[p], task.ID)
	}
	for _, p := range []tasks.Priority{tasks.PriorityCritical, tasks.PriorityHigh, tasks.PriorityNormal, tasks.PriorityLow} {
		want = append(want, byPriority[p]...)
	}
	s := apptest.WorkerSettings()
	s.Concurrency = 1
	b.app.StartWorker(registry("ordered", b.rec.handler(nil)), s)
	if !apptest.Eventually(30*time.Second, func() bool { return b.rec.total.Load() == int64(len(want)) }) {
		t.Fatalf("ran %d of %d tasks", b.rec.total.Load(), len(want))
	}
	got := b.rec.sequence()
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("run order %v, want %v", got, want)
		}
	}
}

func TestWorkerHonoursScheduledAt(t *testing.T) {
	t.Parallel()
	b := setupWorker(t)
	started := make(chan time.Time, 1)
	b.app.StartWorker(registry("later", b.rec.handler(func(context.Context, *tasks.Task) (any, error) {
		started <- time.Now()
		return nil, nil
	})), apptest.WorkerSettings())
	at := time.Now().Add(100 * time.Millisecond)
	task := b.app.InsertTask(tasks.NewTask{TaskType: "later", ScheduledAt: at})
	// Read before its time, the task must still wait (a slow machine may
	// read it too late to tell).
	if cur := b.app.Task(task.ID); cur.Status != tasks.StatusPending && time.Now().Before(at) {
		t.Fatalf("scheduled task already %s", cur.Status)
	}
	done := b.app.WaitStatus(task.ID, tasks.StatusCompleted)
	if s := <-started; s.Before(at) {
		t.Fatalf("started at %s, before its schedule %s", s, at)
	}
	if done.StartedAt.Before(done.ScheduledAt) {
		t.Fatalf("started_at %s before scheduled_at %s", done.StartedAt, done.ScheduledAt)
	}
}

func TestBreakerOpensDefersWithoutSpendingAttemptsAndCloses(t *testing.T) {
	t.Parallel()
	b := setupWorker(t)
	clock := fakeclock.New(time.Now())
	var failing atomic.Bool
	failing.Store(true)
	s := apptest.WorkerSettings()
	s.Concurrency = 1
	s.Breaker = breaker.Settings{FailureThreshold: 2, SuccessThreshold: 1, Timeout: time.Hour, Clock: clock.Now}
	w := b.app.StartWorker(registry("fragile", b.rec.handler(func(context.Context, *tasks.Task) (any, error) {
		if failing.Load() {
			return nil, errors.New("dependency down")
		}
		return "fine", nil
	})), s)
	first := b.app.InsertTask(tasks.NewTask{TaskType: "fragile", RetryStrategy: fixedRetry(10)})
	if !apptest.Eventually(30*time.Second, func() bool { return w.Breaker("fragile").State() == breaker.Open }) {
		t.Fatalf("breaker still %s after failures", w.Breaker("fragile").State())
	}
	runsWhenOpened := b.rec.total.Load()
	if runsWhenOpened != 2 {
		t.Fatalf("breaker opened after %d runs, want 2", runsWhenOpened)
	}
	// While open, a task is deferred by the time left (an hour on the fake
	// clock): back to pending with no attempt spent and without running.
	deferred := b.app.InsertTask(tasks.NewTask{TaskType: "fragile"})
	cur := b.app.WaitTask(deferred.ID, "deferred", func(t *tasks.Task) bool {
		return t.ScheduledAt.After(deferred.ScheduledAt.Add(30 * time.Minute))
	})
	if cur.Status != tasks.StatusPending || cur.CurrentAttempt != 0 || cur.StartedAt != nil || b.rec.count(deferred.ID) != 0 {
		t.Fatalf("deferred task: %+v", cur)
	}
	firstNow := b.app.WaitTask(first.ID, "deferred", func(t *tasks.Task) bool {
		return t.Status == tasks.StatusRetrying && t.ScheduledAt.After(time.Now().Add(30*time.Minute))
	})
	if firstNow.CurrentAttempt != 2 {
		t.Fatalf("deferral spent an attempt of the failing task: %+v", firstNow)
	}

	// After the timeout the breaker lets a trial through; it succeeds and
	// closes it. The cool-down is the database's (task_breakers, shared by
	// every worker, written in the background): it ends there.
	failing.Store(false)
	endSharedCoolDown(t, b.app, w.Breaker("fragile"))
	if _, err := b.app.DB.Exec(context.Background(), `UPDATE tasks SET scheduled_at = now() WHERE task_type = 'fragile'`); err != nil {
		t.Fatal(err)
	}
	done := b.app.WaitStatus(deferred.ID, tasks.StatusCompleted)
	if done.CurrentAttempt != 1 {
		t.Fatalf("deferred task took %d attempts", done.CurrentAttempt)
	}
	if st := w.Breaker("fragile").State(); st != breaker.Closed {
		t.Fatalf("breaker %s after a successful trial", st)
	}
	if f := b.app.WaitStatus(first.ID, tasks.StatusCompleted); f.CurrentAttempt != 3 {
		t.Fatalf("first task: %+v", f)
	}
}

func TestTwoWorkersNeverRunATaskTwice(t *testing.T) {
	t.Parallel()
	b := setupWorker(t)
	const n = 400
	b.app.RegisterTaskTypes("counted")
	ids := make([]uuid.UUID, 0, n)
	for range n {
		ids = append(ids, b.app.InsertTask(tasks.NewTask{TaskType: "counted"}).ID)
	}
	s := apptest.WorkerSettings()
	s.ClaimBatch = 7
	w1 := b.app.StartWorker(registry("counted", b.rec.handler(nil)), s)
	w2 := b.app.StartWorker(registry("counted", b.rec.handler(nil)), s)
	if w1.ID() == w2.ID() {
		t.Fatal("workers share an id")
	}
	if !apptest.Eventually(60*time.Second, func() bool {
		var left int
		_ = b.app.DB.QueryRow(context.Background(), `SELECT count(*) FROM tasks WHERE status <> 'completed'`).Scan(&left)
		return left == 0
	}) {
		t.Fatal("tasks left undone")
	}
	for _, id := range ids {
		if c := b.rec.count(id); c != 1 {
			t.Fatalf("task %s ran %d times", id, c)
		}
	}
	if got := b.rec.total.Load(); got != n {
		t.Fatalf("%d runs for %d tasks", got, n)
	}
}

func TestKilledWorkersTaskIsFinishedByAnotherAfterLeaseExpiry(t *testing.T) {
	t.Parallel()
	b := setupWorker(t)
	hung := make(chan struct{})
	var victimRuns atomic.Int64
	s := apptest.WorkerSettings()
	s.Lease = 300 * time.Millisecond // it only has to expire
	_, proxy := b.app.StartIsolatedWorker(registry("survivor", tasks.HandlerFunc(func(ctx context.Context, _ *tasks.Task) (any, error) {
		victimRuns.Add(1)
		close(hung)
		<-ctx.Done()
		return nil, ctx.Err()
	})), s)
	task := b.app.InsertTask(tasks.NewTask{TaskType: "survivor"})
	<-hung
	proxy.Cut() // the victim is gone: no heartbeat, no outcome, no release

	// The survivor's own lease is longer, yet short enough for its reaper
	// (every Lease/3) to look again soon after the victim's expires; its
	// handler returns at once, so only the victim's lease may expire.
	survivor := apptest.WorkerSettings()
	survivor.Lease = 2 * s.Lease
	b.app.StartWorker(registry("survivor", b.rec.handler(nil)), survivor)
	done := b.app.WaitStatus(task.ID, tasks.StatusCompleted)
	if done.CurrentAttempt != 2 || b.rec.count(task.ID) != 1 || victimRuns.Load() != 1 {
		t.Fatalf("task %+v; survivor ran it %d times, victim %d", done, b.rec.count(task.ID), victimRuns.Load())
	}
	if done.LastError == nil || !strings.Contains(*done.LastError, "lease expired") {
		t.Fatalf("last_error = %v, want the lease expiry", done.LastError)
	}
}

func TestExpiredLeaseOnLastAttemptGoesToDeadLetter(t *testing.T) {
	t.Parallel()
	b := setupWorker(t)
	b.app.RegisterTaskTypes("doomed")
	task := b.app.InsertTask(tasks.NewTask{TaskType: "doomed", MaxAttempts: 1})
	// What a claim by a worker that then died leaves behind.
	_, err := b.app.DB.Exec(context.Background(), `UPDATE tasks SET status = 'running', current_attempt = 1,
		started_at = now(), locked_by = 'dead-worker', lease_expires_at = now() - interval '1 second' WHERE id = $1`, task.ID)
	if err != nil {
		t.Fatal(err)
	}
	w := b.app.StartWorker(registry("doomed", b.rec.handler(nil)), apptest.WorkerSettings())
	done := b.app.WaitStatus(task.ID, tasks.StatusFailed)
	if done.CurrentAttempt != 1 || done.CompletedAt == nil || b.rec.count(task.ID) != 0 ||
		done.LastError == nil || !strings.Contains(*done.LastError, "dead-worker") {
		t.Fatalf("task %+v ran %d times", done, b.rec.count(task.ID))
	}
	// The reaper's failure is in the console's figures per minute, which
	// the worker writes at the latest as it stops.
	if err := w.Stop(); err != nil {
		t.Fatal(err)
	}
	if m := minuteTotals(t, b.app); m.Failed != 1 || m.Started != 0 || m.Completed != 0 {
		t.Fatalf("figures per minute %+v: want the one failure", m)
	}
}

// minuteTotals adds up the console's figures per minute of the last hour.
func minuteTotals(t *testing.T, app *apptest.TestApp) tasks.Minute {
	t.Helper()
	minutes, err := tasks.NewStore(app.DB).Minutes(context.Background(), time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var sum tasks.Minute
	for _, m := range minutes {
		sum.Started, sum.Completed, sum.Failed = sum.Started+m.Started, sum.Completed+m.Completed, sum.Failed+m.Failed
		sum.WaitMS, sum.WaitMaxMS = sum.WaitMS+m.WaitMS, max(sum.WaitMaxMS, m.WaitMaxMS)
	}
	return sum
}

func TestShutdownReleasesTasksStillRunningAfterGrace(t *testing.T) {
	t.Parallel()
	b := setupWorker(t)
	started := make(chan struct{})
	s := apptest.WorkerSettings()
	s.ShutdownGrace = 50 * time.Millisecond
	w := b.app.StartWorker(registry("endless", b.rec.handler(func(ctx context.Context, _ *tasks.Task) (any, error) {
		close(started)
		<-ctx.Done()
		return nil, ctx.Err()
	})), s)
	task := b.app.InsertTask(tasks.NewTask{TaskType: "endless"})
	<-started
	if err := w.Stop(); err != nil {
		t.Fatal(err)
	}
	cur := b.app.Task(task.ID)
	if cur.Status != tasks.StatusPending || cur.CurrentAttempt != 0 || cur.StartedAt != nil || cur.LastError != nil {
		t.Fatalf("released task: %+v", cur)
	}
}

func TestShutdownLetsRunningTasksFinishWithinGrace(t *testing.T) {
	t.Parallel()
	b := setupWorker(t)
	started, stopping := make(chan struct{}), make(chan struct{})
	s := apptest.WorkerSettings()
	s.ShutdownGrace = 20 * time.Second
	w := b.app.StartWorker(registry("finisher", b.rec.handler(func(ctx context.Context, _ *tasks.Task) (any, error) {
		close(started)
		// It finishes 50ms after the stop began: a worker that cancels
		// at once, ignoring the grace, has cancelled it by then.
		select {
		case <-stopping:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		select {
		case <-time.After(50 * time.Millisecond):
			return "finished", nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	})), s)
	task := b.app.InsertTask(tasks.NewTask{TaskType: "finisher"})
	<-started
	stopped := make(chan error, 1)
	go func() { stopped <- w.Stop() }()
	if !apptest.Eventually(30*time.Second, func() bool { _, err := w.Check(context.Background()); return err != nil }) {
		t.Fatal("the worker never began to stop")
	}
	close(stopping)
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	cur := b.app.Task(task.ID)
	if cur.Status != tasks.StatusCompleted || cur.CurrentAttempt != 1 {
		t.Fatalf("task after a graceful stop: %+v", cur)
	}
}

func TestShutdownStopsClaiming(t *testing.T) {
	t.Parallel()
	b := setupWorker(t)
	w := b.app.StartWorker(registry("never", b.rec.handler(nil)), apptest.WorkerSettings())
	if err := w.Stop(); err != nil {
		t.Fatal(err)
	}
	task := b.app.InsertTask(tasks.NewTask{TaskType: "never"})
	// A second worker proves the task was claimable all along.
	b.app.StartWorker(registry("never", b.rec.handler(nil)), apptest.WorkerSettings())
	b.app.WaitStatus(task.ID, tasks.StatusCompleted)
	if _, err := w.Check(context.Background()); err == nil {
		t.Fatal("a stopped worker reports healthy")
	}
}

func TestHandlerTimeoutFailsTheAttempt(t *testing.T) {
	t.Parallel()
	b := setupWorker(t)
	s := apptest.WorkerSettings()
	s.HandlerTimeout = 50 * time.Millisecond
	b.app.StartWorker(registry("slowpoke", b.rec.handler(func(ctx context.Context, _ *tasks.Task) (any, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})), s)
	task := b.app.InsertTask(tasks.NewTask{TaskType: "slowpoke", MaxAttempts: 2, RetryStrategy: fixedRetry(10)})
	done := b.app.WaitStatus(task.ID, tasks.StatusFailed)
	if done.CurrentAttempt != 2 || done.LastError == nil || !strings.Contains(*done.LastError, "timed out") {
		t.Fatalf("timed-out task: %+v", done)
	}
}

func TestHandlerPanicIsAFailedAttempt(t *testing.T) {
	t.Parallel()
	b := setupWorker(t)
	b.app.StartWorker(registry("panicky", b.rec.handler(func(context.Context, *tasks.Task) (any, error) {
		panic("kaboom")
	})), apptest.WorkerSettings())
	task := b.app.InsertTask(tasks.NewTask{TaskType: "panicky", MaxAttempts: 1})
	done := b.app.WaitStatus(task.ID, tasks.StatusFailed)
	if done.LastError == nil || !strings.Contains(*done.LastError, "kaboom") {
		t.Fatalf("panicked task: %+v", done)
	}
}

func TestNotificationStartsTaskWithoutWaitingForPoll(t *testing.T) {
	t.Parallel()
	// LISTEN needs PostgreSQL itself: behind a pooler, the direct URL.
	b := setupWorker(t, apptest.WithDirectURL())
	s := apptest.WorkerSettings()
	s.PollInterval = time.Hour // only LISTEN/NOTIFY can wake it
	w := b.app.StartWorker(registry("notified", b.rec.handler(nil)), s)
	if !apptest.Eventually(30*time.Second, func() bool {
		msg, err := w.Check(context.Background())
		return err == nil && strings.Contains(msg, "notifications")
	}) {
		t.Fatal("listener never connected")
	}
	task := b.app.InsertTask(tasks.NewTask{TaskType: "notified"})
	b.app.WaitStatus(task.ID, tasks.StatusCompleted)
}

func TestCancelledTaskNeverRuns(t *testing.T) {
	t.Parallel()
	b := setupWorker(t)
	b.app.RegisterTaskTypes("unwanted")
	task := b.app.InsertTask(tasks.NewTask{TaskType: "unwanted"})
	if _, err := tasks.NewStore(b.app.DB).Cancel(context.Background(), task.ID, nil); err != nil {
		t.Fatal(err)
	}
	marker := b.app.InsertTask(tasks.NewTask{TaskType: "unwanted"})
	b.app.StartWorker(registry("unwanted", b.rec.handler(nil)), apptest.WorkerSettings())
	b.app.WaitStatus(marker.ID, tasks.StatusCompleted)
	if cur := b.app.Task(task.ID); cur.Status != tasks.StatusCancelled || b.rec.count(task.ID) != 0 {
		t.Fatalf("cancelled task: %+v, ran %d times", cur, b.rec.count(task.ID))
	}
}

func TestWorkerRegistersItsTypesAtStartUp(t *testing.T) {
	t.Parallel()
	b := setupWorker(t)
	b.app.StartWorker(registry("fresh-type", b.rec.handler(nil)), apptest.WorkerSettings())
	var active bool
	err := b.app.DB.QueryRow(context.Background(), `SELECT is_active FROM task_types WHERE task_type = 'fresh-type'`).Scan(&active)
	if err != nil || !active {
		t.Fatalf("fresh-type registered: %v, active %v", err, active)
	}
}

func TestWorkerLeavesTypesItDoesNotHandle(t *testing.T) {
	t.Parallel()
	b := setupWorker(t)
	b.app.RegisterTaskTypes("someone-else")
	foreign := b.app.InsertTask(tasks.NewTask{TaskType: "someone-else"})
	b.app.StartWorker(registry("mine", b.rec.handler(nil)), apptest.WorkerSettings())
	mine := b.app.InsertTask(tasks.NewTask{TaskType: "mine"})
	b.app.WaitStatus(mine.ID, tasks.StatusCompleted)
	if cur := b.app.Task(foreign.ID); cur.Status != tasks.StatusPending || cur.CurrentAttempt != 0 {
		t.Fatalf("foreign task touched: %+v", cur)
	}
}
