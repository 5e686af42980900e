package tests

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"example.com/demo/internal/apptest"
	"example.com/demo/internal/config"
	"example.com/demo/internal/tasks"
)

// setupBuiltins runs the service with its own worker (the built-in handlers
// and the service's own) and waits until the worker has registered its types.
func setupBuiltins(t *testing.T, configure func(*config.Config)) (*taskAPI, taskCaller) {
	t.Helper()
	root := t.TempDir()
	a := &taskAPI{app: newApp(t, apptest.WithConfig(func(c *config.Config) {
		c.Tasks.FileCleanupRoot = root
		if configure != nil {
			configure(c)
		}
	}))}
	a.app.WaitTaskTypes(tasks.ServiceTypes()...)
	return a, a.user(t, "user")
}

func resultOf(t *testing.T, task *tasks.Task) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(task.Result, &m); err != nil {
		t.Fatalf("result %s: %v", task.Result, err)
	}
	return m
}

func TestBuiltinTypesAreRegisteredAtStartUp(t *testing.T) {
	t.Parallel()
	a, _ := setupBuiltins(t, nil)
	var list []tasks.TaskType
	a.app.Get("/api/v1/tasks/types").Data(t, &list)
	var names []string
	for _, tt := range list {
		names = append(names, tt.TaskType)
		if tt.Description == "" || !tt.IsActive {
			t.Errorf("type %+v", tt)
		}
	}
	if want := tasks.ServiceTypes(); !slices.Equal(names, want) {
		t.Fatalf("types %v, want %v", names, want)
	}
	for _, builtin := range []string{"data_processing", "delay_task", "email", "file_cleanup", "report_generation", "webhook"} {
		if !slices.Contains(names, builtin) {
			t.Errorf("built-in type %s is not registered", builtin)
		}
	}
}

func TestEmailTaskIsSent(t *testing.T) {
	t.Parallel()
	a, u := setupBuiltins(t, nil)
	task := a.app.CreateTask(u.token, map[string]any{"metadata": map[string]any{"campaign": "welcome"}})
	done := a.app.WaitStatus(task.ID, tasks.StatusCompleted)
	res := resultOf(t, done)
	if res["to"] != "someone@example.com" || res["message_id"] == "" || res["message_id"] == nil {
		t.Fatalf("email result %v", res)
	}
	assertJSONEqual(t, done.Metadata, json.RawMessage(`{"api_created":true,"campaign":"welcome"}`))
}

func TestInvalidPayloadFailsAtOnceIntoDeadLetter(t *testing.T) {
	t.Parallel()
	a, u := setupBuiltins(t, nil)
	task := a.app.CreateTask(u.token, map[string]any{"payload": map[string]any{"to": "not-an-address", "subject": "x"}})
	done := a.app.WaitStatus(task.ID, tasks.StatusFailed)
	if done.CurrentAttempt != 1 || done.LastError == nil || !strings.Contains(*done.LastError, "to must be") {
		t.Fatalf("failed task %+v", done)
	}
	var dead []tasks.Task
	a.app.GetAuth("/api/v1/tasks/dead-letter", u.token).Data(t, &dead)
	if len(dead) != 1 || dead[0].ID != task.ID {
		t.Fatalf("dead letter %v", ids(dead))
	}
}

// hook is a webhook receiver answering the statuses of its script in turn,
// then 200.
type hook struct {
	srv    *httptest.Server
	mu     sync.Mutex
	script []int
	bodies []string
	keys   []string
}

