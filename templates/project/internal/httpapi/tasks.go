package httpapi

import (
	"encoding/json"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/starter-go/starter/templates/project/internal/apperr"
	"github.com/starter-go/starter/templates/project/internal/tasks"
)

// taskHandlers answer the routes of the task queue (routes_tasks.go).
type taskHandlers struct {
	store *tasks.Store
	// quota caps the tasks one user creates.
	quota tasks.Quota
}

// createTaskRequest is the body of POST /tasks. Pointers and raw messages
// tell a missing field from a given one; the rules live in tasks.CreateInput.
type createTaskRequest struct {
	TaskType      *string         `json:"task_type"`
	Payload       json.RawMessage `json:"payload"`
	Priority      *string         `json:"priority"`
	ScheduledAt   *string         `json:"scheduled_at"`
	MaxAttempts   *int            `json:"max_attempts"`
	RetryStrategy json.RawMessage `json:"retry_strategy"`
	Metadata      json.RawMessage `json:"metadata"`
}

func (r *createTaskRequest) Rules() []Rule {
	return []Rule{
		Required("task_type", r.TaskType),
		RequiredJSON("payload", r.Payload),
		Object("payload", r.Payload),
		Object("metadata", r.Metadata),
		Object("retry_strategy", r.RetryStrategy),
	}
}

func (h *taskHandlers) handleCreateTask(c *gin.Context) error {
	var req createTaskRequest
	if err := BindBody(c, &req); err != nil {
		return err
	}
	in := tasks.CreateInput{TaskType: *req.TaskType, Payload: req.Payload, MaxAttempts: req.MaxAttempts,
		RetryStrategy: req.RetryStrategy, Metadata: req.Metadata, CreatedBy: Principal(c).UserID}
	if req.Priority != nil {
		in.Priority = *req.Priority
		if in.Priority == "" {
			return apperr.Validation("priority", "must be one of low, normal, high, critical")
		}
	}
	if req.ScheduledAt != nil {
		in.ScheduledAt = *req.ScheduledAt
		if in.ScheduledAt == "" {
			return apperr.Validation("scheduled_at", "must be an RFC 3339 time")
		}
	}
	n, err := in.Validate(time.Now())
	if err != nil {
		return err
	}
	t, err := h.store.CreateWithin(c.Request.Context(), n, h.quota)
	if err != nil {
		return err
	}
	OK(c, http.StatusCreated, t, "Task created")
	return nil
}

func (h *taskHandlers) handleListTasks(c *gin.Context) error {
	f, err := taskFilter(c)
	if err != nil {
		return err
	}
	list, err := h.store.List(c.Request.Context(), f)
	if err != nil {
		return err
	}
	OK(c, http.StatusOK, list, "")
	return nil
}

// taskFilter reads the query of GET /tasks; anything unknown is 400 INVALID_QUERY.
func taskFilter(c *gin.Context) (tasks.Filter, error) {
	f := tasks.Filter{Owner: OwnerFilter(c)}
	var err error
	if f.Limit, f.Offset, err = Page(c); err != nil {
		return f, err
	}
	if v, ok := c.GetQuery("status"); ok {
		st, ok := tasks.ParseStatus(v)
		if !ok {
			return f, apperr.InvalidQuery("status", "must be one of pending, running, retrying, completed, failed, cancelled")
		}
		f.Status = st
	}
	if v, ok := c.GetQuery("priority"); ok {
		p, ok := tasks.ParsePriority(v)
		if !ok {
			return f, apperr.InvalidQuery("priority", "must be one of low, normal, high, critical")
		}
		f.Priority = &p
	}
	if v, ok := c.GetQuery("task_type"); ok {
		if !tasks.ValidTypeName(v) {
			return f, apperr.InvalidQuery("task_type", "must be 1–64 letters, digits, underscores or hyphens")
		}
		f.TaskType = v
	}
	return f, nil
}

func (h *taskHandlers) handleGetTask(c *gin.Context) error {
	id, err := IDParam(c)
	if err != nil {
		return err
	}
	t, err := h.store.Get(c.Request.Context(), id, OwnerFilter(c))
	if err != nil {
		return err
	}
	OK(c, http.StatusOK, t, "")
	return nil
}

