package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"example.com/demo/internal/apptest"
	"example.com/demo/internal/config"
	"example.com/demo/internal/tasks"
)

// taskAPI is a service without a worker (tasks stay where the test puts
// them) and with the email type registered.
type taskAPI struct {
	app *apptest.TestApp
	seq atomic.Int64
}

func setupTaskAPI(t *testing.T) *taskAPI {
	t.Helper()
	a := &taskAPI{app: newApp(t, apptest.WithConfig(func(c *config.Config) { c.Tasks.Worker = false }))}
	a.app.RegisterTaskTypes(tasks.TypeEmail)
	return a
}

type taskCaller struct {
	id    uuid.UUID
	token string
}

// user registers a user, gives it role and logs it in.
func (a *taskAPI) user(t *testing.T, role string) taskCaller {
	t.Helper()
	name := fmt.Sprintf("%s_%d", role, a.seq.Add(1))
	pw := "Tasks-Test-Pw-42!"
	r := a.app.PostJSON("/api/v1/auth/register", map[string]any{"username": name, "email": name + "@example.com", "password": pw})
	if r.Status != http.StatusCreated {
		t.Fatalf("register %s: %d %s", name, r.Status, r.Body)
	}
	var u struct {
		ID uuid.UUID `json:"id"`
	}
	r.Data(t, &u)
	if _, err := a.app.DB.Exec(context.Background(), `UPDATE users SET role = $1 WHERE id = $2`, role, u.ID); err != nil {
		t.Fatal(err)
	}
	r = a.app.PostJSON("/api/v1/auth/login", map[string]any{"username": name, "password": pw})
	var login struct {
		SessionToken string `json:"session_token"`
	}
	r.Data(t, &login)
	return taskCaller{id: u.ID, token: login.SessionToken}
}

// setStatus puts a task in a status as the worker would have.
func (a *taskAPI) setStatus(t *testing.T, id uuid.UUID, st tasks.Status) {
	t.Helper()
	_, err := a.app.DB.Exec(context.Background(), `UPDATE tasks SET status = $2,
		completed_at = CASE WHEN $2 IN ('completed', 'failed', 'cancelled') THEN now() END,
		current_attempt = CASE WHEN $2 = 'pending' THEN 0 ELSE GREATEST(current_attempt, 1) END,
		locked_by = CASE WHEN $2 = 'running' THEN 'test-worker' END,
		lease_expires_at = CASE WHEN $2 = 'running' THEN now() + interval '1 hour' END
		WHERE id = $1`, id, string(st))
	if err != nil {
		t.Fatal(err)
	}
}

func taskPath(id uuid.UUID, suffix string) string { return "/api/v1/tasks/" + id.String() + suffix }

func TestCreateTaskAnswers201WithDefaults(t *testing.T) {
	t.Parallel()
	a := setupTaskAPI(t)
	u := a.user(t, "user")
	r := a.app.PostJSONAuth("/api/v1/tasks", u.token, apptest.TaskBody(nil))
	if r.Status != http.StatusCreated {
		t.Fatalf("want 201, got %d %s", r.Status, r.Body)
	}
	env := r.Envelope(t)
	fields := keys(object(t, env.Data))
	slices.Sort(fields)
	want := []string{"completed_at", "created_at", "created_by", "current_attempt", "id", "last_error", "max_attempts",
		"metadata", "payload", "priority", "result", "retry_strategy", "scheduled_at", "started_at", "status", "task_type", "updated_at"}
	if !slices.Equal(fields, want) {
		t.Fatalf("task fields %v, want %v", fields, want)
	}
	var task tasks.Task
	r.Data(t, &task)
	if task.Status != tasks.StatusPending || task.Priority != tasks.PriorityNormal || task.MaxAttempts != 5 ||
		task.CurrentAttempt != 0 || task.CreatedBy == nil || *task.CreatedBy != u.id || string(task.Result) != "null" ||
		task.StartedAt != nil || task.CompletedAt != nil || task.LastError != nil {
		t.Fatalf("new task: %+v", task)
	}
	assertJSONEqual(t, task.Metadata, json.RawMessage(`{"api_created":true}`))
	assertJSONEqual(t, task.RetryStrategy, json.RawMessage(`{"type":"exponential","base_delay_ms":1000,"multiplier":2.0,"max_delay_ms":300000,"jitter":0.1}`))
	if d := task.ScheduledAt.Sub(task.CreatedAt); d < -time.Second || d > time.Second {
		t.Fatalf("scheduled_at %s far from created_at %s", task.ScheduledAt, task.CreatedAt)
	}
}

