package tests

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"example.com/demo/internal/apptest"
	"example.com/demo/internal/config"
	"example.com/demo/internal/tasks"
	"example.com/demo/internal/telemetry"
)

// traceHook is a webhook receiver that keeps the traceparent of each call.
type traceHook struct {
	*httptest.Server
	mu      sync.Mutex
	parents []string
}

func newTraceHook(t *testing.T) *traceHook {
	h := &traceHook{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.parents = append(h.parents, r.Header.Get("traceparent"))
		h.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *traceHook) received() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.parents...)
}

// tracedTasks is an API without a worker and a worker apart, each with a
// tracer provider of its own (or none), as in two processes: the task's
// row is all they share.
type tracedTasks struct {
	api         *taskAPI
	apiSpans    *tracetest.InMemoryExporter
	workerSpans *tracetest.InMemoryExporter
	hook        *traceHook
	user        taskCaller
}

func setupTracedTasks(t *testing.T, traced bool) *tracedTasks {
	t.Helper()
	tt := &tracedTasks{hook: newTraceHook(t)}
	opts := []apptest.Option{apptest.WithConfig(func(c *config.Config) { c.Tasks.Worker = false })}
	s := apptest.WorkerSettings()
	if traced {
		tt.apiSpans, tt.workerSpans = tracetest.NewInMemoryExporter(), tracetest.NewInMemoryExporter()
		opts = append(opts, apptest.WithSpanExporter(tt.apiSpans))
		worker, err := telemetry.New(context.Background(), telemetry.Settings{Exporter: tt.workerSpans})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = worker.Shutdown(context.Background()) })
		s.Tracer = worker.Tracer()
	}
	tt.api = &taskAPI{app: newApp(t, opts...)}
	tt.user = tt.api.user(t, "user")
	reg := tasks.NewRegistry()
	tasks.RegisterBuiltins(reg, tasks.Builtins{WebhookAllowPrivate: true, Store: tasks.NewStore(tt.api.app.DB)})
	tt.api.app.StartWorker(reg, s)
	return tt
}

// runWebhook creates a webhook task through the API (with the caller's
// traceparent, if any), waits for it to complete and returns it with the
// trace context stored with it.
func (tt *tracedTasks) runWebhook(t *testing.T, traceparent string) (tasks.Task, map[string]string) {
	t.Helper()
	ta := tt.api.app
	req := ta.NewRequest("POST", "/api/v1/tasks", strings.NewReader(`{"task_type": "webhook", "payload": {"url": "`+tt.hook.URL+`"}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tt.user.token)
	if traceparent != "" {
		req.Header.Set("traceparent", traceparent)
	}
	r := ta.Do(req)
	wantStatus(t, r, http.StatusCreated)
	var task tasks.Task
	r.Data(t, &task)
	ta.WaitStatus(task.ID, tasks.StatusCompleted)
	var stored map[string]string
	if err := ta.DB.QueryRow(context.Background(), `SELECT trace_context FROM tasks WHERE id = $1`, task.ID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	return task, stored
}

// One trace runs from POST /tasks to the webhook the task posts: the
// request's trace context is stored with the task, the worker's attempt is
// a child of the request's span, and the webhook's request carries the
// trace on. The INSERT is a span of the request's trace.
func TestTracingTaskContinuesTheRequestTrace(t *testing.T) {
	t.Parallel()
	tt := setupTracedTasks(t, true)
	task, stored := tt.runWebhook(t, "")

	post := waitSpan(t, tt.apiSpans, func(s tracetest.SpanStub) bool { return s.Name == "POST /api/v1/tasks" })
	traceID, postID := post.SpanContext.TraceID().String(), post.SpanContext.SpanID().String()
	if want := "00-" + traceID + "-" + postID + "-01"; stored["traceparent"] != want {
		t.Fatalf("stored trace context %v, want traceparent %s", stored, want)
	}
	attempt := waitSpan(t, tt.workerSpans, func(s tracetest.SpanStub) bool { return s.Name == "task webhook" })
	if attempt.SpanContext.TraceID().String() != traceID || attempt.Parent.SpanID().String() != postID || !attempt.Parent.IsRemote() {
		t.Errorf("attempt in trace %s under %s (remote %v); want %s under the request's span %s",
			attempt.SpanContext.TraceID(), attempt.Parent.SpanID(), attempt.Parent.IsRemote(), traceID, postID)
	}
	if attr(attempt, "task.id") != task.ID.String() || attr(attempt, "task.outcome") != "completed" ||
		attempt.SpanKind != trace.SpanKindConsumer {
		t.Errorf("attempt span %v %v", attempt.SpanKind, attempt.Attributes)
	}
	call := waitSpan(t, tt.workerSpans, func(s tracetest.SpanStub) bool { return s.SpanKind == trace.SpanKindClient })
	if call.Parent.SpanID() != attempt.SpanContext.SpanID() || attr(call, "http.response.status_code") != "200" {
		t.Errorf("webhook span under %s with %v; want under the attempt %s", call.Parent.SpanID(), call.Attributes, attempt.SpanContext.SpanID())
	}
	want := "00-" + traceID + "-" + call.SpanContext.SpanID().String() + "-01"
	if got := tt.hook.received(); len(got) != 1 || got[0] != want {
		t.Errorf("webhook traceparent %q, want %q", got, want)
	}
	insert := waitSpan(t, tt.apiSpans, func(s tracetest.SpanStub) bool {
		return strings.HasPrefix(attr(s, "db.query.text"), "INSERT INTO tasks")
	})
	if !descends(tt.apiSpans.GetSpans(), insert, post) {
		t.Errorf("the INSERT (trace %s, parent %s) is not below the request's span", insert.SpanContext.TraceID(), insert.Parent.SpanID())
	}
}

// Off, a task keeps no trace context, even from a traced caller, and its
// webhook sends none.
func TestTracingOffTaskCarriesNoTrace(t *testing.T) {
	t.Parallel()
	tt := setupTracedTasks(t, false)
	_, stored := tt.runWebhook(t, callerTraceparent)
	if stored != nil {
		t.Errorf("trace context %v stored with tracing off", stored)
	}
	if got := tt.hook.received(); len(got) != 1 || got[0] != "" {
		t.Errorf("webhook traceparent %q with tracing off", got)
	}
}

// descends reports whether s is below ancestor in spans.
func descends(spans tracetest.SpanStubs, s, ancestor tracetest.SpanStub) bool {
	byID := map[trace.SpanID]tracetest.SpanStub{}
	for _, x := range spans {
		byID[x.SpanContext.SpanID()] = x
	}
	for range len(spans) {
		if s.SpanContext.TraceID() != ancestor.SpanContext.TraceID() {
			return false
		}
		if s.Parent.SpanID() == ancestor.SpanContext.SpanID() {
			return true
		}
		parent, ok := byID[s.Parent.SpanID()]
		if !ok {
			return false
		}
		s = parent
	}
	return false
}
