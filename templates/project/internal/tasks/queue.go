package tasks

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// claimSQL takes up to $1 due tasks of the handled types ($2) that are not
// paused, for worker $3 with a lease of $4 microseconds. SKIP LOCKED lets any
// number of workers claim at once without waiting on each other or taking the
// same row twice. Pausing a type marks its waiting tasks (tasks.paused), which
// takes them out of tasks_claim_idx: however large a paused backlog, the walk
// never meets it. A task that comes back to waiting after the pause (a retry,
// a release) is not marked; the list of types still claimable, read once per
// claim (an InitPlan over the few rows of task_types), leaves it behind.
// "(SELECT now())" hides the time from the planner: with the real value it
// estimates from statistics that lag behind a moving queue (a backlog that
// was scheduled ahead looks empty) and picks a sequential scan and a sort
// over every row, where walking tasks_claim_idx stops after $1 rows.
const claimSQL = `
WITH due AS (
	SELECT id FROM tasks
	WHERE status IN ('pending', 'retrying') AND NOT paused AND scheduled_at <= (SELECT now())
		AND task_type = ANY(ARRAY(SELECT task_type FROM task_types WHERE task_type = ANY($2) AND NOT paused))
	ORDER BY priority DESC, scheduled_at, id
	LIMIT $1
	FOR UPDATE SKIP LOCKED
)
UPDATE tasks AS t SET
	status = 'running',
	current_attempt = t.current_attempt + 1,
	started_at = now(),
	locked_by = $3,
	lease_expires_at = now() + $4::bigint * interval '1 microsecond',
	updated_at = now()
FROM due WHERE t.id = due.id
RETURNING ` + "t.id, t.task_type, t.status, t.priority, t.payload, t.result, t.max_attempts, t.current_attempt, " +
	"t.last_error, t.retry_strategy, t.created_at, t.updated_at, t.scheduled_at, t.started_at, t.completed_at, " +
	"t.created_by, t.metadata"

// claim leases up to n due tasks, highest priority and earliest due first.
func (s *Store) claim(ctx context.Context, n int, types []string, worker string, lease time.Duration) ([]*Task, error) {
	rows, err := s.pool.Query(ctx, claimSQL, n, types, worker, lease.Microseconds())
	if err != nil {
		return nil, fmt.Errorf("claim tasks: %w", err)
	}
	defer rows.Close()
	var out []*Task
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			return nil, fmt.Errorf("claim tasks: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("claim tasks: %w", err)
	}
	// UPDATE … RETURNING does not keep the order of the CTE.
	slices.SortFunc(out, func(a, b *Task) int {
		if a.Priority != b.Priority {
			return int(b.Priority - a.Priority)
		}
		return a.ScheduledAt.Compare(b.ScheduledAt)
	})
	return out, nil
}

// outcomeKind is what an attempt ended in, as the completion query spells it.
type outcomeKind string

const (
	outcomeCompleted outcomeKind = "completed"
	outcomeRetrying  outcomeKind = "retrying"
	outcomeFailed    outcomeKind = "failed"
	// outcomeReleased puts the task back without spending the attempt:
	// its breaker was open, or the worker stopped before running it to the end.
	outcomeReleased outcomeKind = "released"
)

// outcome is the end of one attempt, waiting to be written.
type outcome struct {
	id       uuid.UUID
	attempt  int
	taskType string
	kind     outcomeKind
	result   []byte
	err      string
	delay    time.Duration
}

// completeSQL writes a batch of outcomes in one statement. The guard on
// locked_by and current_attempt drops the outcome of an attempt whose lease
// was taken back in the meantime: the task belongs to someone else now.
// (locked_by is set exactly while a task runs: the tasks_lease_check
// constraint says so, and status is left out of the guard so that the
// planner is not drawn to tasks_lease_idx.)
const completeSQL = `
UPDATE tasks AS t SET
	status = CASE u.kind
		WHEN 'released' THEN CASE WHEN t.current_attempt > 1 THEN 'retrying' ELSE 'pending' END
		ELSE u.kind END,
	current_attempt = CASE WHEN u.kind = 'released' THEN t.current_attempt - 1 ELSE t.current_attempt END,
	result = CASE WHEN u.kind = 'completed' THEN u.result ELSE t.result END,
	last_error = CASE WHEN u.kind IN ('retrying', 'failed') THEN u.error ELSE t.last_error END,
	scheduled_at = CASE WHEN u.kind IN ('retrying', 'released')
		THEN now() + u.delay_us * interval '1 microsecond' ELSE t.scheduled_at END,
	started_at = CASE WHEN u.kind = 'released' AND t.current_attempt = 1 THEN NULL ELSE t.started_at END,
	completed_at = CASE WHEN u.kind IN ('completed', 'failed') THEN now() END,
	locked_by = NULL,
	lease_expires_at = NULL,
	updated_at = now()
FROM unnest($1::uuid[], $2::int[], $3::text[], $4::jsonb[], $5::text[], $6::bigint[])
	AS u(id, attempt, kind, result, error, delay_us)
WHERE t.id = u.id AND t.locked_by = $7 AND t.current_attempt = u.attempt`

