package tests

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/starter-go/starter/templates/project/internal/config"
	"github.com/starter-go/starter/templates/project/internal/tasks"
)

// The built-in handlers take the documented payloads through the API, and a
// payload that breaks their rules fails at once, naming the field.
func TestBuiltinPayloadsThroughTheAPI(t *testing.T) {
	t.Parallel()
	a, u := setupBuiltins(t, nil)
	cases := []struct {
		taskType string
		payload  map[string]any
		want     string // the result, or with failWith empty
		failWith string // a word of last_error of a task that failed on attempt 1
	}{
		{"email", map[string]any{"to": "a@example.com", "subject": "Hi"}, "", "body"},
		{"email", map[string]any{}, "", "to"},
		{"data_processing", map[string]any{"data": []any{1, 2, "x"}, "operation": "count"}, `{"count":3}`, ""},
		{"data_processing", map[string]any{"data": []any{1, 2.5, "x"}, "operation": "sum"}, `{"sum":3.5}`, ""},
		{"data_processing", map[string]any{"data": map[string]any{"a": 1}, "operation": "count"}, "", "data must be an array"},
		{"data_processing", map[string]any{"data": []int{1}, "operation": "median"}, "", `"median"`},
		{"delay_task", map[string]any{"delay_seconds": 0, "fail_attempts": 30}, "", "fail_attempts"},
		{"delay_task", map[string]any{"delay_seconds": 0, "deadline": time.Now().Add(-time.Minute).Format(time.RFC3339)}, "", "missed deadline"},
		{"delay_task", map[string]any{"delay_seconds": 60, "deadline": time.Now().Add(time.Hour).Add(-59 * time.Minute).Format(time.RFC3339)}, "", "insufficient time"},
	}
	for _, tc := range cases {
		task := a.app.CreateTask(u.token, map[string]any{"task_type": tc.taskType, "payload": tc.payload})
		if tc.failWith == "" {
			done := a.app.WaitStatus(task.ID, tasks.StatusCompleted)
			assertJSONEqual(t, done.Result, json.RawMessage(tc.want))
			continue
		}
		done := a.app.WaitStatus(task.ID, tasks.StatusFailed)
		if done.CurrentAttempt != 1 || done.LastError == nil || !strings.Contains(*done.LastError, tc.failWith) {
			t.Errorf("%s %v: want a failure naming %q on attempt 1, got %+v", tc.taskType, tc.payload, tc.failWith, done)
		}
	}
}

// fail_attempts makes attempts 1..N fail after the delay, then the task
// completes: the deterministic failure retry and dead-letter tests build on.
func TestDelayTaskFailAttemptsRetriesThenCompletes(t *testing.T) {
	t.Parallel()
	// Two failures open delay_task's breaker in the test environment: a
	// short cool-down lets the retries run without waiting a second for it.
	a, u := setupBuiltins(t, func(c *config.Config) { c.Tasks.BreakerTimeout = 20 * time.Millisecond })
	task := a.app.CreateTask(u.token, map[string]any{"task_type": "delay_task", "retry_strategy": fixedRetryBody(10),
		"payload": map[string]any{"delay_seconds": 0.01, "fail_attempts": 2, "task_id": "t-1", "test_scenario": "retry"}})
	done := a.app.WaitStatus(task.ID, tasks.StatusCompleted)
	res := resultOf(t, done)
	if done.CurrentAttempt != 3 || res["attempt"] != float64(3) || res["task_id"] != "t-1" ||
		res["test_scenario"] != "retry" || res["delay_seconds"] != 0.01 || res["completed_at"] == nil {
		t.Fatalf("task %+v, result %v", done, res)
	}
	if done.LastError == nil || *done.LastError != "simulated failure on attempt 2" {
		t.Fatalf("last_error %v", done.LastError)
	}
	dead := a.app.CreateTask(u.token, map[string]any{"task_type": "delay_task", "retry_strategy": fixedRetryBody(10),
		"max_attempts": 2, "payload": map[string]any{"delay_seconds": 0, "fail_attempts": 2}})
	failed := a.app.WaitStatus(dead.ID, tasks.StatusFailed)
	if failed.CurrentAttempt != 2 || *failed.LastError != "simulated failure on attempt 2" {
		t.Fatalf("dead letter %+v", failed)
	}
}

func fixedRetryBody(ms int) map[string]any {
	return map[string]any{"type": "fixed", "interval_ms": ms}
}
