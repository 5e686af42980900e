package tests

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"example.com/demo/internal/apptest"
	"example.com/demo/internal/platform/breaker"
	"example.com/demo/internal/platform/fakeclock"
	"example.com/demo/internal/tasks"
)

// Leases, releases, deferrals and stale completions: the behaviours that
// lose work or run it twice when they break.

func terminal(t *tasks.Task) bool { return t.Status.Terminal() }

func TestHeartbeatsKeepALongTaskLeased(t *testing.T) {
	t.Parallel()
	b := setupWorker(t)
	s := apptest.WorkerSettings()
	s.Lease = 600 * time.Millisecond
	b.app.StartWorker(registry("marathon", b.rec.handler(func(ctx context.Context, _ *tasks.Task) (any, error) {
		select {
		// One and a half leases: the task outlives the lease of its claim
		// and that of the first heartbeat (every Lease/3), while the
		// reaper looks for expired leases every Lease/3.
		case <-time.After(s.Lease + s.Lease/2):
			return "finished", nil
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
	})), s)
	task := b.app.InsertTask(tasks.NewTask{TaskType: "marathon", RetryStrategy: fixedRetry(10)})
	done := b.app.WaitTask(task.ID, "finished", terminal)
	if done.Status != tasks.StatusCompleted || done.CurrentAttempt != 1 || done.LastError != nil || b.rec.count(task.ID) != 1 {
		t.Fatalf("task %+v ran %d times; want completed once, on attempt 1", done, b.rec.count(task.ID))
	}
}

func TestShutdownReleasesATaskWhoseHandlerIgnoresCancellation(t *testing.T) {
	t.Parallel()
	b := setupWorker(t)
	started, unblock := make(chan struct{}), make(chan struct{})
	s := apptest.WorkerSettings()
	s.ShutdownGrace = 10 * time.Millisecond
	s.CancelWait = 10 * time.Millisecond // the handler never returns: no need to wait the default second
	w := b.app.StartWorker(registry("stubborn", b.rec.handler(func(context.Context, *tasks.Task) (any, error) {
		close(started)
		<-unblock // deaf to its context
		return "too late", nil
	})), s)
	defer close(unblock)
	task := b.app.InsertTask(tasks.NewTask{TaskType: "stubborn"})
	<-started
	if err := w.Stop(); err != nil {
		t.Fatal(err)
	}
	cur := b.app.Task(task.ID)
	if cur.Status != tasks.StatusPending || cur.CurrentAttempt != 0 || cur.StartedAt != nil || cur.LastError != nil {
		t.Fatalf("task after the stop: %+v; want pending, attempt 0, never started", cur)
	}
	var lockedBy *string
	if err := b.app.DB.QueryRow(context.Background(), `SELECT locked_by FROM tasks WHERE id = $1`, task.ID).Scan(&lockedBy); err != nil || lockedBy != nil {
		t.Fatalf("released task still locked by %v (%v)", lockedBy, err)
	}
}

func TestHalfOpenBreakerDefersExtraTasksByAtLeastDeferMin(t *testing.T) {
	t.Parallel()
	b := setupWorker(t)
	clock := fakeclock.New(time.Now())
	trialStarted, endTrial := make(chan struct{}), make(chan struct{})
	s := apptest.WorkerSettings()
	s.DeferMin = time.Hour // far above anything else that moves scheduled_at
	s.Breaker = breaker.Settings{FailureThreshold: 1, SuccessThreshold: 1, Timeout: time.Minute, Clock: clock.Now}
	w := b.app.StartWorker(registry("shaky", b.rec.handler(func(_ context.Context, task *tasks.Task) (any, error) {
		switch mode(task) {
		case "fail":
			return nil, errors.New("dependency down")
		case "trial":
			close(trialStarted)
			<-endTrial
		}
		return "ok", nil
	})), s)
	b.app.InsertTask(tasks.NewTask{TaskType: "shaky", MaxAttempts: 1, Payload: json.RawMessage(`{"mode":"fail"}`)})
	if !apptest.Eventually(30*time.Second, func() bool { return w.Breaker("shaky").State() == breaker.Open }) {
		t.Fatalf("breaker %s, want open", w.Breaker("shaky").State())
	}
	// Half-open: one trial may run. The cool-down is the database's
	// (task_breakers, shared by every worker): it ends there.
	endSharedCoolDown(t, b.app, w.Breaker("shaky"))
	trial := b.app.InsertTask(tasks.NewTask{TaskType: "shaky", Payload: json.RawMessage(`{"mode":"trial"}`)})
	select {
	case <-trialStarted:
	case <-time.After(30 * time.Second):
		t.Fatal("no trial after the cool-down")
	}

	extra := b.app.InsertTask(tasks.NewTask{TaskType: "shaky"})
	cur := b.app.WaitTask(extra.ID, "deferred", func(cur *tasks.Task) bool {
		return cur.Status == tasks.StatusPending && cur.UpdatedAt.After(extra.UpdatedAt)
	})
	if delay := cur.ScheduledAt.Sub(cur.UpdatedAt); delay < s.DeferMin {
		t.Fatalf("extra task deferred by %s, want at least DeferMin (%s)", delay, s.DeferMin)
	}
	if cur.CurrentAttempt != 0 || cur.StartedAt != nil || b.rec.count(extra.ID) != 0 {
		t.Fatalf("deferred task: %+v, ran %d times", cur, b.rec.count(extra.ID))
	}
	close(endTrial)
	b.app.WaitStatus(trial.ID, tasks.StatusCompleted)
	if st := w.Breaker("shaky").State(); st != breaker.Closed {
		t.Fatalf("breaker %s after a successful trial", st)
	}
}

// mode reads the "mode" of a test task's payload.
func mode(task *tasks.Task) string {
	var p struct{ Mode string }
	_ = json.Unmarshal(task.Payload, &p)
	return p.Mode
}

// A worker cut off from the database finishes an attempt that was taken back
// and given again, to a worker of the same name: its completion must change
// nothing, the figures per minute included (one completion, the second
// worker's).
func TestCompletionOfAnAttemptNoLongerCurrentChangesNothing(t *testing.T) {
	t.Parallel()
	b := setupWorker(t)
	firstStarted, endFirst := make(chan struct{}), make(chan struct{})
	secondStarted, endSecond := make(chan struct{}), make(chan struct{})
	handler := b.rec.handler(func(_ context.Context, task *tasks.Task) (any, error) {
		if task.CurrentAttempt == 1 {
			close(firstStarted)
			<-endFirst // deaf to its context: it finishes whatever happens
		} else {
			close(secondStarted)
			<-endSecond
		}
		return map[string]int{"attempt": task.CurrentAttempt}, nil
	})
	s := apptest.WorkerSettings()
	s.ID = "same-name"
	s.Lease = time.Second
	// The first worker's lease is the one that must expire: a short one
	// lets the second take the task back sooner; the second keeps a lease
	// its heartbeats renew with room to spare.
	short := s
	short.Lease = 300 * time.Millisecond
	first, proxy := b.app.StartIsolatedWorker(registry("twice", handler), short)
	task := b.app.InsertTask(tasks.NewTask{TaskType: "twice", RetryStrategy: fixedRetry(10)})
	<-firstStarted
	proxy.Cut() // its lease expires

	second := b.app.StartWorker(registry("twice", handler), s) // reaps it and claims attempt 2
	<-secondStarted
	proxy.Restore()
	close(endFirst)
	if err := first.Stop(); err != nil { // writes the first attempt's outcome
		t.Fatal(err)
	}
	cur := b.app.Task(task.ID)
	var lockedBy *string
	if err := b.app.DB.QueryRow(context.Background(), `SELECT locked_by FROM tasks WHERE id = $1`, task.ID).Scan(&lockedBy); err != nil {
		t.Fatal(err)
	}
	if cur.Status != tasks.StatusRunning || cur.CurrentAttempt != 2 || cur.Result != nil || cur.CompletedAt != nil ||
		lockedBy == nil || *lockedBy != s.ID {
		t.Fatalf("the stale completion changed the task: %+v, locked by %v", cur, lockedBy)
	}
	close(endSecond)
	done := b.app.WaitStatus(task.ID, tasks.StatusCompleted)
	assertJSONEqual(t, done.Result, json.RawMessage(`{"attempt":2}`))
	if err := second.Stop(); err != nil { // writes its last figures
		t.Fatal(err)
	}
	var started, completed int64
	if err := b.app.DB.QueryRow(context.Background(), `SELECT coalesce(sum(started), 0), coalesce(sum(completed), 0)
		FROM task_minutes WHERE task_type = 'twice'`).Scan(&started, &completed); err != nil {
		t.Fatal(err)
	}
	if started != 2 || completed != 1 {
		t.Fatalf("task_minutes counts %d starts and %d completions, want 2 and 1", started, completed)
	}
}
