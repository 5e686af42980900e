package tests

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"

	"example.com/demo/internal/apptest"
	"example.com/demo/internal/tasks"
)

func typePath(name, action string) string { return "/api/v1/tasks/types/" + name + "/" + action }

func typeListed(t *testing.T, app *apptest.TestApp, name string) tasks.TaskType {
	t.Helper()
	var list []tasks.TaskType
	app.Get("/api/v1/tasks/types").Data(t, &list)
	for _, tt := range list {
		if tt.TaskType == name {
			return tt
		}
	}
	t.Fatalf("type %s not listed in %+v", name, list)
	return tasks.TaskType{}
}

// Pausing is for moderators and admins; an unknown type is 404.
func TestPauseTaskTypeIsForModerators(t *testing.T) {
	t.Parallel()
	a := setupTaskAPI(t)
	u, mod, admin := a.user(t, "user"), a.user(t, "moderator"), a.user(t, "admin")
	for _, action := range []string{"pause", "resume"} {
		wantError(t, a.app.PostJSON(typePath("email", action), nil), http.StatusUnauthorized, "UNAUTHORIZED")
		wantError(t, a.app.PostJSONAuth(typePath("email", action), u.token, nil), http.StatusForbidden, "FORBIDDEN")
		wantError(t, a.app.PostJSONAuth(typePath("nope", action), mod.token, nil), http.StatusNotFound, "NOT_FOUND")
		wantError(t, a.app.PostJSONAuth(typePath("bad.name", action), admin.token, nil), http.StatusNotFound, "NOT_FOUND")
	}
	for _, c := range []struct {
		token, action string
		paused        bool
	}{{mod.token, "pause", true}, {mod.token, "pause", true}, {admin.token, "resume", false}, {admin.token, "pause", true}} {
		r := a.app.PostJSONAuth(typePath("email", c.action), c.token, nil)
		var tt tasks.TaskType
		r.Data(t, &tt)
		if r.Status != http.StatusOK || tt.TaskType != "email" || tt.Paused != c.paused || !tt.IsActive {
			t.Fatalf("%s: %d %s", c.action, r.Status, r.Body)
		}
		if got := typeListed(t, a.app, "email"); got.Paused != c.paused {
			t.Fatalf("after %s GET /tasks/types shows %+v", c.action, got)
		}
	}
	// A paused type still accepts tasks.
	a.app.CreateTask(u.token, nil)
}

// No worker claims a paused type's tasks until it is resumed, whether they
// were waiting when it was paused, created while it was, or retried by hand
// meanwhile; other types go on. The held tasks are critical and older, the
// other one low: a claim that takes the low one would have taken a critical
// one first, were it claimable.
func TestPausedTypeIsNotClaimedUntilResumed(t *testing.T) {
	t.Parallel()
	b := setupWorker(t)
	a := &taskAPI{app: b.app}
	mod := a.user(t, "moderator")
	b.app.RegisterTaskTypes("paused_kind", "other_kind")
	critical := func() *tasks.Task {
		return b.app.InsertTask(tasks.NewTask{TaskType: "paused_kind", Priority: tasks.PriorityCritical})
	}
	before, dead := critical(), critical()
	a.setStatus(t, dead.ID, tasks.StatusFailed)
	if r := b.app.PostJSONAuth(typePath("paused_kind", "pause"), mod.token, nil); r.Status != http.StatusOK {
		t.Fatalf("pause: %d %s", r.Status, r.Body)
	}
	after := critical()
	if r := b.app.PostJSONAuth(taskPath(dead.ID, "/retry"), mod.token, nil); r.Status != http.StatusOK {
		t.Fatalf("retry: %d %s", r.Status, r.Body)
	}
	held := []*tasks.Task{before, after, dead}

	reg := tasks.NewRegistry()
	h := b.rec.handler(nil)
	reg.Register("paused_kind", "test", h)
	reg.Register("other_kind", "test", h)
	b.app.StartWorker(reg, apptest.WorkerSettings())
	other := b.app.InsertTask(tasks.NewTask{TaskType: "other_kind", Priority: tasks.PriorityLow})
	b.app.WaitStatus(other.ID, tasks.StatusCompleted)
	for _, h := range held {
		if cur := b.app.Task(h.ID); cur.Status != tasks.StatusPending || b.rec.count(h.ID) != 0 {
			t.Fatalf("a paused type's task was claimed: %+v", cur)
		}
	}
	if r := b.app.PostJSONAuth(typePath("paused_kind", "resume"), mod.token, nil); r.Status != http.StatusOK {
		t.Fatalf("resume: %d %s", r.Status, r.Body)
	}
	for _, h := range held {
		if done := b.app.WaitStatus(h.ID, tasks.StatusCompleted); done.CurrentAttempt != 1 || b.rec.count(h.ID) != 1 {
			t.Fatalf("resumed task %+v ran %d times", done, b.rec.count(h.ID))
		}
	}
}

// A task that was running when its type was paused and fails afterwards is
// not claimed again until the type is resumed, though it is due at once.
func TestTaskRunningWhenPausedWaitsForResume(t *testing.T) {
	t.Parallel()
	b := setupWorker(t)
	a := &taskAPI{app: b.app}
	mod := a.user(t, "moderator")
	started, release := make(chan struct{}), make(chan struct{})
	var first atomic.Bool
	reg := tasks.NewRegistry()
	reg.Register("paused_kind", "test", b.rec.handler(func(context.Context, *tasks.Task) (any, error) {
		if first.CompareAndSwap(false, true) {
			close(started)
			<-release
			return nil, errors.New("failed after the pause")
		}
		return "ok", nil
	}))
	reg.Register("other_kind", "test", b.rec.handler(nil))
	b.app.StartWorker(reg, apptest.WorkerSettings())
	straggler := b.app.InsertTask(tasks.NewTask{TaskType: "paused_kind", Priority: tasks.PriorityCritical, RetryStrategy: fixedRetry(0)})
	<-started
	if r := b.app.PostJSONAuth(typePath("paused_kind", "pause"), mod.token, nil); r.Status != http.StatusOK {
		t.Fatalf("pause: %d %s", r.Status, r.Body)
	}
	close(release)
	b.app.WaitStatus(straggler.ID, tasks.StatusRetrying)
	other := b.app.InsertTask(tasks.NewTask{TaskType: "other_kind", Priority: tasks.PriorityLow})
	b.app.WaitStatus(other.ID, tasks.StatusCompleted)
	if cur := b.app.Task(straggler.ID); cur.Status != tasks.StatusRetrying || b.rec.count(straggler.ID) != 1 {
		t.Fatalf("claimed while paused: %+v, %d runs", cur, b.rec.count(straggler.ID))
	}
	b.app.PostJSONAuth(typePath("paused_kind", "resume"), mod.token, nil)
	if done := b.app.WaitStatus(straggler.ID, tasks.StatusCompleted); done.CurrentAttempt != 2 {
		t.Fatalf("straggler %+v", done)
	}
}

// A worker registering its types at start-up does not resume a paused type.
func TestRegisteringTypesKeepsThemPaused(t *testing.T) {
	t.Parallel()
	a := setupTaskAPI(t)
	mod := a.user(t, "moderator")
	a.app.PostJSONAuth(typePath("email", "pause"), mod.token, nil)
	a.app.RegisterTaskTypes(tasks.TypeEmail)
	if tt := typeListed(t, a.app, "email"); !tt.Paused {
		t.Fatalf("registration resumed the type: %+v", tt)
	}
}
