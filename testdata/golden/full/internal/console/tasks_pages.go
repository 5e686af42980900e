package console

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"example.com/demo/internal/apperr"
	"example.com/demo/internal/tasks"
)

const tasksPage = 50

type taskFilter struct {
	Status, Type, Priority, Owner string
}

type taskRow struct {
	tasks.Task
	Owner string
}

type taskListView struct {
	Filter     taskFilter
	Statuses   []tasks.Status
	Priorities []string
	Types      []string
	Tasks      []taskRow
	// Prev and Next are the query strings of the neighbouring pages ("" none).
	Prev, Next string
	Problem    string
}

// handleTasks lists tasks, newest first, filtered by status, type,
// priority and owner (a username), 50 a page. It is live.
func (t *Tasks) handleTasks(c *gin.Context) error {
	ctx := c.Request.Context()
	v := taskListView{Statuses: allStatuses(), Priorities: []string{"low", "normal", "high", "critical"}}
	v.Filter = taskFilter{Status: c.Query("status"), Type: c.Query("type"), Priority: c.Query("priority"),
		Owner: strings.TrimSpace(c.Query("owner"))}
	f, ok, err := t.filter(ctx, v.Filter)
	if err != nil {
		return err
	}
	offset, _ := strconv.Atoi(c.Query("offset"))
	f.Offset, f.Limit = max(offset, 0), tasksPage+1
	list := []tasks.Task{}
	if ok {
		if list, err = t.store.List(ctx, f); err != nil {
			return err
		}
	} else {
		v.Problem = "No user is called " + v.Filter.Owner
	}
	if len(list) > tasksPage {
		list, v.Next = list[:tasksPage], pageQuery(c, f.Offset+tasksPage)
	}
	if f.Offset > 0 {
		v.Prev = pageQuery(c, max(f.Offset-tasksPage, 0))
	}
	if v.Tasks, err = t.withOwners(ctx, list); err != nil {
		return err
	}
	types, err := t.store.Types(ctx)
	if err != nil {
		return err
	}
	for _, tt := range types {
		v.Types = append(v.Types, tt.TaskType)
	}
	t.cs.render(c, http.StatusOK, "tasks", "Tasks", v)
	return nil
}

// filter turns the query into a tasks.Filter; ok is false when the owner
// named does not exist (the list is then empty). A bad status or priority
// is 400, as on the API.
func (t *Tasks) filter(ctx context.Context, q taskFilter) (f tasks.Filter, ok bool, err error) {
	if q.Status != "" {
		s, valid := tasks.ParseStatus(q.Status)
		if !valid {
			return f, false, apperr.InvalidQuery("status", "unknown status")
		}
		f.Status = s
	}
	if q.Priority != "" {
		p, valid := tasks.ParsePriority(q.Priority)
		if !valid {
			return f, false, apperr.InvalidQuery("priority", "unknown priority")
		}
		f.Priority = &p
	}
	f.TaskType = q.Type
	if q.Owner == "" {
		return f, true, nil
	}
	id, found, err := t.store.OwnerID(ctx, q.Owner)
	f.Owner = &id
	return f, found, err
}

func pageQuery(c *gin.Context, offset int) string {
	q := url.Values{}
	for k, v := range c.Request.URL.Query() {
		q[k] = v
	}
	q.Set("offset", strconv.Itoa(offset))
	return q.Encode()
}

func (t *Tasks) withOwners(ctx context.Context, list []tasks.Task) ([]taskRow, error) {
	var ids []uuid.UUID
	for _, x := range list {
		if x.CreatedBy != nil {
			ids = append(ids, *x.CreatedBy)
		}
	}
	names, err := t.store.Owners(ctx, ids)
	if err != nil {
		return nil, err
	}
	rows := make([]taskRow, len(list))
	for i, x := range list {
		rows[i] = taskRow{Task: x}
		if x.CreatedBy != nil {
			rows[i].Owner = names[*x.CreatedBy]
		}
	}
	return rows, nil
}

type taskView struct {
	taskRow
	CanRetry, CanCancel, CanDelete bool
	// TraceID is the trace of the request that created the task, which its
	// attempts continue (empty when tracing was off).
	TraceID string
}

// traceID reads the trace id out of a W3C traceparent
// ("00-<trace id>-<span id>-<flags>").
func traceID(tc map[string]string) string {
	parts := strings.Split(tc["traceparent"], "-")
	if len(parts) != 4 || len(parts[1]) != 32 {
		return ""
	}
	return parts[1]
}

// handleTask shows one task: payload, result, attempts, last error,
// metadata, and the actions its status allows. It is live.
func (t *Tasks) handleTask(c *gin.Context) error {
	ctx := c.Request.Context()
	id, err := taskID(c)
	if err != nil {
		return err
	}
	x, err := t.store.Get(ctx, id, nil)
	if err != nil {
		return err
	}
	rows, err := t.withOwners(ctx, []tasks.Task{*x})
	if err != nil {
		return err
	}
	v := taskView{taskRow: rows[0], CanRetry: x.Status == tasks.StatusFailed,
		CanCancel: x.Status == tasks.StatusPending || x.Status == tasks.StatusRetrying, CanDelete: x.Status.Terminal(),
		TraceID: traceID(x.TraceContext)}
	t.cs.render(c, http.StatusOK, "tasks_detail", "Task "+x.ID.String()[:8], v)
	return nil
}

