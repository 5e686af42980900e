package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"example.com/demo/internal/apperr"
	"example.com/demo/internal/platform/retry"
)

// Store reads and writes tasks and task types. Owner arguments restrict an
// operation to one user's tasks; nil means every task (moderators and up).
type Store struct {
	pool *pgxpool.Pool
}

// NewStore returns a store over pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

const taskColumns = `id, task_type, status, priority, payload, result, max_attempts, current_attempt,
	last_error, retry_strategy, created_at, updated_at, scheduled_at, started_at, completed_at,
	created_by, metadata, trace_context`

func scanTask(row pgx.Row) (*Task, error) {
	var t Task
	err := row.Scan(&t.ID, &t.TaskType, &t.Status, &t.Priority, &t.Payload, &t.Result, &t.MaxAttempts,
		&t.CurrentAttempt, &t.LastError, &t.RetryStrategy, &t.CreatedAt, &t.UpdatedAt, &t.ScheduledAt,
		&t.StartedAt, &t.CompletedAt, &t.CreatedBy, &t.Metadata, &t.TraceContext)
	if err != nil {
		return nil, err
	}
	if len(t.RetryStrategy) == 0 {
		// NULL means the default (code that enqueues a task may leave the
		// strategy out): show the strategy that applies, as for any task.
		t.RetryStrategy, err = retry.DefaultStrategy().MarshalJSON()
	}
	return &t, err
}

func collectTasks(rows pgx.Rows) ([]Task, error) {
	out := []Task{}
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, *t)
	}
	return out, rows.Err()
}

// NewTask is a validated task ready to insert.
type NewTask struct {
	TaskType      string
	Priority      Priority
	Payload       json.RawMessage
	Metadata      json.RawMessage
	MaxAttempts   int
	RetryStrategy json.RawMessage
	// ScheduledAt is when the task becomes due; zero means now.
	ScheduledAt time.Time
	CreatedBy   *uuid.UUID
}

// Create inserts a task. Its type must be registered and active. The task
// carries the trace of ctx, if any (tracing.go).
func (s *Store) Create(ctx context.Context, n NewTask) (*Task, error) {
	var sched *time.Time
	if !n.ScheduledAt.IsZero() {
		sched = &n.ScheduledAt
	}
	row := s.pool.QueryRow(ctx, `
		INSERT INTO tasks (task_type, priority, payload, metadata, max_attempts, retry_strategy, scheduled_at, created_by, paused, trace_context)
		SELECT $1, $2, $3, $4, $5, $6, COALESCE($7, now()), $8, paused, $9
		FROM task_types WHERE task_type = $1 AND is_active FOR SHARE
		RETURNING `+taskColumns,
		n.TaskType, n.Priority, n.Payload, n.Metadata, n.MaxAttempts, n.RetryStrategy, sched, n.CreatedBy, traceContextOf(ctx))
	t, err := scanTask(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errNotRegistered(n.TaskType)
	}
	if err != nil {
		return nil, fmt.Errorf("create task: %w", err)
	}
	return t, nil
}

func errNotRegistered(taskType string) error {
	return apperr.Validation("task_type", fmt.Sprintf("Task type '%s' is not registered or not active", taskType))
}

// Get returns one task visible to owner.
func (s *Store) Get(ctx context.Context, id uuid.UUID, owner *uuid.UUID) (*Task, error) {
	row := s.pool.QueryRow(ctx, `SELECT `+taskColumns+` FROM tasks
		WHERE id = $1 AND ($2::uuid IS NULL OR created_by = $2)`, id, owner)
	t, err := scanTask(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, apperr.NotFound("Task")
	}
	if err != nil {
		return nil, fmt.Errorf("get task: %w", err)
	}
	return t, nil
}

// Filter selects tasks for List. Zero fields do not filter.
type Filter struct {
	Owner    *uuid.UUID
	Status   Status
	TaskType string
	Priority *Priority
	Limit    int
	Offset   int
}

// List returns tasks newest first (created_at, then id, descending).
func (s *Store) List(ctx context.Context, f Filter) ([]Task, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if f.Owner != nil {
		add("created_by = ?", *f.Owner)
	}
	if f.Status != "" {
		add("status = ?", string(f.Status))
	}
	if f.TaskType != "" {
		add("task_type = ?", f.TaskType)
	}
	if f.Priority != nil {
		add("priority = ?", int16(*f.Priority))
	}
	q := `SELECT ` + taskColumns + ` FROM tasks`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	args = append(args, f.Limit, f.Offset)
	q += fmt.Sprintf(` ORDER BY created_at DESC, id DESC LIMIT $%d OFFSET $%d`, len(args)-1, len(args))
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list tasks: %w", err)
	}
	out, err := collectTasks(rows)
	if err != nil {
		return nil, fmt.Errorf("list tasks: %w", err)
	}
	return out, nil
}

// DeadLetter returns failed tasks visible to owner, most recently failed first.
func (s *Store) DeadLetter(ctx context.Context, owner *uuid.UUID, limit, offset int) ([]Task, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+taskColumns+` FROM tasks
		WHERE status = 'failed' AND ($1::uuid IS NULL OR created_by = $1)
		ORDER BY completed_at DESC, id DESC LIMIT $2 OFFSET $3`, owner, limit, offset)
	if err != nil {
		return nil, fmt.Errorf("dead letter: %w", err)
	}
	out, err := collectTasks(rows)
	if err != nil {
		return nil, fmt.Errorf("dead letter: %w", err)
	}
	return out, nil
}

