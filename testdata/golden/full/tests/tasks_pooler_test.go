package tests

import (
	"strings"
	"testing"
	"time"

	"example.com/demo/internal/apptest"
	"example.com/demo/internal/auth"
	"example.com/demo/internal/tasks"
)

// Behind a transaction pooler without a direct URL the service's worker
// does not LISTEN (it would hear nothing) and finds new tasks by polling;
// with a direct URL it wakes on notifications. Either way a task created
// through the API runs.
func TestPoolerWorkerPollsOrListens(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, wakeup string
		opt          apptest.Option
	}{
		{"polling", "polling only", apptest.WithPooler()},
		{"listening on the direct URL", "notifications", apptest.WithDirectURL()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			app := newApp(t, tc.opt)
			var data probeData
			if !apptest.Eventually(10*time.Second, func() bool {
				app.Get("/api/v1/health/detailed").Data(t, &data)
				return strings.HasSuffix(data.Checks["worker"].Message, tc.wakeup)
			}) {
				t.Fatalf("worker check %q, want it to end in %q", data.Checks["worker"].Message, tc.wakeup)
			}
			u := app.CreateAuthUser(auth.RoleUser)
			app.WaitStatus(app.CreateTask(u.Token, nil).ID, tasks.StatusCompleted)
		})
	}
}
