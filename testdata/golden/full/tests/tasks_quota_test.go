package tests

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"testing"

	"example.com/demo/internal/apptest"
	"example.com/demo/internal/config"
	"example.com/demo/internal/tasks"
)

// setupQuotaAPI is setupTaskAPI with quotas of the test's choosing.
func setupQuotaAPI(t *testing.T, perMinute, waiting int) *taskAPI {
	t.Helper()
	a := &taskAPI{app: newApp(t, apptest.WithConfig(func(c *config.Config) {
		c.Tasks.Worker = false
		c.Tasks.QuotaPerMinute, c.Tasks.QuotaWaiting = perMinute, waiting
	}))}
	a.app.RegisterTaskTypes(tasks.TypeEmail)
	return a
}

func wantRateLimited(t *testing.T, r *apptest.Response, maxRetryAfter int) {
	t.Helper()
	wantError(t, r, http.StatusTooManyRequests, "RATE_LIMITED")
	if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 || s > maxRetryAfter {
		t.Fatalf("Retry-After = %q, want 1–%d seconds", r.Header.Get("Retry-After"), maxRetryAfter)
	}
}

// The defaults: 120 creations a minute per user, then 429 with Retry-After;
// another user is not held back; deleting tasks does not give creations back.
func TestCreateTaskQuotaPerMinuteIs120ByDefault(t *testing.T) {
	t.Parallel()
	a := setupTaskAPI(t)
	if q := a.app.Config.Tasks; q.QuotaPerMinute != 120 || q.QuotaWaiting != 1000 {
		t.Fatalf("default quotas %d/min, %d waiting; want 120 and 1000", q.QuotaPerMinute, q.QuotaWaiting)
	}
	u, other := a.user(t, "user"), a.user(t, "user")
	var first tasks.Task
	for i := range 120 {
		task := a.app.CreateTask(u.token, nil)
		if i == 0 {
			first = task
		}
	}
	wantRateLimited(t, a.app.PostJSONAuth("/api/v1/tasks", u.token, apptest.TaskBody(nil)), 60)
	a.app.CreateTask(other.token, nil)

	a.app.PostJSONAuth(taskPath(first.ID, "/cancel"), u.token, nil)
	if r := a.app.DeleteAuth(taskPath(first.ID, ""), u.token); r.Status != http.StatusOK {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	wantRateLimited(t, a.app.PostJSONAuth("/api/v1/tasks", u.token, apptest.TaskBody(nil)), 60)
}

// 1000 tasks pending or retrying at once per user by default; a task that
// finishes makes room for one more.
func TestCreateTaskWaitingQuotaIs1000ByDefault(t *testing.T) {
	t.Parallel()
	a := setupTaskAPI(t)
	u := a.user(t, "user")
	_, err := a.app.DB.Exec(context.Background(), `INSERT INTO tasks (task_type, status, current_attempt, created_by, created_at)
		SELECT 'email', CASE WHEN i % 2 = 0 THEN 'pending' ELSE 'retrying' END, i % 2, $1, now() - interval '1 hour'
		FROM generate_series(1, 1000) i`, u.id)
	if err != nil {
		t.Fatal(err)
	}
	wantRateLimited(t, a.app.PostJSONAuth("/api/v1/tasks", u.token, apptest.TaskBody(nil)), 60)
	if _, err := a.app.DB.Exec(context.Background(), `UPDATE tasks SET status = 'cancelled', completed_at = now()
		WHERE id = (SELECT id FROM tasks WHERE created_by = $1 LIMIT 1)`, u.id); err != nil {
		t.Fatal(err)
	}
	a.app.CreateTask(u.token, nil)
	wantRateLimited(t, a.app.PostJSONAuth("/api/v1/tasks", u.token, apptest.TaskBody(nil)), 60)
}

// Running, completed, failed and cancelled tasks do not count as waiting.
func TestCreateTaskWaitingQuotaCountsPendingAndRetryingOnly(t *testing.T) {
	t.Parallel()
	a := setupQuotaAPI(t, 0, 2)
	u := a.user(t, "user")
	pending, retrying := a.app.CreateTask(u.token, nil), a.app.CreateTask(u.token, nil)
	a.setStatus(t, retrying.ID, tasks.StatusRetrying)
	wantRateLimited(t, a.app.PostJSONAuth("/api/v1/tasks", u.token, apptest.TaskBody(nil)), 60)
	for _, st := range []tasks.Status{tasks.StatusRunning, tasks.StatusCompleted, tasks.StatusFailed, tasks.StatusCancelled} {
		a.setStatus(t, pending.ID, st)
		next := a.app.CreateTask(u.token, nil)
		wantRateLimited(t, a.app.PostJSONAuth("/api/v1/tasks", u.token, apptest.TaskBody(nil)), 60)
		pending = next
	}
}

// Concurrent requests of one user cannot overshoot the quota: exactly the
// quota's worth are created.
func TestCreateTaskQuotaHoldsUnderConcurrentRequests(t *testing.T) {
	t.Parallel()
	a := setupQuotaAPI(t, 7, 0)
	u := a.user(t, "user")
	var wg sync.WaitGroup
	statuses := make(chan int, 24)
	for range 24 {
		wg.Go(func() { statuses <- a.app.PostJSONAuth("/api/v1/tasks", u.token, apptest.TaskBody(nil)).Status })
	}
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	if count[http.StatusCreated] != 7 || count[http.StatusTooManyRequests] != 17 {
		t.Fatalf("answers %v, want 7×201 and 17×429", count)
	}
}

// Quotas of 0 bound nothing.
func TestCreateTaskQuotaZeroMeansNoCap(t *testing.T) {
	t.Parallel()
	a := setupQuotaAPI(t, 0, 0)
	u := a.user(t, "user")
	for range 130 {
		a.app.CreateTask(u.token, nil)
	}
}

// registerBuiltinTypes registers the built-in types as the worker does,
// minimum roles included.
func registerBuiltinTypes(t *testing.T, a *taskAPI) {
	t.Helper()
	reg := tasks.NewRegistry()
	tasks.RegisterBuiltins(reg, tasks.Builtins{Store: tasks.NewStore(a.app.DB)})
	if err := tasks.NewStore(a.app.DB).RegisterTypes(context.Background(), reg.Specs()); err != nil {
		t.Fatal(err)
	}
}

// file_cleanup needs an admin, read from the database at each creation (a
// demoted admin whose session is still cached is refused); the other types
// need a user.
func TestCreateTaskMinimumRolePerType(t *testing.T) {
	t.Parallel()
	a := setupTaskAPI(t)
	registerBuiltinTypes(t, a)
	u, mod, admin := a.user(t, "user"), a.user(t, "moderator"), a.user(t, "admin")
	cleanup := map[string]any{"task_type": "file_cleanup", "payload": map[string]any{"older_than_hours": 1}}
	wantError(t, a.app.PostJSONAuth("/api/v1/tasks", u.token, apptest.TaskBody(cleanup)), http.StatusForbidden, "FORBIDDEN")
	wantError(t, a.app.PostJSONAuth("/api/v1/tasks", mod.token, apptest.TaskBody(cleanup)), http.StatusForbidden, "FORBIDDEN")
	a.app.CreateTask(admin.token, cleanup)
	for _, typ := range []string{"email", "webhook", "data_processing", "report_generation", "delay_task"} {
		a.app.CreateTask(u.token, map[string]any{"task_type": typ})
	}
	var list []tasks.TaskType
	a.app.Get("/api/v1/tasks/types").Data(t, &list)
	for _, tt := range list {
		if want := map[bool]string{true: "admin", false: "user"}[tt.TaskType == "file_cleanup"]; tt.MinRole != want {
			t.Errorf("%s: min_role %q, want %q", tt.TaskType, tt.MinRole, want)
		}
	}
	if _, err := a.app.DB.Exec(context.Background(), `UPDATE users SET role = 'user' WHERE id = $1`, admin.id); err != nil {
		t.Fatal(err)
	}
	wantError(t, a.app.PostJSONAuth("/api/v1/tasks", admin.token, apptest.TaskBody(cleanup)), http.StatusForbidden, "FORBIDDEN")
}

// A report counts only the tasks its owner can read through the API: a
// user's own, everyone's for a moderator.
func TestReportGenerationCountsOnlyWhatItsOwnerCanSee(t *testing.T) {
	t.Parallel()
	a, u := setupBuiltins(t, nil)
	other, mod := a.user(t, "user"), a.user(t, "moderator")
	for range 3 {
		a.app.WaitStatus(a.app.CreateTask(other.token, nil).ID, tasks.StatusCompleted)
	}
	a.app.WaitStatus(a.app.CreateTask(u.token, nil).ID, tasks.StatusCompleted)
	report := func(token string) tasks.Report {
		task := a.app.CreateTask(token, map[string]any{"task_type": "report_generation", "payload": map[string]any{"period_hours": 1}})
		var r tasks.Report
		if err := json.Unmarshal(a.app.WaitStatus(task.ID, tasks.StatusCompleted).Result, &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	// Each report counts itself, running.
	if r := report(u.token); r.Total != 2 || r.ByType["email"].Completed != 1 {
		t.Fatalf("user's report %+v, want their own email and itself", r)
	}
	if r := report(mod.token); r.Total != 6 || r.ByType["email"].Completed != 4 {
		t.Fatalf("moderator's report %+v, want every task", r)
	}
}
