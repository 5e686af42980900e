package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/starter-go/starter/runtime/pgtest"
	"github.com/starter-go/starter/templates/project/internal/database"
)

func TestTaskStatsTagCountsTagsArraysAndTagStrings(t *testing.T) {
	t.Parallel()
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
	tasks := []struct{ status, metadata string }{
		{"pending", `{"tags":["eu","nightly"]}`},   // counted
		{"failed", `{"tags":["nightly"]}`},         // counted
		{"completed", `{"tag":"nightly"}`},         // counted
		{"pending", `{"tags":["weekly"]}`},         // another tag
		{"pending", `{"tags":"nightly"}`},          // not an array
		{"pending", `{"tags":{"nightly":true}}`},   // a key, not an element
		{"pending", `{"labels":["nightly"]}`},      // another field
		{"pending", `{"tags":["nightly-backup"]}`}, // a longer tag
	}
	for _, tk := range tasks {
		_, err := conn.Exec(ctx, `INSERT INTO tasks (task_type, status, metadata, current_attempt, completed_at)
			VALUES ('email', $1, $2, CASE WHEN $1 = 'pending' THEN 0 ELSE 1 END,
				CASE WHEN $1 IN ('completed', 'failed') THEN now() END)`, tk.status, tk.metadata)
		if err != nil {
			t.Fatal(err)
		}
	}
	r := run(t, map[string]string{"DATABASE_URL": dsn}, "admin", "task-stats", "--tag", "nightly")
	for _, want := range []string{"pending    1", "completed  1", "failed     1", "total      3"} {
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Fatalf("task-stats --tag nightly: exit %d, stdout %q, stderr %q; want %q", r.code, r.stdout, r.stderr, want)
		}
	}
}