func newHook(t *testing.T, script ...int) *hook {
	h := &hook{script: script}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.bodies = append(h.bodies, string(body))
		h.keys = append(h.keys, r.Header.Get("Idempotency-Key"))
		status := http.StatusOK
		if len(h.script) > 0 {
			status, h.script = h.script[0], h.script[1:]
		}
		h.mu.Unlock()
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			status = http.StatusBadRequest
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"received":true}`))
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hook) calls() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.bodies)
}

func TestWebhookTaskPostsTheBody(t *testing.T) {
	t.Parallel()
	a, u := setupBuiltins(t, nil)
	h := newHook(t)
	task := a.app.CreateTask(u.token, map[string]any{"task_type": "webhook",
		"payload": map[string]any{"url": h.srv.URL + "/hook", "body": map[string]any{"event": "signup", "n": 1}}})
	done := a.app.WaitStatus(task.ID, tasks.StatusCompleted)
	res := resultOf(t, done)
	if res["status_code"] != float64(200) || res["response"] != `{"received":true}` {
		t.Fatalf("webhook result %v", res)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.bodies) != 1 || h.keys[0] != task.ID.String() {
		t.Fatalf("hook got %v with keys %v", h.bodies, h.keys)
	}
	assertJSONEqual(t, json.RawMessage(h.bodies[0]), json.RawMessage(`{"event":"signup","n":1}`))
}

func TestWebhookTaskRetriesServerErrorsWithinTheAttempt(t *testing.T) {
	t.Parallel()
	a, u := setupBuiltins(t, nil)
	h := newHook(t, http.StatusServiceUnavailable, http.StatusBadGateway)
	task := a.app.CreateTask(u.token, map[string]any{"task_type": "webhook", "payload": map[string]any{"url": h.srv.URL}})
	done := a.app.WaitStatus(task.ID, tasks.StatusCompleted)
	if res := resultOf(t, done); res["tries"] != float64(3) || done.CurrentAttempt != 1 {
		t.Fatalf("webhook result %v after %d attempts", res, done.CurrentAttempt)
	}
	if h.calls() != 3 {
		t.Fatalf("hook called %d times", h.calls())
	}
}

func TestWebhookTaskClientErrorFailsWithoutRetry(t *testing.T) {
	t.Parallel()
	a, u := setupBuiltins(t, nil)
	h := newHook(t, http.StatusNotFound)
	task := a.app.CreateTask(u.token, map[string]any{"task_type": "webhook", "payload": map[string]any{"url": h.srv.URL}})
	done := a.app.WaitStatus(task.ID, tasks.StatusFailed)
	if h.calls() != 1 || done.CurrentAttempt != 1 || !strings.Contains(*done.LastError, "404") {
		t.Fatalf("task %+v after %d calls", done, h.calls())
	}
}

func TestWebhookTaskRefusesPrivateAddressesWhenConfigured(t *testing.T) {
	t.Parallel()
	a, u := setupBuiltins(t, func(c *config.Config) { c.Tasks.WebhookAllowPrivate = false })
	h := newHook(t)
	task := a.app.CreateTask(u.token, map[string]any{"task_type": "webhook", "payload": map[string]any{"url": h.srv.URL}})
	done := a.app.WaitStatus(task.ID, tasks.StatusFailed)
	if h.calls() != 0 || done.LastError == nil || !strings.Contains(*done.LastError, "loopback") {
		t.Fatalf("task %+v after %d calls", done, h.calls())
	}
}

func TestManualRetryRunsAFailedTaskAgain(t *testing.T) {
	t.Parallel()
	a, u := setupBuiltins(t, nil)
	h := newHook(t, http.StatusGone)
	task := a.app.CreateTask(u.token, map[string]any{"task_type": "webhook", "payload": map[string]any{"url": h.srv.URL}})
	a.app.WaitStatus(task.ID, tasks.StatusFailed)
	var retried tasks.Task
	a.app.PostJSONAuth(taskPath(task.ID, "/retry"), u.token, nil).Data(t, &retried)
	done := a.app.WaitStatus(task.ID, tasks.StatusCompleted)
	if done.CurrentAttempt != 1 || h.calls() != 2 {
		t.Fatalf("task %+v after %d calls", done, h.calls())
	}
}

func TestDataProcessingTaskComputesStatistics(t *testing.T) {
	t.Parallel()
	a, u := setupBuiltins(t, nil)
	task := a.app.CreateTask(u.token, map[string]any{"task_type": "data_processing",
		"payload": map[string]any{"data": []float64{4, 1, 3, 2, 10}}})
	done := a.app.WaitStatus(task.ID, tasks.StatusCompleted)
	var p tasks.Processed
	if err := json.Unmarshal(done.Result, &p); err != nil || p.Stats == nil {
		t.Fatalf("result %s: %v", done.Result, err)
	}
	st := *p.Stats
	want := tasks.DataStats{Count: 5, Sum: 20, Mean: 4, Min: 1, Max: 10, Median: 3, StdDev: st.StdDev}
	if st != want || st.StdDev < 3.16 || st.StdDev > 3.17 {
		t.Fatalf("stats %+v, want %+v (stddev ≈ 3.162)", st, want)
	}
	empty := a.app.CreateTask(u.token, map[string]any{"task_type": "data_processing", "payload": map[string]any{"values": []int{}}})
	a.app.WaitStatus(empty.ID, tasks.StatusFailed)
}

func TestFileCleanupTaskDeletesOnlyOldFilesUnderTheRoot(t *testing.T) {
	t.Parallel()
	a, _ := setupBuiltins(t, nil)
	u := a.user(t, "admin") // file_cleanup needs an admin
	root := a.app.Config.Tasks.FileCleanupRoot
	outside := filepath.Join(t.TempDir(), "precious.log")
	old := time.Now().Add(-48 * time.Hour)
	write := func(path string, age time.Time) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte("data"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, age, age); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(root, "logs", "old.log"), old)
	write(filepath.Join(root, "logs", "deep", "old.txt"), old)
	write(filepath.Join(root, "logs", "new.log"), time.Now())
	write(filepath.Join(root, "elsewhere.log"), old)
	write(outside, old)
	if err := os.Symlink(outside, filepath.Join(root, "logs", "link.log")); err != nil {
		t.Fatal(err)
	}
	dry := a.app.CreateTask(u.token, map[string]any{"task_type": "file_cleanup",
		"payload": map[string]any{"path": "logs", "older_than_hours": 24, "dry_run": true}})
	if res := resultOf(t, a.app.WaitStatus(dry.ID, tasks.StatusCompleted)); res["deleted"] != float64(2) {
		t.Fatalf("dry run %v", res)
	}
	if _, err := os.Stat(filepath.Join(root, "logs", "old.log")); err != nil {
		t.Fatalf("dry run deleted a file: %v", err)
	}
	task := a.app.CreateTask(u.token, map[string]any{"task_type": "file_cleanup",
		"payload": map[string]any{"path": "logs", "older_than_hours": 24, "pattern": "*.log"}})
	res := resultOf(t, a.app.WaitStatus(task.ID, tasks.StatusCompleted))
	if res["deleted"] != float64(1) || res["bytes_freed"] != float64(4) {
		t.Fatalf("cleanup %v", res)
	}
	for path, want := range map[string]bool{
		filepath.Join(root, "logs", "old.log"):         false,
		filepath.Join(root, "logs", "deep", "old.txt"): true,
		filepath.Join(root, "logs", "new.log"):         true,
		filepath.Join(root, "elsewhere.log"):           true,
		outside:                                        true,
	} {
		if _, err := os.Stat(path); (err == nil) != want {
			t.Errorf("%s exists: %v, want %v", path, err == nil, want)
		}
	}
}

func TestFileCleanupTaskRefusesPathsOutsideTheRoot(t *testing.T) {
	t.Parallel()
	a, _ := setupBuiltins(t, nil)
	u := a.user(t, "admin") // file_cleanup needs an admin
	for _, p := range []string{"../", "/etc", "logs/../../x"} {
		task := a.app.CreateTask(u.token, map[string]any{"task_type": "file_cleanup",
			"payload": map[string]any{"path": p, "older_than_hours": 0}})
		done := a.app.WaitStatus(task.ID, tasks.StatusFailed)
		if done.CurrentAttempt != 1 || !strings.Contains(*done.LastError, "path") {
			t.Fatalf("%q: %+v", p, done)
		}
	}
}

func TestReportGenerationTaskAggregatesTasks(t *testing.T) {
	t.Parallel()
	a, u := setupBuiltins(t, nil)
	email := a.app.CreateTask(u.token, nil)
	a.app.WaitStatus(email.ID, tasks.StatusCompleted)
	bad := a.app.CreateTask(u.token, map[string]any{"task_type": "data_processing", "payload": map[string]any{"values": []int{}}})
	a.app.WaitStatus(bad.ID, tasks.StatusFailed)
	report := a.app.CreateTask(u.token, map[string]any{"task_type": "report_generation", "payload": map[string]any{"period_hours": 1}})
	var r tasks.Report
	if err := json.Unmarshal(a.app.WaitStatus(report.ID, tasks.StatusCompleted).Result, &r); err != nil {
		t.Fatal(err)
	}
	if r.Total != 3 || r.ByStatus[tasks.StatusCompleted] != 1 || r.ByStatus[tasks.StatusFailed] != 1 ||
		r.ByStatus[tasks.StatusRunning] != 1 || r.ByType["email"].Completed != 1 || r.ByType["data_processing"].Failed != 1 ||
		r.SuccessRate == nil || *r.SuccessRate != 0.5 || r.AvgDurationMS == nil {
		t.Fatalf("report %+v", r)
	}
}

func TestDelayTaskSleepsFractionalSeconds(t *testing.T) {
	t.Parallel()
	a, u := setupBuiltins(t, nil)
	task := a.app.CreateTask(u.token, map[string]any{"task_type": "delay_task", "payload": map[string]any{"delay_seconds": 0.05}})
	done := a.app.WaitStatus(task.ID, tasks.StatusCompleted)
	res := resultOf(t, done)
	if res["delay_seconds"] != 0.05 || done.CompletedAt.Sub(*done.StartedAt) < 50*time.Millisecond {
		t.Fatalf("delay %v from %s to %s", res, done.StartedAt, done.CompletedAt)
	}
	bad := a.app.CreateTask(u.token, map[string]any{"task_type": "delay_task", "payload": map[string]any{"delay_seconds": -1}})
	a.app.WaitStatus(bad.ID, tasks.StatusFailed)
}

func TestWorkerCheckInDetailedHealth(t *testing.T) {
	t.Parallel()
	a, _ := setupBuiltins(t, nil)
	var body struct {
		Checks map[string]struct {
			Status  string `json:"status"`
			Message string `json:"message"`
		} `json:"checks"`
	}
	// The worker lists its types before it reads the shared breakers and
	// says it runs: the check may still say "worker starting" at first.
	running := apptest.Eventually(30*time.Second, func() bool {
		a.app.Get("/api/v1/health/detailed").Data(t, &body)
		w, ok := body.Checks["worker"]
		return ok && w.Status == "healthy" && strings.Contains(w.Message, "running")
	})
	if !running {
		t.Fatalf("worker check %+v", body.Checks)
	}
}

func TestWorkerMetricsAreExported(t *testing.T) {
	t.Parallel()
	a, u := setupBuiltins(t, nil)
	task := a.app.CreateTask(u.token, nil)
	a.app.WaitStatus(task.ID, tasks.StatusCompleted)
	r := a.app.Get("/metrics")
	text := string(r.Body)
	for _, want := range []string{
		`tasks_processed_total{outcome="completed",type="email"} 1`,
		`task_breaker_state{type="email"} 0`,
		`task_breaker_state{type="webhook"} 0`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestServeWithoutWorkerLeavesTasksPending(t *testing.T) {
	t.Parallel()
	a := setupTaskAPI(t)
	u := a.user(t, "user")
	task := a.app.CreateTask(u.token, nil)
	var body struct {
		Checks map[string]json.RawMessage `json:"checks"`
	}
	a.app.Get("/api/v1/health/detailed").Data(t, &body)
	if _, ok := body.Checks["worker"]; ok {
		t.Fatal("worker check without a worker")
	}
	// The task is claimable: a worker started later runs it.
	var ran atomic.Int64
	a.app.StartWorker(registry(tasks.TypeEmail, tasks.HandlerFunc(func(context.Context, *tasks.Task) (any, error) {
		ran.Add(1)
		return nil, nil
	})), apptest.WorkerSettings())
	a.app.WaitStatus(task.ID, tasks.StatusCompleted)
	if ran.Load() != 1 {
		t.Fatalf("ran %d times", ran.Load())
	}
}
