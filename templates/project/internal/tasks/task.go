// Package tasks is the background task queue: tasks stored in PostgreSQL,
// claimed by workers with FOR UPDATE SKIP LOCKED under a lease, retried with a
// per-task strategy, deferred while the circuit breaker of their type is open,
// and kept as a dead letter queue (status failed) when their attempts run out.
//
// Life cycle of a task (status, then what moves it):
//
//	pending ──claim──▶ running ──success──▶ completed
//	retrying ─claim─▶ running ──failure, attempts left──▶ retrying (scheduled_at = now + delay)
//	                  running ──failure, none left──▶ failed (dead letter)
//	                  running ──breaker open / shutdown──▶ pending|retrying, attempt given back
//	                  running ──lease expired──▶ retrying (the attempt counts), or failed if it was the last
//	pending|retrying ──cancel──▶ cancelled;  failed ──retry──▶ pending, attempt 0
//
// current_attempt counts attempts started: a claim adds one. A task whose
// worker died mid-attempt keeps that attempt spent, because the handler may
// have run; deferrals and graceful releases give it back, because it did not.
// Delivery is at least once: a handler must tolerate running again after a
// crash.
package tasks

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Status is where a task is in its life cycle.
type Status string

// The statuses clients see in a task's status field.
const (
	StatusPending   Status = "pending"
	StatusRunning   Status = "running"
	StatusRetrying  Status = "retrying"
	StatusCompleted Status = "completed"
	StatusFailed    Status = "failed"
	StatusCancelled Status = "cancelled"
)

// Statuses lists every status in life-cycle order.
var Statuses = []Status{StatusPending, StatusRunning, StatusRetrying, StatusCompleted, StatusFailed, StatusCancelled} //nolint:gochecknoglobals // a table that is never written

// ParseStatus accepts exactly the lower-case status names.
func ParseStatus(s string) (Status, bool) {
	for _, st := range Statuses {
		if string(st) == s {
			return st, true
		}
	}
	return "", false
}

// Terminal reports whether no worker will touch a task in this status again.
func (s Status) Terminal() bool {
	return s == StatusCompleted || s == StatusFailed || s == StatusCancelled
}

// Priority orders claims: higher first. It is stored as a small integer so
// that the database sorts it numerically, and shown as its name.
type Priority int16

// The priorities, lowest first.
const (
	PriorityLow Priority = iota
	PriorityNormal
	PriorityHigh
	PriorityCritical
)

var priorityNames = [...]string{"low", "normal", "high", "critical"} //nolint:gochecknoglobals // a table that is never written

// ParsePriority accepts exactly the lower-case priority names.
func ParsePriority(s string) (Priority, bool) {
	for i, n := range priorityNames {
		if n == s {
			return Priority(i), true
		}
	}
	return 0, false
}

// String returns the priority's name.
func (p Priority) String() string {
	if p < 0 || int(p) >= len(priorityNames) {
		return fmt.Sprintf("Priority(%d)", int16(p))
	}
	return priorityNames[p]
}

// MarshalJSON writes the priority's name.
func (p Priority) MarshalJSON() ([]byte, error) { return json.Marshal(p.String()) }

// UnmarshalJSON reads a priority name.
func (p *Priority) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, ok := ParsePriority(s)
	if !ok {
		return fmt.Errorf("unknown priority %q", s)
	}
	*p = v
	return nil
}

// Task is one unit of background work, as stored and as the API shows it.
type Task struct {
	ID             uuid.UUID       `json:"id"`
	TaskType       string          `json:"task_type"`
	Status         Status          `json:"status"`
	Priority       Priority        `json:"priority"`
	Payload        json.RawMessage `json:"payload"`
	Result         json.RawMessage `json:"result"`
	MaxAttempts    int             `json:"max_attempts"`
	CurrentAttempt int             `json:"current_attempt"`
	LastError      *string         `json:"last_error"`
	RetryStrategy  json.RawMessage `json:"retry_strategy"`
	CreatedAt      time.Time       `json:"created_at"`
	UpdatedAt      time.Time       `json:"updated_at"`
	ScheduledAt    time.Time       `json:"scheduled_at"`
	StartedAt      *time.Time      `json:"started_at"`
	CompletedAt    *time.Time      `json:"completed_at"`
	CreatedBy      *uuid.UUID      `json:"created_by"`
	Metadata       json.RawMessage `json:"metadata"`
	// TraceContext is the W3C trace context (traceparent, tracestate) of
	// the request that created the task; each attempt's span continues its
	// trace (tracing.go). Nil when the creator was not traced. Not shown by
	// the API.
	TraceContext map[string]string `json:"-"`
}

// TaskType is an entry of the registry of task types.
type TaskType struct {
	TaskType    string `json:"task_type"`
	Description string `json:"description"`
	IsActive    bool   `json:"is_active"`
	// Paused types accept tasks that no worker claims until resumed.
	Paused bool `json:"paused"`
	// MinRole is the lowest role that may create the type's tasks.
	MinRole   string    `json:"min_role"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Stats counts tasks by status.
type Stats struct {
	Total     int64 `json:"total"`
	Pending   int64 `json:"pending"`
	Running   int64 `json:"running"`
	Retrying  int64 `json:"retrying"`
	Completed int64 `json:"completed"`
	Failed    int64 `json:"failed"`
	Cancelled int64 `json:"cancelled"`
}
