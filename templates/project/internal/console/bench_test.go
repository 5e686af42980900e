//go:build bench

package console_test

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/starter-go/starter/templates/project/internal/apptest"
	"github.com/starter-go/starter/templates/project/internal/auth"
	"github.com/starter-go/starter/templates/project/internal/config"
	"github.com/starter-go/starter/templates/project/internal/console"
)

// BenchmarkOverviewMillionTasks times the overview, answered whole by the
// server (health checks, accounts, the task panel: counts, the hour's
// charts, breakers, workers), over a table of 1 000 000 tasks, beside what
// counting them by a scan would cost alone (the anchor):
//
//	go test -tags bench ./internal/console -run '^$' -bench Overview -benchtime 50x
//
// It also reports the size of the embedded assets (asset-bytes).
func BenchmarkOverviewMillionTasks(b *testing.B) {
	app := apptest.New(b, apptest.WithConfig(func(c *config.Config) { c.Tasks.Worker = false }))
	fillQueue(b, app, 1_000_000)
	mod := app.CreateAuthUser(auth.RoleModerator)
	c, err := console.New(nil, nil, nil, console.Settings{})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("overview", func(b *testing.B) {
		req, err := http.NewRequest(http.MethodGet, app.URL+"/console", nil)
		if err != nil {
			b.Fatal(err)
		}
		req.AddCookie(&http.Cookie{Name: console.SessionCookie, Value: mod.Token})
		for b.Loop() {
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("overview: %d", resp.StatusCode)
			}
		}
		b.ReportMetric(float64(c.AssetsSize()), "asset-bytes")
	})
	b.Run("scan", func(b *testing.B) {
		for b.Loop() {
			rows, err := app.DB.Query(context.Background(), `SELECT task_type, status, count(*) FROM tasks GROUP BY 1, 2`)
			if err != nil {
				b.Fatal(err)
			}
			rows.Close()
		}
	})
}

// fillQueue inserts n tasks over six types in every status, and moves a
// tenth of them through claim and outcome within the last hour, so that the
// per-minute figures have something to draw. The triggers count them as
// they would in service.
func fillQueue(b *testing.B, app *apptest.TestApp, n int) {
	b.Helper()
	ctx := context.Background()
	start := time.Now()
	app.RegisterTaskTypes("t0", "t1", "t2", "t3", "t4", "t5")
	steps := []string{
		`INSERT INTO tasks (task_type, status, priority, completed_at, last_error)
			SELECT 't' || (i % 6), s, i % 4, CASE WHEN s IN ('completed', 'failed', 'cancelled') THEN now() - (i % 86400) * interval '1 second' END,
				CASE WHEN s = 'failed' THEN 'error ' || (i % 7) END
			FROM generate_series(1, $1::int) AS i,
			LATERAL (SELECT (ARRAY['completed','completed','completed','completed','completed','completed','failed','cancelled','pending','retrying'])[1 + i % 10] AS s) AS st`,
		`UPDATE tasks SET status = 'running', locked_by = 'bench', lease_expires_at = now() + interval '1 hour',
			started_at = now() WHERE status = 'pending' AND priority = 0`,
		`UPDATE tasks SET status = 'completed', completed_at = now(), locked_by = NULL, lease_expires_at = NULL
			WHERE status = 'running'`,
		`VACUUM ANALYZE tasks`,
	}
	for _, sql := range steps {
		var err error
		if sql[0] == 'I' {
			_, err = app.DB.Exec(ctx, sql, n)
		} else {
			_, err = app.DB.Exec(ctx, sql)
		}
		if err != nil {
			b.Fatalf("fill the queue: %v", err)
		}
	}
	b.Logf("%d tasks inserted and counted in %v", n, time.Since(start).Round(time.Millisecond))
}