// complete writes outcomes of tasks leased by worker and reports how many
// rows it changed.
func (s *Store) complete(ctx context.Context, worker string, batch []outcome) (int64, error) {
	ids := make([]uuid.UUID, len(batch))
	attempts := make([]int32, len(batch))
	kinds := make([]string, len(batch))
	results := make([][]byte, len(batch))
	errs := make([]*string, len(batch))
	delays := make([]int64, len(batch))
	for i, o := range batch {
		ids[i], attempts[i], kinds[i], results[i], delays[i] = o.id, int32(o.attempt), string(o.kind), o.result, o.delay.Microseconds()
		if o.err != "" {
			errs[i] = &batch[i].err
		}
	}
	n, err := s.completeBatch(ctx, ids, attempts, kinds, results, errs, delays, worker)
	if err != nil {
		return 0, fmt.Errorf("complete %d tasks: %w", len(batch), err)
	}
	return n, nil
}

// completeBatch runs completeSQL with the planner held to a nested loop over
// the primary key: a batch touches a few hundred rows of a table that may
// hold millions, and statistics of a queue lag behind it (a freshly drained
// backlog looks small and full of running rows), which otherwise tempts the
// planner into a hash join over a sequential scan of the whole table.
func (s *Store) completeBatch(ctx context.Context, args ...any) (int64, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	b := &pgx.Batch{}
	b.Queue(`SET LOCAL enable_seqscan = off`)
	b.Queue(`SET LOCAL enable_hashjoin = off`)
	b.Queue(`SET LOCAL enable_mergejoin = off`)
	b.Queue(completeSQL, args...)
	br := tx.SendBatch(ctx, b)
	for range 3 {
		if _, err := br.Exec(); err != nil {
			_ = br.Close()
			return 0, err
		}
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), tx.Commit(ctx)
}

// heartbeat extends the lease of every task worker holds.
func (s *Store) heartbeat(ctx context.Context, worker string, lease time.Duration) error {
	_, err := s.pool.Exec(ctx, `UPDATE tasks SET lease_expires_at = now() + $2::bigint * interval '1 microsecond'
		WHERE status = 'running' AND locked_by = $1`, worker, lease.Microseconds())
	if err != nil {
		return fmt.Errorf("heartbeat: %w", err)
	}
	return nil
}

// reap takes back tasks whose lease expired: their worker died or lost the
// database. The attempt stays spent (the handler may have run); a task on its
// last attempt goes to the dead letter queue.
func (s *Store) reap(ctx context.Context) (int64, error) {
	tag, err := s.pool.Exec(ctx, `
		WITH expired AS (
			SELECT id FROM tasks
			WHERE status = 'running' AND lease_expires_at < now()
			ORDER BY lease_expires_at LIMIT 1000
			FOR UPDATE SKIP LOCKED
		)
		UPDATE tasks AS t SET
			status = CASE WHEN t.current_attempt >= t.max_attempts THEN 'failed' ELSE 'retrying' END,
			completed_at = CASE WHEN t.current_attempt >= t.max_attempts THEN now() END,
			last_error = 'lease expired: worker ' || coalesce(t.locked_by, '?') || ' stopped before finishing attempt ' || t.current_attempt,
			scheduled_at = now(),
			locked_by = NULL,
			lease_expires_at = NULL,
			updated_at = now()
		FROM expired WHERE t.id = expired.id`)
	if err != nil {
		return 0, fmt.Errorf("reap expired leases: %w", err)
	}
	return tag.RowsAffected(), nil
}

// releaseAll puts back every task worker still holds, without spending their
// attempts: the last step of a shutdown, for handlers that ignored their
// cancelled context.
func (s *Store) releaseAll(ctx context.Context, worker string) (int64, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE tasks SET
			status = CASE WHEN current_attempt > 1 THEN 'retrying' ELSE 'pending' END,
			current_attempt = current_attempt - 1,
			started_at = CASE WHEN current_attempt = 1 THEN NULL ELSE started_at END,
			scheduled_at = now(), locked_by = NULL, lease_expires_at = NULL, updated_at = now()
		WHERE status = 'running' AND locked_by = $1`, worker)
	if err != nil {
		return 0, fmt.Errorf("release tasks: %w", err)
	}
	return tag.RowsAffected(), nil
}
