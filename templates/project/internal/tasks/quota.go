package tasks

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/starter-go/starter/templates/project/internal/apperr"
	"github.com/starter-go/starter/templates/project/internal/auth"
)

// Quota bounds the tasks one user creates through the API. It is counted in
// the database, so that every instance of the service sharing it enforces
// one quota. The zero value bounds nothing.
type Quota struct {
	// PerMinute caps the tasks a user creates in any QuotaWindow (deleted
	// ones included). 0: no cap.
	PerMinute int
	// Waiting caps a user's tasks pending or retrying at once. 0: no cap.
	Waiting int
}

// QuotaWindow is the sliding window of Quota.PerMinute; quotaWindowSQL
// says the same to PostgreSQL.
const (
	QuotaWindow    = time.Minute
	quotaWindowSQL = "1 minute"
)

// waitingRetryAfter is the Retry-After of a user over the Waiting quota:
// when their tasks will have run is unknown, so a guess that does not
// invite a busy loop.
const waitingRetryAfter = 30 * time.Second

// The statements of CreateWithin. $1–$8 are the task's columns (as in
// Create), $9 and $10 the quota (0: none), $11 the trace context.
//
// Every count stops at its quota (LIMIT), so it costs at most that many
// index entries: tasks_owner_idx for creations, tasks_owner_waiting_idx for
// waiting tasks. A transaction-scoped advisory lock per user, taken by the
// first statement of the batch (one round trip, one implicit transaction),
// makes check-then-insert exact under concurrent requests of one user: the
// second statement's snapshot sees every task the previous holder inserted.
const (
	quotaLockSQL = `SELECT pg_advisory_xact_lock(hashtext('tasks.quota'), hashtext($1::text))`

	createWithinSQL = `
INSERT INTO tasks (task_type, priority, payload, metadata, max_attempts, retry_strategy, scheduled_at, created_by, paused, trace_context)
SELECT $1, $2, $3, $4, $5, $6, COALESCE($7, now()), $8, tt.paused, $11
FROM task_types tt JOIN users u ON u.id = $8
WHERE tt.task_type = $1 AND tt.is_active
	AND array_position(ARRAY['user', 'moderator', 'admin'], u.role) >= array_position(ARRAY['user', 'moderator', 'admin'], tt.min_role)
	AND ($9 = 0 OR ` + createdSQL + ` < $9)
	AND ($10 = 0 OR ` + waitingSQL + ` < $10)
FOR SHARE OF tt
RETURNING ` + taskColumns

	// createdSQL counts the user's creations within the window, up to $9.
	createdSQL = `(SELECT count(*) FROM (
		SELECT 1 FROM tasks WHERE created_by = $8 AND created_at > now() - interval '` + quotaWindowSQL + `' LIMIT $9) c)
	+ (SELECT count(*) FROM (
		SELECT 1 FROM task_deletions WHERE created_by = $8 AND created_at > now() - interval '` + quotaWindowSQL + `' LIMIT $9) d)`

	// waitingSQL counts the user's pending or retrying tasks, up to $10.
	waitingSQL = `(SELECT count(*) FROM (
		SELECT 1 FROM tasks WHERE created_by = $8 AND status IN ('pending', 'retrying') LIMIT $10) w)`
)

// CreateWithin inserts a task for its creator (n.CreatedBy, required) under
// the rules of the API: its type registered and active, the creator's role
// (read from the users table, not from a cached session) at least the type's
// minimum, and the creator within q. It fails with apperr validation (type),
// FORBIDDEN (role) or RATE_LIMITED with a Retry-After (quota). The task
// carries the trace of ctx, if any (tracing.go).
func (s *Store) CreateWithin(ctx context.Context, n NewTask, q Quota) (*Task, error) {
	if n.CreatedBy == nil {
		return nil, errors.New("create task: no creator")
	}
	var sched *time.Time
	if !n.ScheduledAt.IsZero() {
		sched = &n.ScheduledAt
	}
	b := &pgx.Batch{}
	if q != (Quota{}) {
		b.Queue(quotaLockSQL, *n.CreatedBy)
	}
	b.Queue(createWithinSQL, n.TaskType, n.Priority, n.Payload, n.Metadata, n.MaxAttempts, n.RetryStrategy, sched,
		n.CreatedBy, q.PerMinute, q.Waiting, traceContextOf(ctx))
	t, err := s.sendCreate(ctx, b, q != (Quota{}))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, s.whyRefused(ctx, n, q)
	}
	if err != nil {
		return nil, fmt.Errorf("create task: %w", err)
	}
	return t, nil
}

