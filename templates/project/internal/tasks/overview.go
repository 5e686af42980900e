package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// The figures of the operator console's overview. None of them scans the
// queue: the counts are kept by triggers (migrations 000010_tasks_console,
// 000011_tasks_counts) and the per-minute figures by the workers
// (minutes.go), both as rows of deltas, summed here; workers report
// themselves with their heartbeats.

// Count is how many tasks of one type are in one status.
type Count struct {
	TaskType string
	Status   Status
	N        int64
}

// compactSQL folds the delta rows of task_counts and task_minutes into one
// row per key (and drops minutes older than two hours), unless another
// session is at it. A row a concurrent transaction inserts is not seen by
// the DELETE and stays for the next round.
const compactSQL = `
WITH lk AS (SELECT pg_try_advisory_xact_lock(hashtext('task_counts')) AS locked),
counts AS (
	DELETE FROM task_counts WHERE (SELECT locked FROM lk) RETURNING task_type, status, n),
folded AS (
	INSERT INTO task_counts (task_type, status, n)
	SELECT task_type, status, sum(n) FROM counts GROUP BY 1, 2 HAVING sum(n) <> 0),
minutes AS (
	DELETE FROM task_minutes WHERE (SELECT locked FROM lk) RETURNING *)
INSERT INTO task_minutes (minute, task_type, started, wait_ms, wait_max_ms, completed, failed)
SELECT minute, task_type, sum(started), sum(wait_ms), max(wait_max_ms), sum(completed), sum(failed)
FROM minutes WHERE minute > now() - interval '2 hours' GROUP BY 1, 2`

// CompactCounts folds the counters' delta rows together. Readers are right
// without it; it keeps what they sum small. The worker runs it with its
// maintenance, the console before it reads.
func (s *Store) CompactCounts(ctx context.Context) error {
	if _, err := s.pool.Exec(ctx, compactSQL); err != nil {
		return fmt.Errorf("compact task counts: %w", err)
	}
	return nil
}

