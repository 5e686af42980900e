-- The trigger of 000010_tasks_console, per-minute figures included.
CREATE OR REPLACE FUNCTION tasks_count() RETURNS trigger LANGUAGE plpgsql AS $$
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
