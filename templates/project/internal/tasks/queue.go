package tasks

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// claimSQL takes up to $1 due tasks of the handled types ($2) that are not
// paused, for worker $3 with a lease of $4 microseconds. SKIP LOCKED lets any
// number of workers claim at once without waiting on each other or taking the
// same row twice. Pausing a type marks its waiting tasks (tasks.paused), which
// takes them out of tasks_claim_idx: however large a paused backlog, the walk
// never meets it. A task that comes back to waiting after the pause (a retry,
// a release) is not marked; the list of types still claimable, read once per
// claim (an InitPlan over the few rows of task_types), leaves it behind.
//
// Three things keep the claim cheap at any size of the queue:
//   - "(SELECT now())" hides the time from the planner: with the real value
//     it estimates from statistics that lag behind a moving queue (a backlog
//     that was scheduled ahead looks empty) and picks a sequential scan and a
//     sort over every row, where walking tasks_claim_idx stops after $1 rows.
//   - "(SELECT $1::int)" hides the batch size likewise, so that the plan does
//     not depend on it: PostgreSQL then reuses one plan for every claim of a
//     connection instead of planning each claim anew.
//   - The rows locked are updated by their physical address (ctid, a TID
//     scan), not looked up again through the primary key. The lock holds them
//     in place until the update, in the same statement. (A row updated by
//     someone else between the statement's snapshot and its lock is skipped
//     by the update: it stays waiting for the next claim.)
const claimSQL = `
WITH due AS (
	SELECT ctid FROM tasks
	WHERE status IN ('pending', 'retrying') AND NOT paused AND scheduled_at <= (SELECT now())
		AND task_type = ANY(ARRAY(SELECT task_type FROM task_types WHERE task_type = ANY($2) AND NOT paused))
	ORDER BY priority DESC, scheduled_at, id
	LIMIT (SELECT $1::int)
	FOR UPDATE SKIP LOCKED
)
UPDATE tasks AS t SET
	status = 'running',
	current_attempt = t.current_attempt + 1,
	started_at = now(),
	locked_by = $3,
	lease_expires_at = now() + $4::bigint * interval '1 microsecond',
	updated_at = now()
WHERE t.ctid = ANY(ARRAY(SELECT ctid FROM due))
RETURNING ` + "t.id, t.task_type, t.status, t.priority, t.payload, t.result, t.max_attempts, t.current_attempt, " +
	"t.last_error, t.retry_strategy, t.created_at, t.updated_at, t.scheduled_at, t.started_at, t.completed_at, " +
	"t.created_by, t.metadata, t.trace_context"

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
	// lease is the attempt's, which leases.drop forgets once the outcome is
	// written.
	lease *lease
	// unstorable marks the failure written in place of an outcome the
	// database refused.
	unstorable bool
}

// completeSQL writes a batch of outcomes in one statement (under
// batchPlans). The guard on locked_by and current_attempt drops the outcome
// of an attempt whose lease was taken back in the meantime: the task belongs
// to someone else now. (locked_by is set exactly while a task runs: the
// tasks_lease_check constraint says so, and status is left out of the guard
// so that the planner is not drawn to tasks_lease_idx.)
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
WHERE t.id = ANY(ARRAY(SELECT unnest($1::uuid[]))) AND t.id = u.id
	AND t.locked_by = $7 AND t.current_attempt = u.attempt