// handleTaskAction answers a state change of one task (cancel, retry).
func (h *taskHandlers) handleTaskAction(act func(*tasks.Store, *gin.Context, uuid.UUID, *uuid.UUID) (*tasks.Task, error), message string) func(*gin.Context) error {
	return func(c *gin.Context) error {
		id, err := IDParam(c)
		if err != nil {
			return err
		}
		t, err := act(h.store, c, id, OwnerFilter(c))
		if err != nil {
			return err
		}
		OK(c, http.StatusOK, t, message)
		return nil
	}
}

func cancelTask(st *tasks.Store, c *gin.Context, id uuid.UUID, owner *uuid.UUID) (*tasks.Task, error) {
	return st.Cancel(c.Request.Context(), id, owner)
}

func retryTask(st *tasks.Store, c *gin.Context, id uuid.UUID, owner *uuid.UUID) (*tasks.Task, error) {
	return st.Retry(c.Request.Context(), id, owner)
}

func (h *taskHandlers) handleDeleteTask(c *gin.Context) error {
	id, err := IDParam(c)
	if err != nil {
		return err
	}
	if err := h.store.Delete(c.Request.Context(), id, OwnerFilter(c)); err != nil {
		return err
	}
	OK(c, http.StatusOK, nil, "Task deleted")
	return nil
}

func (h *taskHandlers) handleTaskStats(c *gin.Context) error {
	st, err := h.store.Stats(c.Request.Context(), "")
	if err != nil {
		return err
	}
	OK(c, http.StatusOK, st, "")
	return nil
}

func (h *taskHandlers) handleDeadLetter(c *gin.Context) error {
	limit, offset, err := Page(c)
	if err != nil {
		return err
	}
	list, err := h.store.DeadLetter(c.Request.Context(), OwnerFilter(c), limit, offset)
	if err != nil {
		return err
	}
	OK(c, http.StatusOK, list, "")
	return nil
}

func (h *taskHandlers) handleListTaskTypes(c *gin.Context) error {
	list, err := h.store.Types(c.Request.Context())
	if err != nil {
		return err
	}
	OK(c, http.StatusOK, list, "")
	return nil
}

type upsertTaskTypeRequest struct {
	TaskType    *string `json:"task_type"`
	Description *string `json:"description"`
}

func (r *upsertTaskTypeRequest) Rules() []Rule {
	return []Rule{Required("task_type", r.TaskType)}
}

// maxTypeDescription bounds a task type's description, in characters.
const maxTypeDescription = 1000

func (h *taskHandlers) handleUpsertTaskType(c *gin.Context) error {
	var req upsertTaskTypeRequest
	if err := BindBody(c, &req); err != nil {
		return err
	}
	if !tasks.ValidTypeName(*req.TaskType) {
		return apperr.Validation("task_type", "must be 1–64 letters, digits, underscores or hyphens")
	}
	desc := ""
	if req.Description != nil {
		desc = *req.Description
	}
	if utf8.RuneCountInString(desc) > maxTypeDescription {
		return apperr.Validation("description", "must be at most 1000 characters")
	}
	tt, created, err := h.store.UpsertType(c.Request.Context(), *req.TaskType, desc)
	if err != nil {
		return err
	}
	if created {
		OK(c, http.StatusCreated, tt, "Task type registered")
		return nil
	}
	OK(c, http.StatusOK, tt, "Task type updated")
	return nil
}

// handleSetTaskTypePaused pauses or resumes a task type: its tasks are still
// accepted, but no worker claims them while it is paused.
func (h *taskHandlers) handleSetTaskTypePaused(paused bool) func(*gin.Context) error {
	message := "Task type resumed"
	if paused {
		message = "Task type paused"
	}
	return func(c *gin.Context) error {
		tt, err := h.store.SetPaused(c.Request.Context(), c.Param("task_type"), paused)
		if err != nil {
			return err
		}
		OK(c, http.StatusOK, tt, message)
		return nil
	}
}