// sendCreate sends the batch of CreateWithin and reads the inserted task.
func (s *Store) sendCreate(ctx context.Context, b *pgx.Batch, locked bool) (*Task, error) {
	br := s.pool.SendBatch(ctx, b)
	defer br.Close()
	if locked {
		if _, err := br.Exec(); err != nil {
			return nil, fmt.Errorf("quota lock: %w", err)
		}
	}
	return scanTask(br.QueryRow())
}

// whyRefused tells which rule of CreateWithin refused n, in their order.
func (s *Store) whyRefused(ctx context.Context, n NewTask, q Quota) error {
	var minRole, role *string
	var created, waiting int64
	var oldest *time.Time
	err := s.pool.QueryRow(ctx, `SELECT
			(SELECT min_role FROM task_types WHERE task_type = $1 AND is_active),
			(SELECT role FROM users WHERE id = $2),
			(SELECT count(*) FROM (SELECT 1 FROM tasks
				WHERE created_by = $2 AND created_at > now() - interval '`+quotaWindowSQL+`' LIMIT $3) c)
			+ (SELECT count(*) FROM (SELECT 1 FROM task_deletions
				WHERE created_by = $2 AND created_at > now() - interval '`+quotaWindowSQL+`' LIMIT $3) d),
			(SELECT min(created_at) FROM (
				SELECT created_at FROM tasks WHERE created_by = $2 AND created_at > now() - interval '`+quotaWindowSQL+`'
				UNION ALL
				SELECT created_at FROM task_deletions WHERE created_by = $2 AND created_at > now() - interval '`+quotaWindowSQL+`') r),
			(SELECT count(*) FROM (SELECT 1 FROM tasks WHERE created_by = $2 AND status IN ('pending', 'retrying') LIMIT $4) w)`,
		n.TaskType, n.CreatedBy, q.PerMinute, q.Waiting).Scan(&minRole, &role, &created, &oldest, &waiting)
	switch {
	case err != nil:
		return fmt.Errorf("create task: %w", err)
	case minRole == nil:
		return errNotRegistered(n.TaskType)
	case role == nil || !auth.Role(*role).AtLeast(auth.Role(*minRole)):
		return apperr.Forbidden(fmt.Sprintf("Task type '%s' requires the %s role", n.TaskType, *minRole))
	case q.PerMinute > 0 && created >= int64(q.PerMinute):
		return quotaError(fmt.Sprintf("at most %d tasks may be created per minute", q.PerMinute), retryAfterWindow(oldest))
	case q.Waiting > 0 && waiting >= int64(q.Waiting):
		return quotaError(fmt.Sprintf("at most %d tasks may be pending or retrying at once", q.Waiting), waitingRetryAfter)
	}
	// The quota freed up between the two statements: the caller may retry at once.
	return quotaError("the quota was reached by a concurrent request", time.Second)
}

// retryAfterWindow is when the oldest creation in the window leaves it.
func retryAfterWindow(oldest *time.Time) time.Duration {
	if oldest == nil {
		return time.Second
	}
	return max(time.Until(oldest.Add(QuotaWindow)), time.Second)
}

func quotaError(rule string, retryAfter time.Duration) error {
	e := apperr.RateLimited(retryAfter)
	e.Message = "Task quota exceeded: " + rule
	return e
}