// transition applies update (which must guard the allowed statuses and
// return the task) and tells a missing task from one in the wrong state.
func (s *Store) transition(ctx context.Context, op string, id uuid.UUID, owner *uuid.UUID, update, conflict string) (*Task, error) {
	t, err := scanTask(s.pool.QueryRow(ctx, update, id, owner))
	if err == nil {
		return t, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%s task: %w", op, err)
	}
	cur, err := s.Get(ctx, id, owner)
	if err != nil {
		return nil, err
	}
	return nil, apperr.Conflict(fmt.Sprintf(conflict, cur.Status))
}

// Cancel moves a pending or retrying task to cancelled.
func (s *Store) Cancel(ctx context.Context, id uuid.UUID, owner *uuid.UUID) (*Task, error) {
	return s.transition(ctx, "cancel", id, owner, `UPDATE tasks
		SET status = 'cancelled', completed_at = now(), updated_at = now()
		WHERE id = $1 AND ($2::uuid IS NULL OR created_by = $2) AND status IN ('pending', 'retrying')
		RETURNING `+taskColumns, "Cannot cancel a %s task: only pending or retrying tasks can be cancelled")
}

// Retry puts a failed task back in the queue with its attempts reset. Its
// last error stays for reference until the next attempt ends.
func (s *Store) Retry(ctx context.Context, id uuid.UUID, owner *uuid.UUID) (*Task, error) {
	return s.transition(ctx, "retry", id, owner, `WITH t AS (
			UPDATE tasks SET status = 'pending', current_attempt = 0, scheduled_at = now(),
				started_at = NULL, completed_at = NULL, result = NULL, updated_at = now(),
				paused = (SELECT paused FROM task_types WHERE task_type = tasks.task_type FOR SHARE)
			WHERE id = $1 AND ($2::uuid IS NULL OR created_by = $2) AND status = 'failed'
			RETURNING *)
		SELECT `+taskColumns+` FROM t, pg_notify('tasks_new', '')`,
		"Cannot retry a %s task: only failed tasks can be retried")
}

// Delete removes a completed, failed or cancelled task. A task created
// within the last QuotaWindow is remembered in task_deletions, so that it
// still counts toward its owner's creation quota.
func (s *Store) Delete(ctx context.Context, id uuid.UUID, owner *uuid.UUID) error {
	_, err := s.transition(ctx, "delete", id, owner, `WITH gone AS (
			DELETE FROM tasks
			WHERE id = $1 AND ($2::uuid IS NULL OR created_by = $2) AND status IN ('completed', 'failed', 'cancelled')
			RETURNING *),
		recent AS (
			INSERT INTO task_deletions (created_by, created_at)
			SELECT created_by, created_at FROM gone
			WHERE created_by IS NOT NULL AND created_at > now() - interval '`+quotaWindowSQL+`'),
		pruned AS (
			DELETE FROM task_deletions WHERE created_at <= now() - interval '`+quotaWindowSQL+`')
		SELECT `+taskColumns+` FROM gone`,
		"Cannot delete a %s task: only completed, failed or cancelled tasks can be deleted")
	return err
}

// Stats counts tasks by status. A non-empty tag counts only tasks whose
// metadata has "tag": tag or a "tags" array holding tag. (Containment, not
// the ? operator: ? also matches an object's key and a lone string.)
func (s *Store) Stats(ctx context.Context, tag string) (Stats, error) {
	rows, err := s.pool.Query(ctx, `SELECT status, count(*) FROM tasks
		WHERE $1 = ''
			OR metadata @> jsonb_build_object('tag', $1::text)
			OR metadata @> jsonb_build_object('tags', jsonb_build_array($1::text))
		GROUP BY status`, tag)
	if err != nil {
		return Stats{}, fmt.Errorf("task stats: %w", err)
	}
	var st Stats
	counts := map[Status]*int64{StatusPending: &st.Pending, StatusRunning: &st.Running,
		StatusRetrying: &st.Retrying, StatusCompleted: &st.Completed, StatusFailed: &st.Failed,
		StatusCancelled: &st.Cancelled}
	var status Status
	var n int64
	_, err = pgx.ForEachRow(rows, []any{&status, &n}, func() error {
		if p, ok := counts[status]; ok {
			*p = n
		}
		st.Total += n
		return nil
	})
	if err != nil {
		return Stats{}, fmt.Errorf("task stats: %w", err)
	}
	return st, nil
}

// ClearCompleted deletes completed tasks that finished before now−olderThan
// and reports how many there were; dryRun only counts them.
func (s *Store) ClearCompleted(ctx context.Context, olderThan time.Duration, dryRun bool) (int64, error) {
	cond := `status = 'completed' AND completed_at < now() - $1::bigint * interval '1 microsecond'`
	if dryRun {
		var n int64
		err := s.pool.QueryRow(ctx, `SELECT count(*) FROM tasks WHERE `+cond, olderThan.Microseconds()).Scan(&n)
		if err != nil {
			return 0, fmt.Errorf("count completed tasks: %w", err)
		}
		return n, nil
	}
	tag, err := s.pool.Exec(ctx, `DELETE FROM tasks WHERE `+cond, olderThan.Microseconds())
	if err != nil {
		return 0, fmt.Errorf("clear completed tasks: %w", err)
	}
	return tag.RowsAffected(), nil
}
