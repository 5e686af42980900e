package tests

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"example.com/demo/internal/apptest"
	"example.com/demo/internal/platform/breaker"
	"example.com/demo/internal/platform/fakeclock"
	"example.com/demo/internal/platform/retry"
	"example.com/demo/internal/tasks"
)

// builtinWorker runs the built-in handlers in a worker whose breakers open
// after two failures and stay open for an hour of a clock the test holds,
// so that a deferral shows as a task pushed an hour ahead.
func builtinWorker(t *testing.T, b workerBundle) *apptest.RunningWorker {
	t.Helper()
	reg := tasks.NewRegistry()
	tasks.RegisterBuiltins(reg, tasks.Builtins{
		Store:               tasks.NewStore(b.app.DB),
		WebhookAllowPrivate: true,
		WebhookTimeout:      5 * time.Second,
		WebhookRetry:        retry.Policy{MaxAttempts: 1},
		Logger:              slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	s := apptest.WorkerSettings()
	s.Breaker = breaker.Settings{FailureThreshold: 2, Timeout: time.Hour, Clock: fakeclock.New(time.Now()).Now}
	return b.app.StartWorker(reg, s)
}

func payload(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Bad payloads fail at once and leave the breaker alone: two empty email
// tasks (the type's failure threshold) must not defer anyone's valid email.
func TestBadPayloadsFailAtOnceWithoutOpeningTheBreaker(t *testing.T) {
	t.Parallel()
	b := setupWorker(t)
	w := builtinWorker(t, b)
	for range 3 {
		bad := b.app.InsertTask(tasks.NewTask{TaskType: tasks.TypeEmail, Payload: json.RawMessage(`{}`)})
		done := b.app.WaitStatus(bad.ID, tasks.StatusFailed)
		if done.CurrentAttempt != 1 || done.LastError == nil || !strings.Contains(*done.LastError, "to") {
			t.Fatalf("bad email: %+v", done)
		}
	}
	if st := w.Breaker(tasks.TypeEmail).State(); st != breaker.Closed {
		t.Fatalf("email breaker %s after bad payloads", st)
	}
	good := b.app.InsertTask(tasks.NewTask{TaskType: tasks.TypeEmail,
		Payload: json.RawMessage(`{"to":"a@example.com","subject":"Hi","body":"there"}`)})
	done := b.app.WaitStatus(good.ID, tasks.StatusCompleted)
	if done.CurrentAttempt != 1 || done.ScheduledAt.After(good.ScheduledAt.Add(time.Minute)) {
		t.Fatalf("valid email deferred: %+v", done)
	}
}

// A failing webhook destination opens a breaker of its own: webhooks to
// that host are deferred, webhooks to another host go on at once.
func TestWebhookBreakerIsPerDestinationHost(t *testing.T) {
	t.Parallel()
	b := setupWorker(t)
	w := builtinWorker(t, b)
	var downCalls atomic.Int64
	down := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) {
		downCalls.Add(1)
		rw.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(down.Close)
	up := newHook(t)

	for range 2 {
		failing := b.app.InsertTask(tasks.NewTask{TaskType: tasks.TypeWebhook, RetryStrategy: json.RawMessage(`{"type":"none"}`),
			MaxAttempts: 1, Payload: payload(t, map[string]any{"url": down.URL})})
		b.app.WaitStatus(failing.ID, tasks.StatusFailed)
	}
	deferred := b.app.InsertTask(tasks.NewTask{TaskType: tasks.TypeWebhook, Payload: payload(t, map[string]any{"url": down.URL + "/again"})})
	cur := b.app.WaitTask(deferred.ID, "deferred", func(t *tasks.Task) bool {
		return t.ScheduledAt.After(deferred.ScheduledAt.Add(30 * time.Minute))
	})
	if cur.Status != tasks.StatusPending || cur.CurrentAttempt != 0 || downCalls.Load() != 2 {
		t.Fatalf("webhook to the failing host: %+v after %d calls", cur, downCalls.Load())
	}
	other := b.app.InsertTask(tasks.NewTask{TaskType: tasks.TypeWebhook, Payload: payload(t, map[string]any{"url": up.srv.URL})})
	done := b.app.WaitStatus(other.ID, tasks.StatusCompleted)
	if done.CurrentAttempt != 1 || up.calls() != 1 || done.ScheduledAt.After(other.ScheduledAt.Add(time.Minute)) {
		t.Fatalf("webhook to a healthy host: %+v after %d calls", done, up.calls())
	}
	if st := w.Breaker(tasks.TypeWebhook).State(); st != breaker.Closed {
		t.Fatalf("the type's webhook breaker is %s", st)
	}
}
