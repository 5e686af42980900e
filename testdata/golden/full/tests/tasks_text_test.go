package tests

import (
	"net/http"
	"strings"
	"testing"

	"example.com/demo/internal/apptest"
	"example.com/demo/internal/auth"
	"example.com/demo/internal/config"
	"example.com/demo/internal/tasks"
)

// A payload or metadata string that jsonb cannot hold (it refuses \u0000 and
// lone surrogates with SQLSTATE 22P05) is a 400 naming the field, not a 500.
func TestCreateTaskUnstorableTextIs400(t *testing.T) {
	t.Parallel()
	app := newApp(t, apptest.WithConfig(func(c *config.Config) { c.Tasks.Worker = false }))
	app.RegisterTaskTypes(tasks.TypeEmail)
	u := app.CreateAuthUser(auth.RoleUser)
	tests := []struct{ body, field string }{
		{`{"task_type":"email","payload":{"to":"a@example.com","subject":"hi\u0000","body":"x"}}`, "payload.subject"},
		{`{"task_type":"email","payload":{"to":"a@example.com","subject":"\ud800","body":"x"}}`, "payload.subject"},
		{"{\"task_type\":\"email\",\"payload\":{\"to\":\"a@example.com\",\"subject\":\"s\",\"body\":\"\xff\"}}", "payload.body"},
		{`{"task_type":"email","payload":{"to":"a@example.com","subject":"s","body":"x"},"metadata":{"note":"\u0000"}}`, "metadata.note"},
	}
	for _, tt := range tests {
		req := app.NewRequest(http.MethodPost, "/api/v1/tasks", strings.NewReader(tt.body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+u.Token)
		r := app.Do(req)
		wantError(t, r, http.StatusBadRequest, "VALIDATION_FAILED")
		if r.ErrorField() != tt.field {
			t.Fatalf("%s: field = %q, want %q", tt.body, r.ErrorField(), tt.field)
		}
	}
}