RETURNING t.id`

// complete writes outcomes of tasks leased by worker and returns the ids of
// the tasks it changed: the others are no longer the worker's.
func (s *Store) complete(ctx context.Context, worker string, batch []outcome) (map[uuid.UUID]bool, error) {
	ids := make([][16]byte, len(batch))
	attempts := make([]int32, len(batch))
	kinds := make([]string, len(batch))
	// Results go as text: a [][]byte would be sent as bytea[] in the query
	// exec modes that pick the type from the Go value (exec, simple_protocol).
	results := make([]*string, len(batch))
	errs := make([]*string, len(batch))
	delays := make([]int64, len(batch))
	for i, o := range batch {
		ids[i], attempts[i], kinds[i], delays[i] = o.id, int32(o.attempt), string(o.kind), o.delay.Microseconds()
		if o.result != nil {
			r := string(o.result)
			results[i] = &r
		}
		if o.err != "" {
			errs[i] = &batch[i].err
		}
	}
	written := make(map[uuid.UUID]bool, len(batch))
	_, err := s.batchPlans(ctx, func(rows pgx.Rows) error {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			return err
		}
		written[id] = true
		return nil
	}, completeSQL, ids, attempts, kinds, results, errs, delays, worker)
	if err != nil {
		return nil, fmt.Errorf("complete %d tasks: %w", len(batch), err)
	}
	return written, nil
}

// batchPlans runs sql, a statement given an array of ids (whose rows, if
// any, go to scan), and returns the number of rows it changed. Such a
// statement touches a few hundred rows of a table that may hold millions,
// and the statistics of a queue lag behind it (a freshly drained backlog
// looks small and full of running rows), so its plan is pinned:
//   - The rows are found with "t.id = ANY(ARRAY(SELECT unnest($ids)))": an
//     array the planner cannot see into, which it takes for a handful of
//     primary-key lookups, never a scan of the table, whatever its size and
//     the batch's.
//   - The per-task values are joined to those rows with a hash join:
//     planSettingsSQL turns the other joins off, so the planner cannot
//     rescan the unnested arrays once for each row (a nested loop over a
//     misestimated side) nor walk the whole table. Sequential scans are off
//     as well.
//
// The settings are sent in one batch with the statement: both run in the
// batch's implicit transaction, in one round trip, and the settings end
// with it.
func (s *Store) batchPlans(ctx context.Context, scan func(pgx.Rows) error, sql string, args ...any) (int64, error) {
	b := &pgx.Batch{}
	b.Queue(planSettingsSQL)
	b.Queue(sql, args...)
	br := s.pool.SendBatch(ctx, b)
	if _, err := br.Exec(); err != nil {
		_ = br.Close()
		return 0, err
	}
	var tag pgconn.CommandTag
	var err error
	if scan == nil {
		tag, err = br.Exec()
	} else {
		tag, err = scanAll(br, scan)
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

// planSettingsSQL is the first statement of a batchPlans batch. set_config
// with is_local, unlike SET LOCAL, does not warn outside an explicit
// transaction block.
const planSettingsSQL = `SELECT set_config('enable_seqscan', 'off', true),
	set_config('enable_nestloop', 'off', true), set_config('enable_mergejoin', 'off', true)`

// uuidArray converts ids for an array parameter: pgx encodes a [16]byte
// directly, a uuid.UUID through its text form, ten times slower.
func uuidArray(ids []uuid.UUID) [][16]byte {
	out := make([][16]byte, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

func scanAll(br pgx.BatchResults, scan func(pgx.Rows) error) (pgconn.CommandTag, error) {
	rows, err := br.Query()
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return pgconn.CommandTag{}, err
		}
	}
	rows.Close()
	return rows.CommandTag(), rows.Err()
}

// heartbeatSQL extends to $2 microseconds from now the leases of the tasks
// ($3 ids, $4 attempts) that worker $1 still holds, and returns their ids.
// A task reaped and claimed again, even by a worker of the same name, has
// another attempt and is left alone.
const heartbeatSQL = `
UPDATE tasks AS t SET lease_expires_at = now() + $2::bigint * interval '1 microsecond'
FROM unnest($3::uuid[], $4::int[]) AS h(id, attempt)
WHERE t.id = ANY(ARRAY(SELECT unnest($3::uuid[]))) AND t.id = h.id
	AND t.locked_by = $1 AND t.current_attempt = h.attempt
