//go:build browser

package tests

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"example.com/demo/internal/apptest"
	"example.com/demo/internal/auth"
	"example.com/demo/internal/tasks"
)

// moderatorInBrowser is a service with its worker, and a browser signed in
// to its console as a moderator, who also holds an API token.
func moderatorInBrowser(t *testing.T) (*apptest.TestApp, *browser, string) {
	t.Helper()
	app := consoleBrowserApp(t)
	app.RegisterTaskTypes(tasks.TypeEmail, tasks.TypeDelay, tasks.TypeWebhook) // the worker does too, as it starts
	mod := app.CreateUser(apptest.UserOptions{Role: auth.RoleModerator})
	b := newBrowser(t, app)
	b.login(mod.Username, mod.Password)
	if p := b.path(); p != "/console" {
		t.Fatalf("after signing in: %s", p)
	}
	return app, b, app.NewSession(mod.ID)
}

func rowStatus(id uuid.UUID) string {
	return `document.querySelector('tr[data-task="` + id.String() + `"] .badge')?.textContent`
}

// A moderator watches a new task appear in the list and complete, without
// reloading the page.
func TestBrowserWatchTaskLive(t *testing.T) {
	t.Parallel()
	app, b, token := moderatorInBrowser(t)
	b.open("/console/tasks")
	b.eval(`window.stayed = true`)
	task := app.CreateTask(token, map[string]any{"task_type": tasks.TypeDelay, "payload": map[string]any{"delay_seconds": 1.5}})
	b.waitFor("the new task appears", rowStatus(task.ID)+` !== undefined`)
	b.waitFor("the task completes", rowStatus(task.ID)+` === "completed"`)
	if b.eval(`window.stayed === true`) != "true" {
		t.Fatal("the page reloaded: the list was not updated in place")
	}
	b.clean()
}

// A moderator opens a failed task from the dead letter, retries it and
// watches it complete.
func TestBrowserRetryFailedTask(t *testing.T) {
	t.Parallel()
	// The webhook's receiver is down until the task has failed for good.
	var up atomic.Bool
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if !up.Load() {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	t.Cleanup(hook.Close)
	app, b, token := moderatorInBrowser(t)
	task := app.CreateTask(token, map[string]any{"task_type": tasks.TypeWebhook, "max_attempts": 1,
		"payload": map[string]any{"url": hook.URL}})
	app.WaitStatus(task.ID, tasks.StatusFailed)
	up.Store(true)

	b.open("/console/dead-letter")
	b.do("open the group's tasks", chromedpClick(`a[href="/console/tasks?status=failed&type=webhook"]`))
	b.waitFor("the failed task is listed", rowStatus(task.ID)+` === "failed"`)
	b.do("open the task", chromedpClick(`a[href="/console/tasks/`+task.ID.String()+`"]`))
	b.waitFor("its error is shown", `document.querySelector("pre.error") !== null`)
	b.submitConfirmed(`form[action="/console/tasks/` + task.ID.String() + `/retry"]`)
	b.waitFor("the task completes", `document.querySelector("#task-status")?.textContent === "completed"`)
	if got := app.Task(task.ID).Status; got != tasks.StatusCompleted {
		t.Fatalf("the task is %s", got)
	}
	b.clean()
}

// A paused type keeps its new tasks pending while others run; resumed, they
// run. Both from the overview's buttons.
func TestBrowserPauseAndResume(t *testing.T) {
	t.Parallel()
	app, b, token := moderatorInBrowser(t)
	b.open("/console")
	b.submitConfirmed(`form[action="/console/types/delay_task/pause"]`)
	b.waitFor("the overview says it is paused", `document.body.innerText.includes("Paused: delay_task")`)

	held := app.CreateTask(token, map[string]any{"task_type": tasks.TypeDelay, "payload": map[string]any{"delay_seconds": 0}})
	// A task created after it, of a type not paused, runs: the worker has
	// had its chance at the held one by then.
	other := app.CreateTask(token, map[string]any{"priority": "low"})
	app.WaitStatus(other.ID, tasks.StatusCompleted)
	b.open("/console/tasks/" + held.ID.String())
	b.waitFor("the held task is pending", `document.querySelector("#task-status")?.textContent === "pending"`)
	if got := app.Task(held.ID).Status; got != tasks.StatusPending {
		t.Fatalf("the task of the paused type is %s", got)
	}

	b.open("/console")
	b.submitConfirmed(`form[action="/console/types/delay_task/resume"]`)
	b.waitFor("the overview no longer says paused", `!document.body.innerText.includes("Paused: delay_task")`)
	b.open("/console/tasks/" + held.ID.String())
	b.waitFor("the held task completes", `document.querySelector("#task-status")?.textContent === "completed"`)
	b.clean()
}

// With the network to anything but the service cut off, the task pages
// render whole, on a laptop and on a phone, light and dark.
func TestBrowserTaskPagesRenderOffline(t *testing.T) {
	t.Parallel()
	app, b, token := moderatorInBrowser(t)
	task := app.CreateTask(token, nil)
	app.RegisterTaskTypes("unhandled") // no worker claims it
	failed := app.InsertTask(tasks.NewTask{TaskType: "unhandled", Priority: tasks.PriorityNormal})
	if _, err := app.DB.Exec(context.Background(), `UPDATE tasks SET status = 'failed', completed_at = now(),
		last_error = 'no route to host' WHERE id = $1`, failed.ID); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/console", "/console/tasks", "/console/tasks?status=failed", "/console/tasks/" + task.ID.String(),
		"/console/tasks/" + failed.ID.String(), "/console/dead-letter"} {
		b.rendersFully(p)
	}
}
