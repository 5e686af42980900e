package tasks_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/starter-go/starter/templates/project/internal/apptest"
	"github.com/starter-go/starter/templates/project/internal/auth"
	"github.com/starter-go/starter/templates/project/internal/config"
	"github.com/starter-go/starter/templates/project/internal/tasks"
)

// The database-side costs of this package's rules, each beside the same
// work without the rule. The variants take turns within each iteration and
// each reports its own mean (ns/<variant>), so that a busy machine weighs
// on all of them alike:
//
//	go test ./internal/tasks -run '^$' -bench . -benchtime 300x -count 3
//
// Compare the figures of one line; the absolute values depend on the machine.

func benchApp(b *testing.B) *apptest.TestApp {
	b.Helper()
	return apptest.New(b, apptest.WithConfig(func(c *config.Config) { c.Tasks.Worker = false }))
}

// variant is one side of a comparison: its total time over the iterations.
// chore, when set, runs untimed before each turn.
type variant struct {
	name  string
	chore func()
	run   func() error
	total time.Duration
}

func (v *variant) timed(b *testing.B) {
	if v.chore != nil {
		b.StopTimer()
		v.chore()
		b.StartTimer()
	}
	start := time.Now()
	if err := v.run(); err != nil {
		b.Fatalf("%s: %v", v.name, err)
	}
	v.total += time.Since(start)
}

func report(b *testing.B, vs []*variant, n int) {
	for _, v := range vs {
		b.ReportMetric(float64(v.total.Nanoseconds())/float64(n), "ns/"+v.name)
	}
}

// BenchmarkClaim claims 50 due tasks of six types, in turns on three
// databases: one where nothing is paused; one where the sixth type is
// paused with 20 000 tasks older than all the others, at the head of the
// queue; and the same with those tasks left unmarked, as a pause that only
// filtered types in the claim would leave them (the walk then passes them
// at every claim).
func BenchmarkClaim(b *testing.B) {
	ctx := context.Background()
	types := []string{"t0", "t1", "t2", "t3", "t4", "t5"}
	setups := []struct{ name, pause string }{
		{"nothing_paused", ``},
		{"paused_backlog", `UPDATE tasks SET paused = true WHERE task_type = 't5'`},
		{"paused_backlog_unmarked", `SELECT 1`},
	}
	var vs []*variant
	for _, st := range setups {
		ta := benchApp(b)
		ta.RegisterTaskTypes(types...)
		if st.pause != "" {
			if _, err := ta.DB.Exec(ctx, `UPDATE task_types SET paused = true WHERE task_type = 't5'`); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := ta.DB.Exec(ctx, `INSERT INTO tasks (task_type, scheduled_at)
			SELECT 't5', now() - interval '1 day' - (i || ' ms')::interval FROM generate_series(1, 20000) i`); err != nil {
			b.Fatal(err)
		}
		if st.pause != "" {
			if _, err := ta.DB.Exec(ctx, st.pause); err != nil {
				b.Fatal(err)
			}
		}
		fill := func() {
			if _, err := ta.DB.Exec(ctx, `INSERT INTO tasks (task_type, scheduled_at)
				SELECT 't' || (i % 5), now() - (i || ' ms')::interval FROM generate_series(1, 30000) i`); err != nil {
				b.Fatal(err)
			}
			if _, err := ta.DB.Exec(ctx, `VACUUM ANALYZE tasks`); err != nil {
				b.Fatal(err)
			}
		}
		fill()
		turns := 0
		chore := func() {
			// What autovacuum does to a busy queue: without it every claim
			// walks past the index entries of the tasks claimed before.
			switch turns++; {
			case turns%550 == 0:
				fill()
			case turns%20 == 0:
				if _, err := ta.DB.Exec(ctx, `VACUUM tasks`); err != nil {
					b.Fatal(err)
				}
			}
		}
		claim := func() error { return claim50(ctx, ta, tasks.ClaimSQL, types) }
		vs = append(vs, &variant{name: st.name, chore: chore, run: claim})
	}
	n := 0
	for b.Loop() {
		for _, v := range vs {
			v.timed(b)
		}
		vs = append(vs[1:], vs[0]) // none always goes first
		n++
	}
	report(b, vs, n)
}

func claim50(ctx context.Context, ta *apptest.TestApp, sql string, types []string) error {
	rows, err := ta.DB.Query(ctx, sql, 50, types, "bench", time.Minute.Microseconds())
	if err != nil {
		return err
	}
	n := 0
	for rows.Next() {
		n++
	}
	if rows.Close(); rows.Err() != nil || n != 50 {
		return fmt.Errorf("claimed %d: %w", n, rows.Err())
	}
	return nil
}

// BenchmarkCreate inserts tasks in turns: the plain insert (Create); the
// API's checks (CreateWithin) without quotas, i.e. the role only; with the
// default quotas for a user without tasks; and for a user just under both
// (119 creations this minute, 999 waiting), where the counts cost the most.
// The tasks of a turn are removed after it (untimed), so each turn finds
// the same counts.
func BenchmarkCreate(b *testing.B) {
	ta := benchApp(b)
	ctx := context.Background()
	ta.RegisterTaskTypes("email")
	store := tasks.NewStore(ta.DB)
	fresh := ta.CreateUser(apptest.UserOptions{Role: auth.RoleUser}).ID
	busy := ta.CreateUser(apptest.UserOptions{Role: auth.RoleUser}).ID
	if _, err := ta.DB.Exec(ctx, `INSERT INTO tasks (task_type, created_by, created_at)
		SELECT 'email', $1, CASE WHEN i <= 119 THEN now() ELSE now() - interval '1 hour' END
		FROM generate_series(1, 999) i`, busy); err != nil {
		b.Fatal(err)
	}
	newTask := func(user uuid.UUID) tasks.NewTask {
		return tasks.NewTask{TaskType: "email", Payload: json.RawMessage(`{}`), Metadata: json.RawMessage(`{}`),
			MaxAttempts: 5, CreatedBy: &user}
	}
	quota := tasks.Quota{PerMinute: 120, Waiting: 1000}
	var created []uuid.UUID
	keep := func(t *tasks.Task, err error) error {
		if err == nil {
			created = append(created, t.ID)
		}
		return err
	}
	vs := []*variant{
		{name: "insert", run: func() error { return keep(store.Create(ctx, newTask(fresh))) }},
		{name: "role_check", run: func() error { return keep(store.CreateWithin(ctx, newTask(fresh), tasks.Quota{})) }},
		{name: "quota_check", run: func() error { return keep(store.CreateWithin(ctx, newTask(fresh), quota)) }},
		{name: "quota_check_119_999", run: func() error {
			return keep(store.CreateWithin(ctx, newTask(busy), quota))
		}},
	}
	n := 0
	for b.Loop() {
		for _, v := range vs {
			v.timed(b)
		}
		b.StopTimer()
		if _, err := ta.DB.Exec(ctx, `DELETE FROM tasks WHERE id = ANY($1)`, created); err != nil {
			b.Fatal(err)
		}
		created = created[:0]
		b.StartTimer()
		n++
	}
	report(b, vs, n)
}
