package tests

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/starter-go/starter/templates/project/internal/apptest"
	"github.com/starter-go/starter/templates/project/internal/config"
	"github.com/starter-go/starter/templates/project/internal/tasks"
)

// consoleTasks is a console without a worker, over tasks of types no
// worker runs, put in each status by SQL.
func setupConsoleTasks(t *testing.T) consoleApp {
	t.Helper()
	a := setupConsole(t, apptest.WithConfig(func(c *config.Config) { c.Tasks.Worker = false }))
	a.app.RegisterTaskTypes("alpha", "beta")
	return a
}

// taskIn inserts a task of taskType and puts it in status, failed ones
// with lastError.
func taskIn(t *testing.T, app *apptest.TestApp, taskType string, status tasks.Status, lastError string, owner *uuid.UUID) uuid.UUID {
	t.Helper()
	task := app.InsertTask(tasks.NewTask{TaskType: taskType, Priority: tasks.PriorityNormal, CreatedBy: owner})
	var err error
	switch status {
	case tasks.StatusPending:
	case tasks.StatusRunning:
		_, err = app.DB.Exec(context.Background(), `UPDATE tasks SET status = 'running', locked_by = 'w', lease_expires_at = now() + interval '1 hour',
			started_at = now(), current_attempt = 1 WHERE id = $1`, task.ID)
	default:
		_, err = app.DB.Exec(context.Background(), `UPDATE tasks SET status = $2, completed_at = now(), started_at = now(),
			last_error = nullif($3, '') WHERE id = $1`, task.ID, status, lastError)
	}
	if err != nil {
		t.Fatal(err)
	}
	return task.ID
}

func taskStatus(t *testing.T, app *apptest.TestApp, id uuid.UUID) tasks.Status {
	t.Helper()
	var s tasks.Status
	err := app.DB.QueryRow(context.Background(), `SELECT status FROM tasks WHERE id = $1`, id).Scan(&s)
	if err != nil {
		return "gone"
	}
	return s
}

