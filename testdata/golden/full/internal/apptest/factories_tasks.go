package apptest

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"example.com/demo/internal/database"
	"example.com/demo/internal/tasks"
)

// TaskBody is the body of POST /tasks with the defaults a test usually wants:
// an email task with a valid payload.
func TaskBody(overrides map[string]any) map[string]any {
	body := map[string]any{
		"task_type": tasks.TypeEmail,
		"payload":   map[string]any{"to": "someone@example.com", "subject": "Hello", "body": "Hi there"},
	}
	for k, v := range overrides {
		if v == nil {
			delete(body, k)
			continue
		}
		body[k] = v
	}
	return body
}

// CreateTask creates a task through the API as the owner of token and fails
// the test unless the answer is 201.
func (ta *TestApp) CreateTask(token string, overrides map[string]any) tasks.Task {
	ta.t.Helper()
	r := ta.PostJSONAuth("/api/v1/tasks", token, TaskBody(overrides))
	if r.Status != http.StatusCreated {
		ta.t.Fatalf("create task: want 201, got %d: %s", r.Status, r.Body)
	}
	var task tasks.Task
	r.Data(ta.t, &task)
	return task
}

// RegisterTaskTypes registers types straight in the database, as a worker
// handling them would at start-up.
func (ta *TestApp) RegisterTaskTypes(names ...string) {
	ta.t.Helper()
	specs := make([]tasks.TypeSpec, len(names))
	for i, n := range names {
		specs[i] = tasks.TypeSpec{Name: n}
	}
	if err := tasks.NewStore(ta.DB).RegisterTypes(context.Background(), specs); err != nil {
		ta.t.Fatalf("register task types: %v", err)
	}
}

// WaitTaskTypes waits until GET /api/v1/tasks/types lists every one of
// names, as the service's worker registers its types when it starts, and
// fails the test after a generous deadline (30s).
func (ta *TestApp) WaitTaskTypes(names ...string) {
	ta.t.Helper()
	var listed []string
	ok := Eventually(30*time.Second, func() bool {
		var types []tasks.TaskType
		ta.Get("/api/v1/tasks/types").Data(ta.t, &types)
		listed = listed[:0]
		for _, tt := range types {
			listed = append(listed, tt.TaskType)
		}
		return !slices.ContainsFunc(names, func(n string) bool { return !slices.Contains(listed, n) })
	})
	if !ok {
		ta.t.Fatalf("task types %v never all listed; last seen: %v", names, listed)
	}
}

// InsertTask inserts a task straight in the database, bypassing the API's
// rules (no owner unless n.CreatedBy is set). Its type must be registered.
func (ta *TestApp) InsertTask(n tasks.NewTask) *tasks.Task {
	ta.t.Helper()
	if n.Payload == nil {
		n.Payload = json.RawMessage(`{}`)
	}
	if n.Metadata == nil {
		n.Metadata = json.RawMessage(`{}`)
	}
	if n.MaxAttempts == 0 {
		n.MaxAttempts = tasks.DefaultMaxAttempts
	}
	task, err := tasks.NewStore(ta.DB).Create(context.Background(), n)
	if err != nil {
		ta.t.Fatalf("insert task: %v", err)
	}
	return task
}

// Task reads a task straight from the database.
func (ta *TestApp) Task(id uuid.UUID) *tasks.Task {
	ta.t.Helper()
	task, err := tasks.NewStore(ta.DB).Get(context.Background(), id, nil)
	if err != nil {
		ta.t.Fatalf("get task %s: %v", id, err)
	}
	return task
}

// WaitTask polls a task until cond holds, failing the test after a generous
// deadline (30s): for "eventually" conditions, never for timing.
func (ta *TestApp) WaitTask(id uuid.UUID, what string, cond func(*tasks.Task) bool) *tasks.Task {
	ta.t.Helper()
	var last *tasks.Task
	ok := Eventually(30*time.Second, func() bool {
		last = ta.Task(id)
		return cond(last)
	})
	if !ok {
		ta.t.Fatalf("task %s never became %s; last seen: %+v", id, what, last)
	}
	return last
}

// WaitStatus waits for a task to reach status.
func (ta *TestApp) WaitStatus(id uuid.UUID, status tasks.Status) *tasks.Task {
	ta.t.Helper()
	return ta.WaitTask(id, string(status), func(t *tasks.Task) bool { return t.Status == status })
}

