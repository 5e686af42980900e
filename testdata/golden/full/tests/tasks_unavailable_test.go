package tests

import (
	"net/http"
	"testing"

	"example.com/demo/internal/apptest"
	"example.com/demo/internal/auth"
	"example.com/demo/internal/config"
	"example.com/demo/internal/tasks"
)

// With the database gone in the middle of a session (its pooled connections
// cut, new ones refused: a database restarting), every task route answers
// 503 SERVICE_UNAVAILABLE with Retry-After, never a 500: a 503 tells
// clients and load balancers to try again, a 500 that the request was wrong.
// (The fault-injection suite found these answered 500 while PostgreSQL restarted.)
func TestTaskRoutesAnswer503WhileTheDatabaseIsAway(t *testing.T) {
	t.Parallel()
	// No worker: its outcome, unwritable once the database is cut, would
	// hold the shutdown for a lease.
	app := newApp(t, apptest.WithDBProxy(), apptest.WithConfig(func(c *config.Config) { c.Tasks.Worker = false }))
	app.RegisterTaskTypes(tasks.TypeEmail)
	u := app.CreateAuthUser(auth.RoleUser)
	task := app.CreateTask(u.Token, nil)
	app.Proxy.Cut()
	for _, tc := range []struct {
		name string
		do   func() *apptest.Response
	}{
		{"create", func() *apptest.Response { return app.PostJSONAuth("/api/v1/tasks", u.Token, apptest.TaskBody(nil)) }},
		{"list", func() *apptest.Response { return app.GetAuth("/api/v1/tasks", u.Token) }},
		{"get", func() *apptest.Response { return app.GetAuth("/api/v1/tasks/"+task.ID.String(), u.Token) }},
		{"cancel", func() *apptest.Response {
			return app.PostJSONAuth("/api/v1/tasks/"+task.ID.String()+"/cancel", u.Token, nil)
		}},
		{"dead letter", func() *apptest.Response { return app.GetAuth("/api/v1/tasks/dead-letter", u.Token) }},
		{"types", func() *apptest.Response { return app.Get("/api/v1/tasks/types") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.do()
			wantError(t, r, http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE")
			if r.Header.Get("Retry-After") == "" {
				t.Fatal("503 without Retry-After")
			}
		})
	}
}