func TestCreateTaskNeedsAuthentication(t *testing.T) {
	t.Parallel()
	a := setupTaskAPI(t)
	wantError(t, a.app.PostJSON("/api/v1/tasks", apptest.TaskBody(nil)), http.StatusUnauthorized, "UNAUTHORIZED")
	wantError(t, a.app.Get("/api/v1/tasks"), http.StatusUnauthorized, "UNAUTHORIZED")
}

func TestCreateTaskRejectsUnregisteredAndInactiveTypes(t *testing.T) {
	t.Parallel()
	a := setupTaskAPI(t)
	u := a.user(t, "user")
	a.app.RegisterTaskTypes("retired")
	if _, err := a.app.DB.Exec(context.Background(), `UPDATE task_types SET is_active = false WHERE task_type = 'retired'`); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []string{"nope", "retired", "bad type!", ""} {
		r := a.app.Invalid().PostJSONAuth("/api/v1/tasks", u.token, apptest.TaskBody(map[string]any{"task_type": tt}))
		wantError(t, r, http.StatusBadRequest, "VALIDATION_FAILED")
		if r.ErrorField() != "task_type" || !strings.Contains(r.ErrorMessage(), "is not registered") {
			t.Fatalf("%q: %s", tt, r.Body)
		}
	}
}

