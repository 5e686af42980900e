//go:build bench

// Built only with -tags bench: starter's own measurements, left out of generated projects.

package tests

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/starter-go/starter/templates/project/internal/apptest"
	"github.com/starter-go/starter/templates/project/internal/auth"
	"github.com/starter-go/starter/templates/project/internal/config"
	"github.com/starter-go/starter/templates/project/internal/tasks"
)

// BenchmarkTaskPickup measures how long a task created through the API on
// an idle queue waits before the worker starts it (started_at − created_at,
// both the database's clock), with LISTEN (a direct URL) and by polling
// alone (behind a transaction pooler without one), at the production poll
// interval, 1 s. Reported: the mean and the worst wait. Run:
//
//	go run ./templates/project/cmd/app test-db run --pgbouncer -- go test -tags bench \
//	    ./templates/project/tests/ -run '^$' -bench BenchmarkTaskPickup -benchtime 20x
func BenchmarkTaskPickup(b *testing.B) {
	production := apptest.WithConfig(func(c *config.Config) { c.Tasks.PollInterval = time.Second })
	for _, mode := range []struct {
		name string
		opt  apptest.Option
	}{{"listen", apptest.WithDirectURL()}, {"poll", apptest.WithPooler()}} {
		b.Run(mode.name, func(b *testing.B) {
			app := apptest.New(b, production, mode.opt)
			u := app.CreateAuthUser(auth.RoleUser)
			var waits []time.Duration
			for range b.N {
				// Created between polls, at a point of the interval that varies.
				time.Sleep(time.Duration(len(waits)%7) * 130 * time.Millisecond)
				id := app.CreateTask(u.Token, nil).ID
				app.WaitStatus(id, tasks.StatusCompleted)
				var us int64
				if err := app.DB.QueryRow(context.Background(),
					`SELECT (extract(epoch FROM started_at - created_at) * 1e6)::bigint FROM tasks WHERE id = $1`, id).
					Scan(&us); err != nil {
					b.Fatal(err)
				}
				waits = append(waits, time.Duration(us)*time.Microsecond)
			}
			var sum time.Duration
			for _, d := range waits {
				sum += d
			}
			b.ReportMetric(float64(sum.Milliseconds())/float64(len(waits)), "ms-mean")
			b.ReportMetric(float64(slices.Max(waits).Milliseconds()), "ms-max")
		})
	}
}
