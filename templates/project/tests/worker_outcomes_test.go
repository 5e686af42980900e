package tests

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/starter-go/starter/templates/project/internal/apptest"
	"github.com/starter-go/starter/templates/project/internal/tasks"
)

// Outcomes are the work done: none may be lost to a bad reply or to the
// database going away, and none may leave its task running for ever.

// gate holds handlers until n of them have started, so that their outcomes
// are written together.
type gate struct {
	n       int
	started atomic.Int64
	open    chan struct{}
	once    sync.Once
}

func newGate(n int) *gate { return &gate{n: n, open: make(chan struct{})} }

func (g *gate) wait() {
	if int(g.started.Add(1)) == g.n {
		g.once.Do(func() { close(g.open) })
	}
	<-g.open
}

func TestUnstorableOutcomeDoesNotTakeItsBatchDown(t *testing.T) {
	t.Parallel()
	b := setupWorker(t)
	g := newGate(4)
	s := apptest.WorkerSettings()
	s.CompleteWait = 200 * time.Millisecond // the four outcomes go in one batch
	b.app.StartWorker(registry("replies", b.rec.handler(func(_ context.Context, task *tasks.Task) (any, error) {
		g.wait()
		switch mode(task) {
		case "nul":
			// What a webhook's reply can hold: NUL and bytes that are not UTF-8.
			return map[string]string{"reply": "ok\x00\xffdone"}, nil
		case "nul-error":
			return nil, errors.New("upstream said \x00\xff")
		case "too-big":
			// Valid JSON, but no PostgreSQL number holds it.
			return json.RawMessage(`{"n":1e1000000}`), nil
		}
		return map[string]bool{"ok": true}, nil
	})), s)
	ids := map[string]uuid.UUID{}
	for _, m := range []string{"nul", "nul-error", "too-big", "plain"} {
		ids[m] = b.app.InsertTask(tasks.NewTask{TaskType: "replies", MaxAttempts: 1,
			Payload: json.RawMessage(`{"mode":"` + m + `"}`)}).ID
	}
	final := map[string]*tasks.Task{}
	for m, id := range ids {
		final[m] = b.app.WaitTask(id, "final", terminal)
	}
	if got := final["nul"]; got.Status != tasks.StatusCompleted {
		t.Errorf("reply with NUL: %+v, want completed", got)
	} else {
		assertJSONEqual(t, got.Result, json.RawMessage(`{"reply":"ok\ufffd\ufffddone"}`))
	}
	if got := final["nul-error"]; got.Status != tasks.StatusFailed || got.LastError == nil || *got.LastError != "upstream said \ufffd\ufffd" {
		t.Errorf("error with NUL: %+v, want failed with the error made readable", got)
	}
	if got := final["too-big"]; got.Status != tasks.StatusFailed || got.LastError == nil ||
		!strings.Contains(*got.LastError, "could not be stored") || got.Result != nil {
		t.Errorf("unstorable result: %+v (last_error %v), want failed saying why", got, deref(got.LastError))
	}
	if got := final["plain"]; got.Status != tasks.StatusCompleted {
		t.Errorf("plain task beside them: %+v, want completed", got)
	}
	for m, id := range ids {
		if n := b.rec.count(id); n != 1 {
			t.Errorf("%s ran %d times", m, n)
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// The database is away for many of the outcome writer's tries, past the
// point where its pause between them stops growing: seconds with the
// production cap (1s), a fraction of one with the test's.
func TestOutcomesSurviveTheDatabaseGoingAwayPastTheRetryCap(t *testing.T) {
	t.Parallel()
	b := setupWorker(t)
	const n = 12
	g := newGate(n)
	finish := make(chan struct{})
	s := apptest.WorkerSettings()
	s.Concurrency = 16
	s.CompleteRetryMax = 50 * time.Millisecond
	_, proxy := b.app.StartIsolatedWorker(registry("patient", b.rec.handler(func(_ context.Context, task *tasks.Task) (any, error) {
		g.wait()
		<-finish
		return map[string]string{"id": task.ID.String()}, nil
	})), s)
	var ids []uuid.UUID
	for range n {
		ids = append(ids, b.app.InsertTask(tasks.NewTask{TaskType: "patient"}).ID)
	}
	<-g.open // all n running
	proxy.Cut()
	close(finish) // they complete while the database is away
	// Away for five times as long as the outcome writer takes to grow its
	// pause between tries to the cap (10 ms doubling to 50 ms: 70 ms): nine
	// tries or so, five of them at the cap.
	time.Sleep(350 * time.Millisecond)
	for _, id := range ids {
		if cur := b.app.Task(id); cur.Status != tasks.StatusRunning {
			t.Fatalf("task %s is %s while its worker cannot reach the database", id, cur.Status)
		}
	}
	proxy.Restore()
	for _, id := range ids {
		done := b.app.WaitTask(id, "final", terminal)
		if done.Status != tasks.StatusCompleted || done.CurrentAttempt != 1 || b.rec.count(id) != 1 {
			t.Fatalf("task %+v ran %d times; want completed once, on attempt 1", done, b.rec.count(id))
		}
		assertJSONEqual(t, done.Result, json.RawMessage(`{"id":"`+id.String()+`"}`))
	}
}

// A worker cut off from the database cannot renew its leases: its handlers
// are cancelled before the leases end, so the worker that takes the tasks
// back never runs one while the first still does.
func TestHandlerIsCancelledBeforeItsUnrenewedLeaseEnds(t *testing.T) {
	t.Parallel()
	b := setupWorker(t)
	s := apptest.WorkerSettings()
	// One second: the handler is cancelled after 5/6 of it, the task taken
	// back after all of it, and the cut worker's stop retries its outcome
	// for one more (a killed worker releases nothing).
	s.Lease = time.Second
	s.HandlerTimeout = time.Minute
	started := make(chan struct{})
	var cause error
	var returned, restarted atomic.Int64 // unix nanoseconds
	_, proxy := b.app.StartIsolatedWorker(registry("exclusive", tasks.HandlerFunc(func(ctx context.Context, _ *tasks.Task) (any, error) {
		close(started)
		<-ctx.Done()
		cause = context.Cause(ctx)
		returned.Store(time.Now().UnixNano())
		return nil, ctx.Err()
	})), s)
	task := b.app.InsertTask(tasks.NewTask{TaskType: "exclusive", RetryStrategy: fixedRetry(10)})
	<-started
	proxy.Cut()

	b.app.StartWorker(registry("exclusive", b.rec.handler(func(context.Context, *tasks.Task) (any, error) {
		restarted.Store(time.Now().UnixNano())
		return "mine now", nil
	})), s)
	done := b.app.WaitStatus(task.ID, tasks.StatusCompleted)
	if returned.Load() == 0 || cause == nil || !strings.Contains(cause.Error(), "lease") {
		t.Fatalf("first handler: returned %v, cause %v; want it cancelled for its lease", returned.Load() != 0, cause)
	}
	if returned.Load() >= restarted.Load() {
		t.Fatalf("the task ran again %s before the first handler returned",
			time.Duration(returned.Load()-restarted.Load()))
	}
	if done.CurrentAttempt != 2 || b.rec.count(task.ID) != 1 {
		t.Fatalf("task %+v; second worker ran it %d times", done, b.rec.count(task.ID))
	}
}
