package tests

import (
	"encoding/json"
	"strings"
	"testing"

	"example.com/demo/internal/apptest"
	"example.com/demo/internal/auth"
	"example.com/demo/internal/tasks"
)

// setupResizeImageTask runs the service with its worker, waits until the worker has
// registered resize_image, and returns it with a user's token.
func setupResizeImageTask(t *testing.T) (*apptest.TestApp, string) {
	t.Helper()
	app := apptest.New(t)
	app.WaitTaskTypes(tasks.TypeResizeImage)
	return app, app.CreateAuthUser(auth.RoleUser).Token
}

// A resize_image task created through the API runs through the service's worker
// to completed, its result stored.
func TestResizeImageTaskCompletes(t *testing.T) {
	t.Parallel()
	app, token := setupResizeImageTask(t)
	task := app.CreateTask(token, map[string]any{"task_type": tasks.TypeResizeImage, "payload": map[string]any{"input": "héllo"}})
	done := app.WaitStatus(task.ID, tasks.StatusCompleted)
	var res tasks.ResizeImageResult
	if err := json.Unmarshal(done.Result, &res); err != nil {
		t.Fatalf("result %s: %v", done.Result, err)
	}
	if res != (tasks.ResizeImageResult{Input: "héllo", Characters: 5}) || done.CurrentAttempt != 1 {
		t.Fatalf("task %+v, result %+v", done, res)
	}
}

// A payload that breaks a rule fails the task on its first attempt, naming
// the field, without a retry: it lands in the dead letter.
func TestResizeImageTaskFailsOnABadPayload(t *testing.T) {
	t.Parallel()
	app, token := setupResizeImageTask(t)
	cases := []struct {
		payload  map[string]any
		failWith string
	}{
		{map[string]any{}, "input is required"},
		{map[string]any{"input": ""}, "input must be 1–"},
		{map[string]any{"input": strings.Repeat("x", tasks.MaxResizeImageInput+1)}, "input must be 1–"},
		{map[string]any{"input": 42}, "input"},
	}
	for _, tc := range cases {
		task := app.CreateTask(token, map[string]any{"task_type": tasks.TypeResizeImage, "payload": tc.payload,
			"max_attempts": 3})
		done := app.WaitStatus(task.ID, tasks.StatusFailed)
		if done.CurrentAttempt != 1 || done.LastError == nil || !strings.Contains(*done.LastError, tc.failWith) {
			t.Errorf("payload %v: want a failure naming %q on attempt 1, got %+v", tc.payload, tc.failWith, done)
		}
	}
	var dead []tasks.Task
	app.GetAuth("/api/v1/tasks/dead-letter", token).Data(t, &dead)
	if len(dead) != len(cases) {
		t.Errorf("the dead letter holds %d tasks, want the %d that failed", len(dead), len(cases))
	}
}
