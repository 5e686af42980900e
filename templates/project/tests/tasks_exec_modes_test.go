package tests

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/starter-go/starter/templates/project/internal/apptest"
	"github.com/starter-go/starter/templates/project/internal/auth"
	"github.com/starter-go/starter/templates/project/internal/tasks"
)

// Each request of the task API, and the worker's claim, heartbeat and
// batched completion (uuid[] and jsonb[] arrays), succeed in every query
// exec mode.
func TestExecModesTasks(t *testing.T) {
	t.Parallel()
	forEachExecMode(t, func(t *testing.T, app *apptest.TestApp) {
		u := app.CreateAuthUser(auth.RoleModerator)
		var data probeData
		if !apptest.Eventually(10*time.Second, func() bool { // its types are registered by then
			app.Get("/api/v1/health/detailed").Data(t, &data)
			return strings.HasPrefix(data.Checks["worker"].Message, "running")
		}) {
			t.Fatalf("worker not running: %q", data.Checks["worker"].Message)
		}
		var ids []uuid.UUID
		for range 3 {
			ids = append(ids, app.CreateTask(u.Token, nil).ID)
		}
		for _, id := range ids {
			app.WaitStatus(id, tasks.StatusCompleted)
		}
		later := app.CreateTask(u.Token, map[string]any{"scheduled_at": time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)}).ID
		for _, step := range []struct {
			name string
			do   func() *apptest.Response
		}{
			{"list", func() *apptest.Response {
				return app.GetAuth("/api/v1/tasks?status=completed&task_type="+tasks.TypeEmail+"&limit=10", u.Token)
			}},
			{"get", func() *apptest.Response { return app.GetAuth(taskPath(ids[0], ""), u.Token) }},
			{"stats", func() *apptest.Response { return app.GetAuth("/api/v1/tasks/stats", u.Token) }},
			{"dead letter", func() *apptest.Response { return app.GetAuth("/api/v1/tasks/dead-letter", u.Token) }},
			{"types", func() *apptest.Response { return app.Get("/api/v1/tasks/types") }},
			{"pause", func() *apptest.Response {
				return app.PostJSONAuth("/api/v1/tasks/types/"+tasks.TypeEmail+"/pause", u.Token, nil)
			}},
			{"resume", func() *apptest.Response {
				return app.PostJSONAuth("/api/v1/tasks/types/"+tasks.TypeEmail+"/resume", u.Token, nil)
			}},
			{"cancel", func() *apptest.Response { return app.PostJSONAuth(taskPath(later, "/cancel"), u.Token, nil) }},
			{"retry", func() *apptest.Response {
				(&taskAPI{app: app}).setStatus(t, ids[2], tasks.StatusFailed)
				return app.PostJSONAuth(taskPath(ids[2], "/retry"), u.Token, nil)
			}},
			{"delete", func() *apptest.Response { return app.DeleteAuth(taskPath(ids[1], ""), u.Token) }},
		} {
			if r := step.do(); r.Status >= 300 {
				t.Fatalf("%s: %d %s", step.name, r.Status, r.Body)
			}
		}
		if r := app.GetAuth(taskPath(ids[1], ""), u.Token); r.Status != http.StatusNotFound {
			t.Fatalf("deleted task: %d %s", r.Status, r.Body)
		}
	})
}