func TestCreateTaskPriorityIsAnExactLowerCaseEnum(t *testing.T) {
	t.Parallel()
	a := setupTaskAPI(t)
	u := a.user(t, "user")
	for _, p := range []string{"HIGH", "Critical", "urgent", "", " low"} {
		r := a.app.Invalid().PostJSONAuth("/api/v1/tasks", u.token, apptest.TaskBody(map[string]any{"priority": p}))
		wantError(t, r, http.StatusBadRequest, "VALIDATION_FAILED")
		if r.ErrorField() != "priority" {
			t.Fatalf("%q: field %q", p, r.ErrorField())
		}
	}
	for _, p := range []string{"low", "normal", "high", "critical"} {
		task := a.app.CreateTask(u.token, map[string]any{"priority": p})
		if task.Priority.String() != p {
			t.Fatalf("priority %q stored as %q", p, task.Priority)
		}
	}
	wantError(t, a.app.Invalid().PostJSONAuth("/api/v1/tasks", u.token, apptest.TaskBody(map[string]any{"priority": 3})),
		http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY")
}

func TestCreateTaskShapeErrorsAre422(t *testing.T) {
	t.Parallel()
	a := setupTaskAPI(t)
	u := a.user(t, "user")
	cases := map[string]string{
		"no payload":        `{"task_type":"email"}`,
		"null payload":      `{"task_type":"email","payload":null}`,
		"array payload":     `{"task_type":"email","payload":[1]}`,
		"no task_type":      `{"payload":{}}`,
		"numeric task_type": `{"task_type":7,"payload":{}}`,
		"string metadata":   `{"task_type":"email","payload":{},"metadata":"x"}`,
		"string strategy":   `{"task_type":"email","payload":{},"retry_strategy":"fast"}`,
		"float attempts":    `{"task_type":"email","payload":{},"max_attempts":2.5}`,
	}
	for name, body := range cases {
		req := a.app.NewRequest(http.MethodPost, "/api/v1/tasks", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+u.token)
		r := a.app.Invalid().Do(req)
		if r.Status != http.StatusUnprocessableEntity || r.ErrorCode() != "UNPROCESSABLE_ENTITY" {
			t.Errorf("%s: want 422, got %d %s", name, r.Status, r.Body)
		}
	}
}

func TestCreateTaskPayloadLimitIsOneMiB(t *testing.T) {
	t.Parallel()
	a := setupTaskAPI(t)
	u := a.user(t, "user")
	big := strings.Repeat("x", 1<<20)
	r := a.app.PostJSONAuth("/api/v1/tasks", u.token, apptest.TaskBody(map[string]any{"payload": map[string]any{"blob": big}}))
	wantError(t, r, http.StatusBadRequest, "VALIDATION_FAILED")
	if r.ErrorField() != "payload" {
		t.Fatalf("field %q", r.ErrorField())
	}
	a.app.CreateTask(u.token, map[string]any{"payload": map[string]any{"blob": big[:1<<19]}})
}

func TestCreateTaskMetadataRules(t *testing.T) {
	t.Parallel()
	a := setupTaskAPI(t)
	u := a.user(t, "user")
	manyValues := map[string]any{}
	for i := range 20 {
		manyValues[fmt.Sprintf("k%d", i)] = strings.Repeat("v", 3500)
	}
	bad := map[string]any{
		"space in key":  map[string]any{"bad key": 1},
		"dot in key":    map[string]any{"a.b": 1},
		"long key":      map[string]any{strings.Repeat("k", 129): 1},
		"empty key":     map[string]any{"": 1},
		"value > 4 KiB": map[string]any{"v": strings.Repeat("x", 4<<10)},
		"all > 64 KiB":  manyValues,
	}
	for name, meta := range bad {
		r := a.app.PostJSONAuth("/api/v1/tasks", u.token, apptest.TaskBody(map[string]any{"metadata": meta}))
		if r.Status != http.StatusBadRequest || r.ErrorField() != "metadata" {
			t.Errorf("%s: want 400 on metadata, got %d %s", name, r.Status, r.Body)
		}
	}
	ok := a.app.CreateTask(u.token, map[string]any{"metadata": map[string]any{strings.Repeat("k", 128): "v", "a-b_C9": []int{1}}})
	if m := object(t, ok.Metadata); len(m) != 3 {
		t.Fatalf("metadata %s", ok.Metadata)
	}
}

func TestCreateTaskAlwaysSetsApiCreated(t *testing.T) {
	t.Parallel()
	a := setupTaskAPI(t)
	u := a.user(t, "user")
	task := a.app.CreateTask(u.token, map[string]any{"metadata": map[string]any{"api_created": false, "source": "test"}})
	assertJSONEqual(t, task.Metadata, json.RawMessage(`{"api_created":true,"source":"test"}`))
}

func TestCreateTaskScheduledAtWindow(t *testing.T) {
	t.Parallel()
	a := setupTaskAPI(t)
	u := a.user(t, "user")
	now := time.Now().UTC()
	for _, at := range []string{now.Add(-2 * time.Hour).Format(time.RFC3339), now.Add(366 * 24 * time.Hour).Format(time.RFC3339),
		"tomorrow", "2030-01-01", ""} {
		r := a.app.Invalid().PostJSONAuth("/api/v1/tasks", u.token, apptest.TaskBody(map[string]any{"scheduled_at": at}))
		if r.Status != http.StatusBadRequest || r.ErrorField() != "scheduled_at" {
			t.Errorf("%q: want 400 on scheduled_at, got %d %s", at, r.Status, r.Body)
		}
	}
	for _, at := range []time.Time{now.Add(-30 * time.Minute), now.Add(time.Hour), now.Add(364 * 24 * time.Hour)} {
		task := a.app.CreateTask(u.token, map[string]any{"scheduled_at": at.Format(time.RFC3339Nano)})
		if !task.ScheduledAt.Equal(at.Truncate(time.Microsecond)) {
			t.Errorf("scheduled_at %s stored as %s", at, task.ScheduledAt)
		}
	}
}

func TestCreateTaskMaxAttemptsRange(t *testing.T) {
	t.Parallel()
	a := setupTaskAPI(t)
	u := a.user(t, "user")
	for _, n := range []int{0, -1, 26, 1000} {
		r := a.app.Invalid().PostJSONAuth("/api/v1/tasks", u.token, apptest.TaskBody(map[string]any{"max_attempts": n}))
		if r.Status != http.StatusBadRequest || r.ErrorField() != "max_attempts" {
			t.Errorf("%d: want 400 on max_attempts, got %d %s", n, r.Status, r.Body)
		}
	}
	for _, n := range []int{1, 25} {
		if task := a.app.CreateTask(u.token, map[string]any{"max_attempts": n}); task.MaxAttempts != n {
			t.Errorf("max_attempts %d stored as %d", n, task.MaxAttempts)
		}
	}
}

func TestCreateTaskRetryStrategyValidationNamesTheField(t *testing.T) {
	t.Parallel()
	a := setupTaskAPI(t)
	u := a.user(t, "user")
	cases := []struct {
		strategy map[string]any
		field    string
	}{
		{map[string]any{"type": "bogus"}, "retry_strategy.type"},
		{map[string]any{"type": "EXPONENTIAL"}, "retry_strategy.type"},
		{map[string]any{"type": "exponential", "multiplier": 11}, "retry_strategy.multiplier"},
		{map[string]any{"type": "exponential", "multiplier": 0.5}, "retry_strategy.multiplier"},
		{map[string]any{"type": "exponential", "jitter": 1.5}, "retry_strategy.jitter"},
		{map[string]any{"type": "exponential", "base_delay_ms": -1}, "retry_strategy.base_delay_ms"},
		{map[string]any{"type": "exponential", "base_delay_ms": 86400001}, "retry_strategy.base_delay_ms"},
		{map[string]any{"type": "exponential", "base_delay_ms": 5000, "max_delay_ms": 1000}, "retry_strategy.max_delay_ms"},
		{map[string]any{"type": "linear", "increment_ms": -5}, "retry_strategy.increment_ms"},
		{map[string]any{"type": "fixed", "interval_ms": 90000000}, "retry_strategy.interval_ms"},
	}
	for _, c := range cases {
		r := a.app.Invalid().PostJSONAuth("/api/v1/tasks", u.token, apptest.TaskBody(map[string]any{"retry_strategy": c.strategy}))
		if r.Status != http.StatusBadRequest || r.ErrorCode() != "VALIDATION_FAILED" || r.ErrorField() != c.field {
			t.Errorf("%v: want 400 on %s, got %d %s", c.strategy, c.field, r.Status, r.Body)
		}
	}
}

func TestCreateTaskKeepsTheRetryStrategy(t *testing.T) {
	t.Parallel()
	a := setupTaskAPI(t)
	u := a.user(t, "user")
	linear := map[string]any{"type": "linear", "base_delay_ms": 500, "increment_ms": 250, "max_delay_ms": 5000}
	task := a.app.CreateTask(u.token, map[string]any{"retry_strategy": linear})
	assertJSONEqual(t, task.RetryStrategy, json.RawMessage(`{"type":"linear","base_delay_ms":500,"increment_ms":250,"max_delay_ms":5000}`))
	fixed := a.app.CreateTask(u.token, map[string]any{"retry_strategy": map[string]any{"type": "fixed", "interval_ms": 0}})
	assertJSONEqual(t, fixed.RetryStrategy, json.RawMessage(`{"type":"fixed","interval_ms":0}`))
}

// TestTaskWithoutAStoredStrategyShowsTheDefault: a task enqueued by code
// (tasks.Store.Create) may leave retry_strategy NULL, which means the
// default; the API shows that default, as it does for every other task,
// never a null the document does not allow.
func TestTaskWithoutAStoredStrategyShowsTheDefault(t *testing.T) {
	t.Parallel()
	a := setupTaskAPI(t)
	mod := a.user(t, "moderator")
	task := a.app.InsertTask(tasks.NewTask{TaskType: tasks.TypeEmail})
	var got tasks.Task
	a.app.GetAuth(taskPath(task.ID, ""), mod.token).Data(t, &got)
	assertJSONEqual(t, got.RetryStrategy,
		json.RawMessage(`{"type":"exponential","base_delay_ms":1000,"multiplier":2.0,"max_delay_ms":300000,"jitter":0.1}`))
}

func TestCreateTaskStrategyNoneMeansOneAttempt(t *testing.T) {
	t.Parallel()
	a := setupTaskAPI(t)
	u := a.user(t, "user")
	none := map[string]any{"type": "none"}
	if task := a.app.CreateTask(u.token, map[string]any{"retry_strategy": none}); task.MaxAttempts != 1 {
		t.Fatalf("none: max_attempts %d", task.MaxAttempts)
	}
	r := a.app.PostJSONAuth("/api/v1/tasks", u.token, apptest.TaskBody(map[string]any{"retry_strategy": none, "max_attempts": 3}))
	if r.Status != http.StatusBadRequest || r.ErrorField() != "max_attempts" {
		t.Fatalf("none with 3 attempts: %d %s", r.Status, r.Body)
	}
}

func listTasks(t *testing.T, a *taskAPI, token, query string) []tasks.Task {
	t.Helper()
	var list []tasks.Task
	a.app.GetAuth("/api/v1/tasks"+query, token).Data(t, &list)
	return list
}

func ids(list []tasks.Task) []uuid.UUID {
	out := make([]uuid.UUID, len(list))
	for i, t := range list {
		out[i] = t.ID
	}
	return out
}

func TestListTasksShowsUsersOnlyTheirOwn(t *testing.T) {
	t.Parallel()
	a := setupTaskAPI(t)
	alice, bob, mod := a.user(t, "user"), a.user(t, "user"), a.user(t, "moderator")
	a.app.CreateTask(alice.token, nil)
	a.app.CreateTask(alice.token, nil)
	a.app.CreateTask(bob.token, nil)
	if n := len(listTasks(t, a, alice.token, "")); n != 2 {
		t.Fatalf("alice sees %d tasks", n)
	}
	if n := len(listTasks(t, a, bob.token, "")); n != 1 {
		t.Fatalf("bob sees %d tasks", n)
	}
	if n := len(listTasks(t, a, mod.token, "")); n != 3 {
		t.Fatalf("moderator sees %d tasks", n)
	}
}

func TestListTasksNewestFirstThenIDAndPaged(t *testing.T) {
	t.Parallel()
	a := setupTaskAPI(t)
	u := a.user(t, "user")
	for range 5 {
		a.app.CreateTask(u.token, nil)
	}
	// Two tasks with the same created_at are ordered by id, descending.
	if _, err := a.app.DB.Exec(context.Background(), `UPDATE tasks SET created_at = '2026-01-01T00:00:00Z'
		WHERE id IN (SELECT id FROM tasks ORDER BY created_at LIMIT 2)`); err != nil {
		t.Fatal(err)
	}
	all := listTasks(t, a, u.token, "")
	sorted := slices.Clone(all)
	slices.SortFunc(sorted, func(x, y tasks.Task) int {
		if c := y.CreatedAt.Compare(x.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(y.ID.String(), x.ID.String())
	})
	if !slices.Equal(ids(all), ids(sorted)) {
		t.Fatalf("order %v, want %v", ids(all), ids(sorted))
	}
	page1 := listTasks(t, a, u.token, "?limit=2")
	page2 := listTasks(t, a, u.token, "?limit=2&offset=2")
	page3 := listTasks(t, a, u.token, "?limit=2&offset=4")
	if got := slices.Concat(ids(page1), ids(page2), ids(page3)); !slices.Equal(got, ids(all)) {
		t.Fatalf("pages %v, want %v", got, ids(all))
	}
}

func TestListTasksFilters(t *testing.T) {
	t.Parallel()
	a := setupTaskAPI(t)
	u := a.user(t, "user")
	a.app.RegisterTaskTypes("other")
	high := a.app.CreateTask(u.token, map[string]any{"priority": "high"})
	other := a.app.CreateTask(u.token, map[string]any{"task_type": "other"})
	failed := a.app.CreateTask(u.token, nil)
	a.setStatus(t, failed.ID, tasks.StatusFailed)
	checks := map[string][]uuid.UUID{
		"?priority=high":                   {high.ID},
		"?task_type=other":                 {other.ID},
		"?status=failed":                   {failed.ID},
		"?status=pending&task_type=email":  {high.ID},
		"?status=pending&priority=low":     {},
		"?task_type=email&priority=normal": {failed.ID},
	}
	for q, want := range checks {
		if got := ids(listTasks(t, a, u.token, q)); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", q, got, want)
		}
	}
}

func TestListTasksRejectsBadQueries(t *testing.T) {
	t.Parallel()
	a := setupTaskAPI(t)
	u := a.user(t, "user")
	for _, q := range []string{"status=bogus", "status=PENDING", "priority=HIGH", "priority=1", "limit=0", "limit=101",
		"limit=abc", "offset=-1", "offset=x", "task_type=bad%20type"} {
		wantError(t, a.app.Invalid().GetAuth("/api/v1/tasks?"+q, u.token), http.StatusBadRequest, "INVALID_QUERY")
	}
	for _, q := range []string{"limit=0", "limit=101", "limit=abc", "offset=-1"} {
		wantError(t, a.app.Invalid().GetAuth("/api/v1/tasks/dead-letter?"+q, u.token), http.StatusBadRequest, "INVALID_QUERY")
	}
}

func TestGetTaskVisibleToOwnerAndModeratorsOnly(t *testing.T) {
	t.Parallel()
	a := setupTaskAPI(t)
	owner, other, mod := a.user(t, "user"), a.user(t, "user"), a.user(t, "moderator")
	task := a.app.CreateTask(owner.token, nil)
	for _, c := range []taskCaller{owner, mod} {
		var got tasks.Task
		a.app.GetAuth(taskPath(task.ID, ""), c.token).Data(t, &got)
		if got.ID != task.ID {
			t.Fatalf("got %s", got.ID)
		}
	}
	wantError(t, a.app.GetAuth(taskPath(task.ID, ""), other.token), http.StatusNotFound, "NOT_FOUND")
	wantError(t, a.app.GetAuth(taskPath(uuid.New(), ""), owner.token), http.StatusNotFound, "NOT_FOUND")
	wantError(t, a.app.Invalid().GetAuth("/api/v1/tasks/not-a-uuid", owner.token), http.StatusBadRequest, "INVALID_QUERY")
	wantError(t, a.app.GetAuth("/api/v1/tasks/"+task.ID.String()+"/", owner.token), http.StatusNotFound, "NOT_FOUND")
}

func TestCancelPendingAndRetryingTasks(t *testing.T) {
	t.Parallel()
	a := setupTaskAPI(t)
	u := a.user(t, "user")
	pending := a.app.CreateTask(u.token, nil)
	retrying := a.app.CreateTask(u.token, nil)
	a.setStatus(t, retrying.ID, tasks.StatusRetrying)
	for _, id := range []uuid.UUID{pending.ID, retrying.ID} {
		var got tasks.Task
		a.app.PostJSONAuth(taskPath(id, "/cancel"), u.token, nil).Data(t, &got)
		if got.Status != tasks.StatusCancelled || got.CompletedAt == nil {
			t.Fatalf("cancelled task: %+v", got)
		}
	}
}

func TestCancelOtherStatesIsConflict(t *testing.T) {
	t.Parallel()
	a := setupTaskAPI(t)
	u := a.user(t, "user")
	for _, st := range []tasks.Status{tasks.StatusRunning, tasks.StatusCompleted, tasks.StatusFailed, tasks.StatusCancelled} {
		task := a.app.CreateTask(u.token, nil)
		a.setStatus(t, task.ID, st)
		wantError(t, a.app.PostJSONAuth(taskPath(task.ID, "/cancel"), u.token, nil), http.StatusConflict, "CONFLICT")
		if cur := a.app.Task(task.ID); cur.Status != st {
			t.Fatalf("%s task became %s", st, cur.Status)
		}
	}
}

func TestTaskActionsOnOthersTasks(t *testing.T) {
	t.Parallel()
	a := setupTaskAPI(t)
	owner, other, mod := a.user(t, "user"), a.user(t, "user"), a.user(t, "moderator")
	task := a.app.CreateTask(owner.token, nil)
	wantError(t, a.app.PostJSONAuth(taskPath(task.ID, "/cancel"), other.token, nil), http.StatusNotFound, "NOT_FOUND")
	wantError(t, a.app.PostJSONAuth(taskPath(task.ID, "/retry"), other.token, nil), http.StatusNotFound, "NOT_FOUND")
	wantError(t, a.app.DeleteAuth(taskPath(task.ID, ""), other.token), http.StatusNotFound, "NOT_FOUND")
	var got tasks.Task
	a.app.PostJSONAuth(taskPath(task.ID, "/cancel"), mod.token, nil).Data(t, &got)
	if got.Status != tasks.StatusCancelled {
		t.Fatalf("moderator cancel: %+v", got)
	}
	if r := a.app.DeleteAuth(taskPath(task.ID, ""), mod.token); r.Status != http.StatusOK {
		t.Fatalf("moderator delete: %d %s", r.Status, r.Body)
	}
}

func TestRetryFailedTaskResetsAttempts(t *testing.T) {
	t.Parallel()
	a := setupTaskAPI(t)
	u := a.user(t, "user")
	task := a.app.CreateTask(u.token, map[string]any{"max_attempts": 3})
	if _, err := a.app.DB.Exec(context.Background(), `UPDATE tasks SET status = 'failed', current_attempt = 3,
		last_error = 'boom', completed_at = now(), started_at = now() WHERE id = $1`, task.ID); err != nil {
		t.Fatal(err)
	}
	var got tasks.Task
	a.app.PostJSONAuth(taskPath(task.ID, "/retry"), u.token, nil).Data(t, &got)
	if got.Status != tasks.StatusPending || got.CurrentAttempt != 0 || got.CompletedAt != nil || got.StartedAt != nil {
		t.Fatalf("retried task: %+v", got)
	}
}

func TestRetryOtherStatesIsConflict(t *testing.T) {
	t.Parallel()
	a := setupTaskAPI(t)
	u := a.user(t, "user")
	for _, st := range []tasks.Status{tasks.StatusPending, tasks.StatusRunning, tasks.StatusRetrying, tasks.StatusCompleted, tasks.StatusCancelled} {
		task := a.app.CreateTask(u.token, nil)
		a.setStatus(t, task.ID, st)
		wantError(t, a.app.PostJSONAuth(taskPath(task.ID, "/retry"), u.token, nil), http.StatusConflict, "CONFLICT")
	}
	wantError(t, a.app.PostJSONAuth(taskPath(uuid.New(), "/retry"), u.token, nil), http.StatusNotFound, "NOT_FOUND")
}

func TestDeleteOnlyFinishedTasks(t *testing.T) {
	t.Parallel()
	a := setupTaskAPI(t)
	u := a.user(t, "user")
	for _, st := range []tasks.Status{tasks.StatusPending, tasks.StatusRunning, tasks.StatusRetrying} {
		task := a.app.CreateTask(u.token, nil)
		a.setStatus(t, task.ID, st)
		wantError(t, a.app.DeleteAuth(taskPath(task.ID, ""), u.token), http.StatusConflict, "CONFLICT")
	}
	for _, st := range []tasks.Status{tasks.StatusCompleted, tasks.StatusFailed, tasks.StatusCancelled} {
		task := a.app.CreateTask(u.token, nil)
		a.setStatus(t, task.ID, st)
		if r := a.app.DeleteAuth(taskPath(task.ID, ""), u.token); r.Status != http.StatusOK {
			t.Fatalf("delete %s: %d %s", st, r.Status, r.Body)
		}
		wantError(t, a.app.GetAuth(taskPath(task.ID, ""), u.token), http.StatusNotFound, "NOT_FOUND")
	}
}

func TestTaskStatsAreForModerators(t *testing.T) {
	t.Parallel()
	a := setupTaskAPI(t)
	u, mod, admin := a.user(t, "user"), a.user(t, "moderator"), a.user(t, "admin")
	for _, st := range []tasks.Status{tasks.StatusPending, tasks.StatusFailed, tasks.StatusFailed, tasks.StatusCompleted, tasks.StatusRetrying} {
		task := a.app.CreateTask(u.token, nil)
		a.setStatus(t, task.ID, st)
	}
	wantError(t, a.app.GetAuth("/api/v1/tasks/stats", u.token), http.StatusForbidden, "FORBIDDEN")
	for _, c := range []taskCaller{mod, admin} {
		var st tasks.Stats
		a.app.GetAuth("/api/v1/tasks/stats", c.token).Data(t, &st)
		want := tasks.Stats{Total: 5, Pending: 1, Retrying: 1, Completed: 1, Failed: 2}
		if st != want {
			t.Fatalf("stats %+v, want %+v", st, want)
		}
	}
}

func TestDeadLetterFiltersByOwnerBeforePaging(t *testing.T) {
	t.Parallel()
	a := setupTaskAPI(t)
	alice, bob, mod := a.user(t, "user"), a.user(t, "user"), a.user(t, "moderator")
	var aliceFailed []uuid.UUID
	for i := range 6 {
		owner := []taskCaller{alice, bob}[i%2]
		task := a.app.CreateTask(owner.token, nil)
		a.setStatus(t, task.ID, tasks.StatusFailed)
		if _, err := a.app.DB.Exec(context.Background(), `UPDATE tasks SET completed_at = now() - $2 * interval '1 minute' WHERE id = $1`,
			task.ID, 10-i); err != nil {
			t.Fatal(err)
		}
		if owner == alice {
			aliceFailed = append(aliceFailed, task.ID)
		}
	}
	a.app.CreateTask(alice.token, nil) // pending: not dead
	slices.Reverse(aliceFailed)        // most recently failed first
	var page1, page2 []tasks.Task
	a.app.GetAuth("/api/v1/tasks/dead-letter?limit=2", alice.token).Data(t, &page1)
	a.app.GetAuth("/api/v1/tasks/dead-letter?limit=2&offset=2", alice.token).Data(t, &page2)
	if got := slices.Concat(ids(page1), ids(page2)); !slices.Equal(got, aliceFailed) {
		t.Fatalf("alice's dead letter %v, want %v", got, aliceFailed)
	}
	var all []tasks.Task
	a.app.GetAuth("/api/v1/tasks/dead-letter", mod.token).Data(t, &all)
	if len(all) != 6 {
		t.Fatalf("moderator sees %d dead tasks", len(all))
	}
}

func TestTaskTypesArePublicSortedAndActiveOnly(t *testing.T) {
	t.Parallel()
	a := setupTaskAPI(t)
	a.app.RegisterTaskTypes("zeta", "alpha", "hidden")
	if _, err := a.app.DB.Exec(context.Background(), `UPDATE task_types SET is_active = false WHERE task_type = 'hidden'`); err != nil {
		t.Fatal(err)
	}
	var list []tasks.TaskType
	a.app.Get("/api/v1/tasks/types").Data(t, &list)
	var names []string
	for _, tt := range list {
		names = append(names, tt.TaskType)
	}
	if want := []string{"alpha", "email", "zeta"}; !slices.Equal(names, want) {
		t.Fatalf("types %v, want %v", names, want)
	}
}

func TestUpsertTaskTypeIsForAdmins(t *testing.T) {
	t.Parallel()
	a := setupTaskAPI(t)
	u, mod, admin := a.user(t, "user"), a.user(t, "moderator"), a.user(t, "admin")
	body := map[string]any{"task_type": "thumbnail", "description": "Make thumbnails"}
	wantError(t, a.app.PostJSON("/api/v1/tasks/types", body), http.StatusUnauthorized, "UNAUTHORIZED")
	wantError(t, a.app.PostJSONAuth("/api/v1/tasks/types", u.token, body), http.StatusForbidden, "FORBIDDEN")
	wantError(t, a.app.PostJSONAuth("/api/v1/tasks/types", mod.token, body), http.StatusForbidden, "FORBIDDEN")

	r := a.app.PostJSONAuth("/api/v1/tasks/types", admin.token, body)
	if r.Status != http.StatusCreated {
		t.Fatalf("create type: %d %s", r.Status, r.Body)
	}
	var created tasks.TaskType
	r.Data(t, &created)
	if created.TaskType != "thumbnail" || created.Description != "Make thumbnails" || !created.IsActive {
		t.Fatalf("created type %+v", created)
	}
	body["description"] = "Make smaller thumbnails"
	r = a.app.PostJSONAuth("/api/v1/tasks/types", admin.token, body)
	var updated tasks.TaskType
	r.Data(t, &updated)
	if r.Status != http.StatusOK || updated.Description != "Make smaller thumbnails" || !updated.CreatedAt.Equal(created.CreatedAt) {
		t.Fatalf("update type: %d %+v", r.Status, updated)
	}
	a.app.CreateTask(u.token, map[string]any{"task_type": "thumbnail"})
}

func TestUpsertTaskTypeValidatesTheName(t *testing.T) {
	t.Parallel()
	a := setupTaskAPI(t)
	admin := a.user(t, "admin")
	for _, name := range []string{"", "has space", "dots.not.allowed", strings.Repeat("x", 65), "émoji"} {
		r := a.app.Invalid().PostJSONAuth("/api/v1/tasks/types", admin.token, map[string]any{"task_type": name})
		if r.Status != http.StatusBadRequest || r.ErrorField() != "task_type" {
			t.Errorf("%q: want 400 on task_type, got %d %s", name, r.Status, r.Body)
		}
	}
	wantError(t, a.app.Invalid().PostJSONAuth("/api/v1/tasks/types", admin.token, map[string]any{"description": "x"}),
		http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY")
	r := a.app.Invalid().PostJSONAuth("/api/v1/tasks/types", admin.token, map[string]any{"task_type": "ok", "description": strings.Repeat("d", 1001)})
	if r.Status != http.StatusBadRequest || r.ErrorField() != "description" {
		t.Fatalf("long description: %d %s", r.Status, r.Body)
	}
}

func TestTaskRoutesAnswerJSONErrorsForWrongMethods(t *testing.T) {
	t.Parallel()
	a := setupTaskAPI(t)
	u := a.user(t, "user")
	r := a.app.PutJSONAuth("/api/v1/tasks", u.token, map[string]any{})
	wantError(t, r, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED")
	plain := a.app.NewRequest(http.MethodPost, "/api/v1/tasks", strings.NewReader(`{}`))
	plain.Header.Set("Content-Type", "text/plain")
	plain.Header.Set("Authorization", "Bearer "+u.token)
	wantError(t, a.app.Invalid().Do(plain), http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE")
	req := a.app.NewRequest(http.MethodPost, "/api/v1/tasks", strings.NewReader(`{"task_type":`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+u.token)
	wantError(t, a.app.Invalid().Do(req), http.StatusBadRequest, "MALFORMED_JSON")
}
