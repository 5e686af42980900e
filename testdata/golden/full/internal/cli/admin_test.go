package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"example.com/demo/internal/buildinfo"
	"example.com/demo/internal/database"
	"example.com/demo/internal/platform/pgtest"
)

// taskDatabase is a migrated database holding tasks in the given states
// (completed ones finished ten days ago; the first two tagged "nightly").
func taskDatabase(t *testing.T, statuses ...string) string {
	t.Helper()
	m, err := database.NewMigrator()
	if err != nil {
		t.Fatal(err)
	}
	dsn := pgtest.NewDatabase(t, m)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `INSERT INTO task_types (task_type) VALUES ('email')`); err != nil {
		t.Fatal(err)
	}
	for i, st := range statuses {
		meta := `{}`
		if i < 2 {
			meta = `{"tag":"nightly"}`
		}
		_, err := conn.Exec(ctx, `INSERT INTO tasks (task_type, status, metadata, current_attempt, completed_at, locked_by, lease_expires_at)
			VALUES ('email', $1, $2, CASE WHEN $1 = 'pending' THEN 0 ELSE 1 END,
				CASE WHEN $1 IN ('completed', 'failed', 'cancelled') THEN now() - interval '10 days' END,
				CASE WHEN $1 = 'running' THEN 'w' END, CASE WHEN $1 = 'running' THEN now() + interval '1 hour' END)`, st, meta)
		if err != nil {
			t.Fatal(err)
		}
	}
	return dsn
}

func TestAdminTaskCommandsOnRealDatabase(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DATABASE_URL": taskDatabase(t, "completed", "pending", "failed", "completed", "running")}
	steps := []struct {
		args []string
		want []string
	}{
		{[]string{"admin", "task-stats"}, []string{"pending    1", "running    1", "completed  2", "failed     1", "total      5"}},
		{[]string{"admin", "task-stats", "--tag", "nightly"}, []string{"pending    1", "completed  1", "total      2"}},
		{[]string{"admin", "list-tasks", "--status", "failed"}, []string{"ID", "email  failed"}},
		{[]string{"admin", "clear-completed", "--older-than-days", "30"}, []string{"deleted 0 completed task(s) older than 30 day(s)"}},
		{[]string{"admin", "clear-completed", "--older-than-days", "7", "--dry-run"}, []string{"would delete 2 completed task(s)"}},
		{[]string{"admin", "clear-completed", "--older-than-days", "7"}, []string{"deleted 2 completed task(s)"}},
		{[]string{"admin", "task-stats"}, []string{"completed  0", "total      3"}},
	}
	for _, s := range steps {
		r := run(t, env, s.args...)
		for _, want := range s.want {
			if r.code != 0 || !strings.Contains(r.stdout, want) {
				t.Fatalf("%v: exit %d, stdout %q, stderr %q; want %q", s.args, r.code, r.stdout, r.stderr, want)
			}
		}
	}
	if r := run(t, env, "admin", "list-tasks"); strings.Count(r.stdout, "\n") != 4 {
		t.Fatalf("list-tasks: want a header and 3 tasks, got %q", r.stdout)
	}
}

func TestAdminAndWorkerUsageErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"admin", "clear-completed", "--older-than-days", "-1"}, 2, "must be at least 0"},
		{[]string{"admin", "list-tasks", "--limit", "0"}, 2, "must be 1–1000"},
		{[]string{"admin", "list-tasks", "--status", "done"}, 2, `--status "done"`},
		{[]string{"admin", "vacuum"}, 2, `unknown command "vacuum"`},
		{[]string{"worker", "--concurrency", "0"}, 1, "TASKS_CONCURRENCY: must be 1–10000"},
		{[]string{"worker", "extra"}, 2, "unknown command"},
	}
	for _, tc := range cases {
		r := run(t, map[string]string{"DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"}, tc.args...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.stderr) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d with %q", tc.args, r.code, r.stderr, tc.code, tc.stderr)
		}
	}
}

func TestWorkerCommandRunsTasksAndStopsOnSignal(t *testing.T) {
	t.Parallel()
	dsn := taskDatabase(t, "pending")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env := map[string]string{"DATABASE_URL": dsn, "CONFIG_DIR": t.TempDir(), "LOG_LEVEL": "warn"}
	var stdout, stderr bytes.Buffer
	exit := make(chan int, 1)
	go func() {
		exit <- Main(ctx, []string{buildinfo.Name, "worker", "--concurrency", "2"}, func(k string) string { return env[k] },
			strings.NewReader(""), &stdout, &stderr)
	}()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	// The pending email task has an empty payload: the worker runs it and
	// fails it for good (a payload no attempt can fix).
	deadline := time.Now().Add(30 * time.Second)
	var status string
	for status != "failed" && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		if err := conn.QueryRow(context.Background(), `SELECT status FROM tasks`).Scan(&status); err != nil {
			t.Fatal(err)
		}
	}
	if status != "failed" {
		t.Fatalf("task still %s; stderr %s", status, stderr.String())
	}
	cancel()
	if code := <-exit; code != 0 || !strings.Contains(stderr.String(), "running 2 tasks at once") {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
}