RETURNING t.id`

// heartbeat extends the leases of the given tasks of worker and returns the
// ids of those it still held.
func (s *Store) heartbeat(ctx context.Context, worker string, lease time.Duration, ids []uuid.UUID, attempts []int32) ([]uuid.UUID, error) {
	renewed := make([]uuid.UUID, 0, len(ids))
	_, err := s.batchPlans(ctx, func(rows pgx.Rows) error {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			return err
		}
		renewed = append(renewed, id)
		return nil
	}, heartbeatSQL, worker, lease.Microseconds(), uuidArray(ids), attempts)
	if err != nil {
		return nil, fmt.Errorf("heartbeat: %w", err)
	}
	return renewed, nil
}

// reap takes back tasks whose lease expired: their worker died or lost the
// database. The attempt stays spent (the handler may have run); a task on its
// last attempt goes to the dead letter queue. The rows locked are updated by
// their ctid, as in claimSQL. It returns how many tasks it took back and how
// many of them failed, per type.
func (s *Store) reap(ctx context.Context) (int64, map[string]int64, error) {
	rows, err := s.pool.Query(ctx, `
		WITH expired AS (
			SELECT ctid FROM tasks
			WHERE status = 'running' AND lease_expires_at < now()
			ORDER BY lease_expires_at LIMIT 1000
			FOR UPDATE SKIP LOCKED
		), reaped AS (
			UPDATE tasks AS t SET
				status = CASE WHEN t.current_attempt >= t.max_attempts THEN 'failed' ELSE 'retrying' END,
				completed_at = CASE WHEN t.current_attempt >= t.max_attempts THEN now() END,
				last_error = 'lease expired: worker ' || coalesce(t.locked_by, '?') || ' stopped before finishing attempt ' || t.current_attempt,
				scheduled_at = now(),
				locked_by = NULL,
				lease_expires_at = NULL,
				updated_at = now()
			WHERE t.ctid = ANY(ARRAY(SELECT ctid FROM expired))
			RETURNING t.task_type, t.status
		)
		SELECT task_type, count(*), count(*) FILTER (WHERE status = 'failed') FROM reaped GROUP BY 1`)
	if err != nil {
		return 0, nil, fmt.Errorf("reap expired leases: %w", err)
	}
	defer rows.Close()
	var total int64
	failed := map[string]int64{}
	for rows.Next() {
		var taskType string
		var n, f int64
		if err := rows.Scan(&taskType, &n, &f); err != nil {
			return 0, nil, fmt.Errorf("reap expired leases: %w", err)
		}
		total += n
		if f > 0 {
			failed[taskType] = f
		}
	}
	if err := rows.Err(); err != nil {
		return 0, nil, fmt.Errorf("reap expired leases: %w", err)
	}
	return total, failed, nil
}

// releaseSQL puts back the given tasks ($2 ids, $3 attempts) that worker $1
// still holds, without spending their attempts.
const releaseSQL = `
UPDATE tasks AS t SET
	status = CASE WHEN t.current_attempt > 1 THEN 'retrying' ELSE 'pending' END,
	current_attempt = t.current_attempt - 1,
	started_at = CASE WHEN t.current_attempt = 1 THEN NULL ELSE t.started_at END,
	scheduled_at = now(), locked_by = NULL, lease_expires_at = NULL, updated_at = now()
FROM unnest($2::uuid[], $3::int[]) AS r(id, attempt)
WHERE t.id = ANY(ARRAY(SELECT unnest($2::uuid[]))) AND t.id = r.id
	AND t.locked_by = $1 AND t.current_attempt = r.attempt`

// release puts back tasks of worker without spending their attempts: the
// last step of a shutdown, for handlers that ignored their cancelled context.
func (s *Store) release(ctx context.Context, worker string, ids []uuid.UUID, attempts []int32) (int64, error) {
	n, err := s.batchPlans(ctx, nil, releaseSQL, worker, uuidArray(ids), attempts)
	if err != nil {
		return 0, fmt.Errorf("release tasks: %w", err)
	}
	return n, nil
}