// Eventually polls cond until it holds or d has passed: at once, then after
// 1ms, the pause doubling up to 10ms. What a test waits for (a task the
// worker runs, a worker starting) mostly takes a few milliseconds: a first
// pause of a whole 10ms would be most of the test's wait.
func Eventually(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for pause := time.Millisecond; ; pause = min(2*pause, 10*time.Millisecond) {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(pause)
	}
}

// RunningWorker is a worker started by StartWorker.
type RunningWorker struct {
	*tasks.Worker
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	err    error
}

// Stop ends the worker gracefully (as SIGTERM would) and waits for Run to return.
func (w *RunningWorker) Stop() error {
	w.once.Do(func() {
		w.cancel()
		w.err = <-w.done
	})
	return w.err
}

// WorkerSettings are fast defaults for tests: short polls; leases long
// enough that a loaded machine never lets a live worker's lease expire; a
// short wait for handlers cancelled at shutdown, and outcomes written soon
// after a database outage ends.
func WorkerSettings() tasks.Settings {
	return tasks.Settings{
		Concurrency:      8,
		PollInterval:     20 * time.Millisecond,
		Lease:            10 * time.Second,
		HandlerTimeout:   10 * time.Second,
		DeferMin:         20 * time.Millisecond,
		CancelWait:       50 * time.Millisecond,
		CompleteRetryMax: 50 * time.Millisecond,
	}
}

// StartWorker runs a worker with its own registry on the test's database
// until Stop or the end of the test. Its types are registered by Run.
func (ta *TestApp) StartWorker(reg *tasks.Registry, s tasks.Settings) *RunningWorker {
	ta.t.Helper()
	return ta.runWorker(ta.DB, reg, s, nil)
}

// StartIsolatedWorker runs a worker like StartWorker, on a pool of its own
// that reaches the database through a DBProxy. Cutting the proxy kills the
// worker as far as the database can tell (no heartbeat, no outcome, no
// release), like a SIGKILL or a lost network. When the test ends the proxy
// is restored before the worker stops: cut off, the stop would retry the
// outcomes it holds for a whole Lease, and nothing is checked by then.
func (ta *TestApp) StartIsolatedWorker(reg *tasks.Registry, s tasks.Settings) (*RunningWorker, *DBProxy) {
	ta.t.Helper()
	proxy := newDBProxy(ta.t, ta.DSN)
	pool, err := database.NewPool(context.Background(), proxy.DSN(), database.EndpointsOf(ta.Config).PoolOptions()...)
	if err != nil {
		ta.t.Fatalf("isolated worker pool: %v", err)
	}
	ta.t.Cleanup(pool.Close)
	return ta.runWorker(pool, reg, s, proxy.Restore), proxy
}

func (ta *TestApp) runWorker(pool *pgxpool.Pool, reg *tasks.Registry, s tasks.Settings, beforeStop func()) *RunningWorker {
	ta.t.Helper()
	logs := &syncBuffer{}
	if ta.Config.Database.TransactionPooler() && s.Listen == nil {
		// As the service's own worker would: LISTEN on the direct URL, or poll.
		connect, listening := database.EndpointsOf(ta.Config).SessionConnector("apptest-worker", "")
		s.Listen, s.PollOnly = connect, !listening
	}
	w := tasks.NewWorker(pool, reg, s, slog.New(slog.NewTextHandler(logs, nil)), nil)
	ctx, cancel := context.WithCancel(context.Background())
	rw := &RunningWorker{Worker: w, cancel: cancel, done: make(chan error, 1)}
	go func() { rw.done <- w.Run(ctx) }()
	ta.t.Cleanup(func() {
		if beforeStop != nil {
			beforeStop()
		}
		if err := rw.Stop(); err != nil {
			ta.t.Errorf("worker %s: %v", w.ID(), err)
		}
		if ta.t.Failed() {
			ta.t.Logf("worker %s log:\n%s", w.ID(), logs.String())
		}
	})
	if !Eventually(30*time.Second, func() bool { msg, err := w.Check(ctx); return err == nil && strings.HasPrefix(msg, "running") }) {
		ta.t.Fatalf("worker %s did not start", w.ID())
	}
	return rw
}