// Counts returns the number of tasks per type and status, the empty ones
// left out, by type then status.
func (s *Store) Counts(ctx context.Context) ([]Count, error) {
	rows, err := s.pool.Query(ctx, `SELECT task_type, status, sum(n)::bigint FROM task_counts
		GROUP BY 1, 2 HAVING sum(n) <> 0 ORDER BY 1, 2`)
	if err != nil {
		return nil, fmt.Errorf("task counts: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Count])
	if err != nil {
		return nil, fmt.Errorf("task counts: %w", err)
	}
	return out, nil
}

// Minute is what happened to tasks in one minute, every type together.
type Minute struct {
	Start time.Time
	// Started counts the attempts that began; WaitMS sums how long each
	// waited from due to start, WaitMaxMS is the longest.
	Started   int64
	WaitMS    float64
	WaitMaxMS float64
	// Completed and Failed count final outcomes.
	Completed int64
	Failed    int64
}

// AvgWaitMS is the mean wait of the minute's starts (0 without any).
func (m Minute) AvgWaitMS() float64 {
	if m.Started == 0 {
		return 0
	}
	return m.WaitMS / float64(m.Started)
}

// Minutes returns the minutes since since that saw a start or an outcome,
// oldest first.
func (s *Store) Minutes(ctx context.Context, since time.Time) ([]Minute, error) {
	rows, err := s.pool.Query(ctx, `SELECT minute, sum(started)::bigint, sum(wait_ms), max(wait_max_ms),
			sum(completed)::bigint, sum(failed)::bigint
		FROM task_minutes WHERE minute >= $1 GROUP BY 1 ORDER BY 1`, since)
	if err != nil {
		return nil, fmt.Errorf("task minutes: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Minute])
	if err != nil {
		return nil, fmt.Errorf("task minutes: %w", err)
	}
	return out, nil
}

// WorkerInfo is a worker process as it last reported itself.
type WorkerInfo struct {
	ID        string
	StartedAt time.Time
	SeenAt    time.Time
	// Breakers maps each task type the worker runs to its breaker's state.
	Breakers map[string]string
}

// Workers returns the workers seen within alive, by id.
func (s *Store) Workers(ctx context.Context, alive time.Duration) ([]WorkerInfo, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, started_at, seen_at, breakers FROM task_workers
		WHERE seen_at > now() - $1::bigint * interval '1 microsecond' ORDER BY id`, alive.Microseconds())
	if err != nil {
		return nil, fmt.Errorf("task workers: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[WorkerInfo])
	if err != nil {
		return nil, fmt.Errorf("task workers: %w", err)
	}
	return out, nil
}

// reportWorker records that worker id is alive, with its breakers' states,
// and forgets workers not seen for an hour. The JSON goes as text: in the
// exec mode of a transaction pooler pgx would send bytes as bytea.
func (s *Store) reportWorker(ctx context.Context, id string, breakers map[string]string) error {
	b, err := json.Marshal(breakers)
	if err != nil {
		return fmt.Errorf("report worker: %w", err)
	}
	_, err = s.pool.Exec(ctx, `WITH gone AS (DELETE FROM task_workers WHERE seen_at < now() - interval '1 hour')
		INSERT INTO task_workers (id, breakers) VALUES ($1, $2::jsonb)
		ON CONFLICT (id) DO UPDATE SET seen_at = now(), breakers = EXCLUDED.breakers`, id, string(b))
	if err != nil {
		return fmt.Errorf("report worker: %w", err)
	}
	return nil
}

// forgetWorker removes a worker that stopped.
func (s *Store) forgetWorker(ctx context.Context, id string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM task_workers WHERE id = $1`, id); err != nil {
		return fmt.Errorf("forget worker: %w", err)
	}
	return nil
}

// ErrorGroup is the failed tasks of one type that ended with one error.
type ErrorGroup struct {
	TaskType  string
	LastError string
	N         int64
	Latest    time.Time
}

// DeadLetterGroups groups the failed tasks by type and error, largest
// groups first, at most limit groups.
func (s *Store) DeadLetterGroups(ctx context.Context, limit int) ([]ErrorGroup, error) {
	rows, err := s.pool.Query(ctx, `SELECT task_type, coalesce(last_error, ''), count(*), max(completed_at)
		FROM tasks WHERE status = 'failed' GROUP BY 1, 2 ORDER BY 3 DESC, 4 DESC, 1, 2 LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("dead letter groups: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[ErrorGroup])
	if err != nil {
		return nil, fmt.Errorf("dead letter groups: %w", err)
	}
	return out, nil
}

// RetryGroup puts back in the queue every failed task of taskType whose
// last error is lastError, like Retry does one, and returns how many.
func (s *Store) RetryGroup(ctx context.Context, taskType, lastError string) (int64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, `WITH t AS (
			UPDATE tasks SET status = 'pending', current_attempt = 0, scheduled_at = now(),
				started_at = NULL, completed_at = NULL, result = NULL, updated_at = now(),
				paused = (SELECT paused FROM task_types WHERE task_type = tasks.task_type FOR SHARE)
			WHERE status = 'failed' AND task_type = $1 AND coalesce(last_error, '') = $2
			RETURNING 1)
		SELECT count(*) FROM t, pg_notify('tasks_new', '')`, taskType, lastError).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("retry group: %w", err)
	}
	return n, nil
}

// Owners maps user ids to usernames, for showing who created tasks.
func (s *Store) Owners(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, username FROM users WHERE id = ANY($1::uuid[])`, ids)
	if err != nil {
		return nil, fmt.Errorf("task owners: %w", err)
	}
	out := map[uuid.UUID]string{}
	var id uuid.UUID
	var name string
	_, err = pgx.ForEachRow(rows, []any{&id, &name}, func() error { out[id] = name; return nil })
	if err != nil {
		return nil, fmt.Errorf("task owners: %w", err)
	}
	return out, nil
}

// OwnerID returns the id of the user named username (any letter case), or
// false when there is none.
func (s *Store) OwnerID(ctx context.Context, username string) (uuid.UUID, bool, error) {
	var id uuid.UUID
	err := s.pool.QueryRow(ctx, `SELECT id FROM users WHERE lower(username) = lower($1)`, username).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return uuid.UUID{}, false, nil
	}
	if err != nil {
		return uuid.UUID{}, false, fmt.Errorf("task owner: %w", err)
	}
	return id, true, nil
}