// wantCounts holds the console's counters to a count of the table itself.
func wantCounts(t *testing.T, app *apptest.TestApp) {
	t.Helper()
	ctx := context.Background()
	rows, err := app.DB.Query(ctx, `SELECT task_type, status, count(*) FROM tasks GROUP BY 1, 2 ORDER BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	var want []tasks.Count
	for rows.Next() {
		var c tasks.Count
		if err := rows.Scan(&c.TaskType, &c.Status, &c.N); err != nil {
			t.Fatal(err)
		}
		want = append(want, c)
	}
	store := tasks.NewStore(app.DB)
	for _, compact := range []bool{false, true} {
		if compact {
			if err := store.CompactCounts(ctx); err != nil {
				t.Fatal(err)
			}
		}
		got, err := store.Counts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("counts (compacted %v):\n got %v\nwant %v", compact, got, want)
		}
	}
}

// The counters the overview reads follow every way a task changes: insert,
// each transition, a change of type, delete, bulk statements, truncate.
func TestConsoleCountersFollowTheTable(t *testing.T) {
	t.Parallel()
	a := setupConsoleTasks(t)
	ctx := context.Background()
	ids := []uuid.UUID{}
	for _, s := range []tasks.Status{tasks.StatusPending, tasks.StatusRunning, tasks.StatusFailed, tasks.StatusCompleted, tasks.StatusCancelled} {
		ids = append(ids, taskIn(t, a.app, "alpha", s, "boom", nil), taskIn(t, a.app, "beta", s, "", nil))
	}
	wantCounts(t, a.app)
	steps := []string{
		`UPDATE tasks SET updated_at = now()`, // moves nothing
		`UPDATE tasks SET status = 'retrying', locked_by = NULL, lease_expires_at = NULL WHERE status = 'running'`,
		`UPDATE tasks SET task_type = 'beta' WHERE task_type = 'alpha' AND status = 'failed'`,
		`DELETE FROM tasks WHERE status = 'completed'`,
		`INSERT INTO tasks (task_type) SELECT 'alpha' FROM generate_series(1, 50)`,
		`UPDATE tasks SET status = 'cancelled', completed_at = now() WHERE status = 'pending'`,
	}
	for _, sql := range steps {
		if _, err := a.app.DB.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		wantCounts(t, a.app)
	}
	// The console's own actions, through the store.
	store := tasks.NewStore(a.app.DB)
	if _, err := store.Retry(ctx, ids[5], nil); err != nil {
		t.Fatal(err)
	}
	wantCounts(t, a.app)
	if _, err := a.app.DB.Exec(ctx, `TRUNCATE tasks`); err != nil {
		t.Fatal(err)
	}
	wantCounts(t, a.app)
}

// A task run by a worker is counted through its claim and its outcome, and
// its minute says it started, how long it waited and that it completed (the
// worker writes its figures per minute with its reports, every Lease/3);
// the worker reports itself alive with its breakers.
func TestConsoleCountsWhatTheWorkerDoes(t *testing.T) {
	t.Parallel()
	app := newApp(t, apptest.WithConfig(func(c *config.Config) { c.Tasks.Lease = 600 * time.Millisecond }))
	app.RegisterTaskTypes(tasks.TypeEmail) // the worker does too, as it starts
	u := app.CreateAuthUser("user")
	task := app.CreateTask(u.Token, nil)
	app.WaitStatus(task.ID, tasks.StatusCompleted)
	wantCounts(t, app)
	var m tasks.Minute
	if !apptest.Eventually(30*time.Second, func() bool {
		m = minuteTotals(t, app)
		return m.Started > 0 && m.Completed > 0
	}) || m.Started != 1 || m.Completed != 1 || m.Failed != 0 || m.WaitMS < 0 || m.WaitMaxMS != m.WaitMS {
		t.Fatalf("figures per minute %+v: want 1 started and 1 completed", m)
	}
	store := tasks.NewStore(app.DB)
	if !apptest.Eventually(30*time.Second, func() bool {
		w, err := store.Workers(context.Background(), time.Minute)
		return err == nil && len(w) == 1 && w[0].Breakers[tasks.TypeEmail] == "closed"
	}) {
		t.Fatal("the worker never reported itself with its breakers")
	}
}

// The overview shows the counts per status and type, the paused types,
// the charts and the workers; the task pages are for moderators too.
func TestConsoleOverviewTasks(t *testing.T) {
	t.Parallel()
	a := setupConsoleTasks(t)
	for range 3 {
		taskIn(t, a.app, "alpha", tasks.StatusFailed, "boom", nil)
	}
	taskIn(t, a.app, "beta", tasks.StatusPending, "", nil)
	if _, err := tasks.NewStore(a.app.DB).SetPaused(context.Background(), "beta", true); err != nil {
		t.Fatal(err)
	}
	r := a.app.Console(a.mod.Token).Get("/console")
	wantPage(t, r, http.StatusOK, "Task types", "Throughput", "Wait from due to start", "<svg", "Workers alive",
		`<strong>beta</strong>`, `action="/console/types/beta/resume"`, `action="/console/types/alpha/pause"`)
	body := string(r.Body)
	if !strings.Contains(body, `<dd class="s-failed">3</dd>`) || !strings.Contains(body, `<dd class="s-pending">1</dd>`) {
		t.Fatalf("the overview does not count 3 failed and 1 pending:\n%s", body)
	}
	for _, p := range []string{"/console", "/console/tasks", "/console/dead-letter"} {
		wantPage(t, a.app.Console(a.user.Token).Get(p), http.StatusForbidden)
		wantPage(t, a.app.Console(a.admin.Token).Get(p), http.StatusOK)
	}
}

// The list filters by status, type, priority and owner; a bad filter is
// 400, an unknown owner an empty list that says so.
func TestConsoleTaskList(t *testing.T) {
	t.Parallel()
	a := setupConsoleTasks(t)
	owned := taskIn(t, a.app, "alpha", tasks.StatusPending, "", &a.user.ID)
	failed := taskIn(t, a.app, "beta", tasks.StatusFailed, "boom", nil)
	high := a.app.InsertTask(tasks.NewTask{TaskType: "alpha", Priority: tasks.PriorityHigh}).ID
	mod := a.app.Console(a.mod.Token)
	cases := []struct {
		query    string
		want     []uuid.UUID
		wantNot  []uuid.UUID
		contains string
	}{
		{"", []uuid.UUID{owned, failed, high}, nil, ""},
		{"status=failed", []uuid.UUID{failed}, []uuid.UUID{owned, high}, ""},
		{"type=alpha", []uuid.UUID{owned, high}, []uuid.UUID{failed}, ""},
		{"priority=high", []uuid.UUID{high}, []uuid.UUID{owned, failed}, ""},
		{"owner=" + strings.ToUpper(a.user.Username), []uuid.UUID{owned}, []uuid.UUID{failed, high}, a.user.Username},
		{"owner=nobody_here", nil, []uuid.UUID{owned, failed, high}, "No user is called nobody_here"},
	}
	for _, c := range cases {
		r := mod.Get("/console/tasks?" + c.query)
		wantPage(t, r, http.StatusOK, c.contains)
		for _, id := range c.want {
			if !strings.Contains(string(r.Body), id.String()) {
				t.Errorf("%q does not list %s", c.query, id)
			}
		}
		for _, id := range c.wantNot {
			if strings.Contains(string(r.Body), id.String()) {
				t.Errorf("%q lists %s", c.query, id)
			}
		}
	}
	wantPage(t, mod.Get("/console/tasks?status=lost"), http.StatusBadRequest)
	wantPage(t, mod.Get("/console/tasks?priority=urgent"), http.StatusBadRequest)
	wantPage(t, mod.Get("/console/tasks/"+failed.String()), http.StatusOK, "boom", `action="/console/tasks/`+failed.String()+`/retry"`)
	// The trace of the request that created a task, when it was traced.
	if _, err := a.app.DB.Exec(context.Background(), `UPDATE tasks SET trace_context =
		'{"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}' WHERE id = $1`, failed); err != nil {
		t.Fatal(err)
	}
	wantPage(t, mod.Get("/console/tasks/"+failed.String()), http.StatusOK, `<code id="trace-id">4bf92f3577b34da6a3ce929d0e0e4736</code>`)
	wantPage(t, mod.Get("/console/tasks/"+uuid.NewString()), http.StatusNotFound)
	wantPage(t, mod.Get("/console/tasks/not-an-id"), http.StatusNotFound)
}

// Retry, cancel and delete ask first, then follow the API's rules: each
// only from the statuses that allow it (409 otherwise).
func TestConsoleTaskActions(t *testing.T) {
	t.Parallel()
	a := setupConsoleTasks(t)
	mod := a.app.Console(a.mod.Token)
	failed := taskIn(t, a.app, "alpha", tasks.StatusFailed, "boom", nil)
	pending := taskIn(t, a.app, "alpha", tasks.StatusPending, "", nil)
	done := taskIn(t, a.app, "alpha", tasks.StatusCompleted, "", nil)
	running := taskIn(t, a.app, "alpha", tasks.StatusRunning, "", nil)
	yes := url.Values{"confirm": {"yes"}}

	wantPage(t, mod.Post("/console/tasks/"+failed.String()+"/retry", nil), http.StatusOK, "Retry task "+failed.String()+"?")
	if taskStatus(t, a.app, failed) != tasks.StatusFailed {
		t.Fatal("retried before the confirmation")
	}
	cases := []struct {
		id     uuid.UUID
		action string
		status int
		after  tasks.Status
	}{
		{failed, "retry", http.StatusSeeOther, tasks.StatusPending},
		{pending, "retry", http.StatusConflict, tasks.StatusPending},
		{running, "cancel", http.StatusConflict, tasks.StatusRunning},
		{pending, "cancel", http.StatusSeeOther, tasks.StatusCancelled},
		{running, "delete", http.StatusConflict, tasks.StatusRunning},
		{done, "delete", http.StatusSeeOther, "gone"},
	}
	for _, c := range cases {
		r := mod.Post("/console/tasks/"+c.id.String()+"/"+c.action, yes)
		if r.Status != c.status || taskStatus(t, a.app, c.id) != c.after {
			t.Errorf("%s %s: %d and %s, want %d and %s", c.action, c.id, r.Status, taskStatus(t, a.app, c.id), c.status, c.after)
		}
	}
	wantPage(t, a.app.Console(a.user.Token).Post("/console/tasks/"+running.String()+"/cancel", yes), http.StatusForbidden)
	// The session's token is required here too.
	wantPage(t, mod.Post("/console/tasks/"+failed.String()+"/cancel", url.Values{"confirm": {"yes"}, "csrf": {"x"}}), http.StatusForbidden)
	if taskStatus(t, a.app, failed) != tasks.StatusPending {
		t.Fatal("a forged form cancelled the task")
	}
}

// A bulk action applies to each ticked task the rule of one: the others
// are left as they were.
func TestConsoleBulkActions(t *testing.T) {
	t.Parallel()
	a := setupConsoleTasks(t)
	mod := a.app.Console(a.mod.Token)
	f1 := taskIn(t, a.app, "alpha", tasks.StatusFailed, "boom", nil)
	f2 := taskIn(t, a.app, "beta", tasks.StatusFailed, "bang", nil)
	p := taskIn(t, a.app, "alpha", tasks.StatusPending, "", nil)
	untouched := taskIn(t, a.app, "alpha", tasks.StatusFailed, "boom", nil)
	form := url.Values{"action": {"retry"}, "id": {f1.String(), f2.String(), p.String()}}
	wantPage(t, mod.Post("/console/tasks/bulk", form), http.StatusOK, "Retry 3 task(s)?")
	form.Set("confirm", "yes")
	r := mod.Post("/console/tasks/bulk", form)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("bulk retry: %d %s", r.Status, r.Body)
	}
	for id, want := range map[uuid.UUID]tasks.Status{f1: tasks.StatusPending, f2: tasks.StatusPending, p: tasks.StatusPending, untouched: tasks.StatusFailed} {
		if got := taskStatus(t, a.app, id); got != want {
			t.Errorf("%s: %s, want %s", id, got, want)
		}
	}
	form = url.Values{"action": {"cancel"}, "id": {f1.String(), p.String()}, "confirm": {"yes"}}
	wantPage(t, mod.Post("/console/tasks/bulk", form), http.StatusSeeOther)
	if taskStatus(t, a.app, f1) != tasks.StatusCancelled || taskStatus(t, a.app, p) != tasks.StatusCancelled {
		t.Fatal("bulk cancel")
	}
	form = url.Values{"action": {"delete"}, "id": {f1.String(), untouched.String(), f2.String()}, "confirm": {"yes"}}
	wantPage(t, mod.Post("/console/tasks/bulk", form), http.StatusSeeOther)
	if taskStatus(t, a.app, f1) != "gone" || taskStatus(t, a.app, untouched) != "gone" || taskStatus(t, a.app, f2) != tasks.StatusPending {
		t.Fatal("bulk delete")
	}
	wantPage(t, mod.Post("/console/tasks/bulk", url.Values{"action": {"explode"}, "id": {p.String()}, "confirm": {"yes"}}), http.StatusBadRequest)
	wantPage(t, mod.Post("/console/tasks/bulk", url.Values{"action": {"retry"}, "confirm": {"yes"}}), http.StatusBadRequest)
}

// The dead letter groups failed tasks by type and error; "retry all in
// this group" retries that group and nothing else.
func TestConsoleDeadLetterGroups(t *testing.T) {
	t.Parallel()
	a := setupConsoleTasks(t)
	mod := a.app.Console(a.mod.Token)
	var boom, bang []uuid.UUID
	for range 3 {
		boom = append(boom, taskIn(t, a.app, "alpha", tasks.StatusFailed, "connection refused", nil))
	}
	bang = append(bang, taskIn(t, a.app, "alpha", tasks.StatusFailed, "timeout <script>", nil))
	other := taskIn(t, a.app, "beta", tasks.StatusFailed, "connection refused", nil)
	r := mod.Get("/console/dead-letter")
	wantPage(t, r, http.StatusOK, "connection refused", "timeout &lt;script&gt;", `<td class="num">3</td>`)
	if strings.Contains(string(r.Body), "timeout <script>") {
		t.Fatal("an error is not escaped")
	}
	form := url.Values{"task_type": {"alpha"}, "error": {"connection refused"}}
	wantPage(t, mod.Post("/console/dead-letter/retry", form), http.StatusOK, "Retry every failed alpha task")
	form.Set("confirm", "yes")
	wantPage(t, mod.Post("/console/dead-letter/retry", form), http.StatusSeeOther)
	for _, id := range boom {
		if taskStatus(t, a.app, id) != tasks.StatusPending {
			t.Errorf("%s was not retried", id)
		}
	}
	for _, id := range append(bang, other) {
		if taskStatus(t, a.app, id) != tasks.StatusFailed {
			t.Errorf("%s of another group was retried", id)
		}
	}
}

// Pausing a type from the console marks it and its waiting tasks, as the
// API does; resuming undoes both. An unknown type is 404.
func TestConsolePauseResume(t *testing.T) {
	t.Parallel()
	a := setupConsoleTasks(t)
	mod := a.app.Console(a.mod.Token)
	waiting := taskIn(t, a.app, "alpha", tasks.StatusPending, "", nil)
	paused := func() (typePaused, taskPaused bool) {
		t.Helper()
		err := a.app.DB.QueryRow(context.Background(), `SELECT tt.paused, t.paused FROM task_types tt, tasks t
			WHERE tt.task_type = 'alpha' AND t.id = $1`, waiting).Scan(&typePaused, &taskPaused)
		if err != nil {
			t.Fatal(err)
		}
		return typePaused, taskPaused
	}
	wantPage(t, mod.Post("/console/types/alpha/pause", nil), http.StatusOK, "Pause task type alpha?")
	if tp, _ := paused(); tp {
		t.Fatal("paused before the confirmation")
	}
	yes := url.Values{"confirm": {"yes"}}
	for _, c := range []struct {
		action string
		want   bool
	}{{"pause", true}, {"resume", false}} {
		r := mod.Post("/console/types/alpha/"+c.action, yes)
		if tp, tk := paused(); r.Status != http.StatusSeeOther || tp != c.want || tk != c.want {
			t.Fatalf("%s: %d, type paused %v, task paused %v", c.action, r.Status, tp, tk)
		}
	}
	wantPage(t, mod.Post("/console/types/nope/pause", yes), http.StatusNotFound)
	wantPage(t, a.app.Console(a.user.Token).Post("/console/types/alpha/pause", yes), http.StatusForbidden)
}
