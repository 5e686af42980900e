-- What the operator console reads without scanning the queue: counts of
-- tasks per type and status, starts and outcomes per minute, and the worker
-- processes alive with their circuit breakers.
--
-- The counts are kept by statement-level triggers as rows of deltas: an
-- insert, never an update of a shared counter row, so concurrent claims and
-- completions never wait on each other for them. Readers sum the deltas;
-- CompactCounts (the worker's maintenance, the console) folds them into one
-- row per key now and then.

CREATE TABLE task_counts (
    task_type text   NOT NULL,
    status    text   NOT NULL,
    n         bigint NOT NULL
);

-- Per minute and type: tasks started (and how long each waited from due to
-- start), and final outcomes. Rows are deltas like task_counts', folded
-- together and dropped after two hours.
CREATE TABLE task_minutes (
    minute      timestamptz      NOT NULL,
    task_type   text             NOT NULL,
    started     bigint           NOT NULL DEFAULT 0,
    wait_ms     double precision NOT NULL DEFAULT 0,
    wait_max_ms double precision NOT NULL DEFAULT 0,
    completed   bigint           NOT NULL DEFAULT 0,
    failed      bigint           NOT NULL DEFAULT 0
);
CREATE INDEX task_minutes_minute_idx ON task_minutes (minute);

-- One row per worker process, written with its lease heartbeats: alive while
-- seen_at is recent. breakers maps each task type it runs to the state of
-- its circuit breaker there ("closed", "half-open", "open").
CREATE TABLE task_workers (
    id         text        PRIMARY KEY,
    started_at timestamptz NOT NULL DEFAULT now(),
    seen_at    timestamptz NOT NULL DEFAULT now(),
    breakers   jsonb       NOT NULL DEFAULT '{}'
);

CREATE FUNCTION tasks_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO task_counts (task_type, status, n)
        SELECT task_type, status, count(*) FROM new_rows GROUP BY 1, 2;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO task_counts (task_type, status, n)
        SELECT task_type, status, -count(*) FROM old_rows GROUP BY 1, 2;
    ELSE
        -- Only the rows whose status or type changed count: a heartbeat
        -- renewing leases moves nothing.
        WITH moved AS (
            SELECT o.task_type AS old_type, o.status AS old_status, n.task_type, n.status,
                   n.scheduled_at, n.started_at, n.completed_at
            FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE o.status <> n.status OR o.task_type <> n.task_type
        ), counted AS (
            INSERT INTO task_counts (task_type, status, n)
            SELECT t, s, sum(d) FROM (
                SELECT old_type, old_status, -1 FROM moved
                UNION ALL
                SELECT task_type, status, 1 FROM moved
            ) AS m (t, s, d)
            GROUP BY t, s HAVING sum(d) <> 0
        )
        INSERT INTO task_minutes (minute, task_type, started, wait_ms, wait_max_ms, completed, failed)
        SELECT date_trunc('minute', CASE WHEN status = 'running' THEN coalesce(started_at, now())
                                         ELSE coalesce(completed_at, now()) END),
               task_type,
               count(*) FILTER (WHERE status = 'running'),
               coalesce(sum(greatest(extract(epoch FROM started_at - scheduled_at) * 1000, 0))
                        FILTER (WHERE status = 'running'), 0),
               coalesce(max(greatest(extract(epoch FROM started_at - scheduled_at) * 1000, 0))
                        FILTER (WHERE status = 'running'), 0),
               count(*) FILTER (WHERE status = 'completed'),
               count(*) FILTER (WHERE status = 'failed')
        FROM moved WHERE status IN ('running', 'completed', 'failed')
        GROUP BY 1, 2;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER tasks_count_insert AFTER INSERT ON tasks
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tasks_count();
CREATE TRIGGER tasks_count_update AFTER UPDATE ON tasks
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tasks_count();
CREATE TRIGGER tasks_count_delete AFTER DELETE ON tasks
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION tasks_count();

CREATE FUNCTION tasks_count_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM task_counts;
    DELETE FROM task_minutes;
    RETURN NULL;
END
$$;

CREATE TRIGGER tasks_count_truncate AFTER TRUNCATE ON tasks
    FOR EACH STATEMENT EXECUTE FUNCTION tasks_count_truncate();

-- The tasks already there, counted once under a lock that keeps writers
-- out until the triggers count for them.
LOCK TABLE tasks IN SHARE ROW EXCLUSIVE MODE;
INSERT INTO task_counts (task_type, status, n)
SELECT task_type, status, count(*) FROM tasks GROUP BY 1, 2;