func taskID(c *gin.Context) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return uuid.UUID{}, apperr.NotFound("Task")
	}
	return id, nil
}

// taskAction is one of the actions on a task, by its store method; the
// store's rules (which status allows what) hold as on the API.
type taskAction struct {
	verb, done string
	apply      func(ctx context.Context, s *tasks.Store, id uuid.UUID) error
}

func taskActions() map[string]taskAction {
	return map[string]taskAction{
		"retry": {"Retry", "queued again", func(ctx context.Context, s *tasks.Store, id uuid.UUID) error {
			_, err := s.Retry(ctx, id, nil)
			return err
		}},
		"cancel": {"Cancel", "cancelled", func(ctx context.Context, s *tasks.Store, id uuid.UUID) error {
			_, err := s.Cancel(ctx, id, nil)
			return err
		}},
		"delete": {"Delete", "deleted", func(ctx context.Context, s *tasks.Store, id uuid.UUID) error {
			return s.Delete(ctx, id, nil)
		}},
	}
}

func (t *Tasks) handleRetry(c *gin.Context) error  { return t.act(c, "retry") }
func (t *Tasks) handleCancel(c *gin.Context) error { return t.act(c, "cancel") }
func (t *Tasks) handleDelete(c *gin.Context) error { return t.act(c, "delete") }

func (t *Tasks) act(c *gin.Context, name string) error {
	id, err := taskID(c)
	if err != nil {
		return err
	}
	a := taskActions()[name]
	if !t.cs.confirmed(c, a.verb+" task "+id.String()+"?") {
		return nil
	}
	if err := a.apply(c.Request.Context(), t.store, id); err != nil {
		return err
	}
	def := "/console/tasks/" + id.String()
	if name == "delete" {
		def = "/console/tasks"
	}
	t.cs.done(c, def, "Task "+a.done)
	return nil
}

// handleBulk applies one action to the tasks ticked in the list, each by
// the same rule as alone: those whose status does not allow it are left
// and counted.
func (t *Tasks) handleBulk(c *gin.Context) error {
	a, ok := taskActions()[c.PostForm("action")]
	if !ok {
		return apperr.Validation("action", "Action must be one of retry, cancel, delete")
	}
	var ids []uuid.UUID
	for _, s := range c.PostFormArray("id") {
		id, err := uuid.Parse(s)
		if err != nil {
			return apperr.Validation("id", "Invalid task id")
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return apperr.Validation("id", "Tick at least one task")
	}
	if !t.cs.confirmed(c, fmt.Sprintf("%s %d task(s)?", a.verb, len(ids))) {
		return nil
	}
	done, left := 0, 0
	for _, id := range ids {
		err := a.apply(c.Request.Context(), t.store, id)
		switch {
		case err == nil:
			done++
		case apperr.Is(err, apperr.CodeConflict) || apperr.Is(err, apperr.CodeNotFound):
			left++
		default:
			return err
		}
	}
	t.cs.done(c, "/console/tasks", fmt.Sprintf("%d task(s) %s, %d left as they were", done, a.done, left))
	return nil
}

type deadLetterView struct {
	Groups []tasks.ErrorGroup
}

// handleDeadLetter shows the failed tasks grouped by type and error, each
// group with a link to its tasks and a retry of all of them.
func (t *Tasks) handleDeadLetter(c *gin.Context) error {
	groups, err := t.store.DeadLetterGroups(c.Request.Context(), 100)
	if err != nil {
		return err
	}
	t.cs.render(c, http.StatusOK, "tasks_dead_letter", "Dead letter", deadLetterView{Groups: groups})
	return nil
}

func (t *Tasks) handleRetryGroup(c *gin.Context) error {
	taskType, lastError := c.PostForm("task_type"), c.PostForm("error")
	if taskType == "" {
		return apperr.Validation("task_type", "Task type is required")
	}
	if !t.cs.confirmed(c, "Retry every failed "+taskType+" task that ended with this error?") {
		return nil
	}
	n, err := t.store.RetryGroup(c.Request.Context(), taskType, lastError)
	if err != nil {
		return err
	}
	t.cs.done(c, "/console/dead-letter", fmt.Sprintf("%d task(s) queued again", n))
	return nil
}

// handleSetPaused pauses or resumes a task type: no worker claims its
// tasks while paused; they wait, and new ones are still accepted.
func (t *Tasks) handleSetPaused(paused bool) func(c *gin.Context) error {
	verb, done := "Resume", "resumed"
	if paused {
		verb, done = "Pause", "paused: its tasks wait until it is resumed"
	}
	return func(c *gin.Context) error {
		name := c.Param("task_type")
		if !t.cs.confirmed(c, verb+" task type "+name+"?") {
			return nil
		}
		if _, err := t.store.SetPaused(c.Request.Context(), name, paused); err != nil {
			return err
		}
		t.cs.done(c, "/console", "Task type "+name+" "+done)
		return nil
	}
}
