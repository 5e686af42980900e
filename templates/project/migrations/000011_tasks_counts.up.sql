-- The counts of tasks per type and status stay with the triggers of
-- 000010_tasks_console; the per-minute figures leave them. Every claim and
-- every completion fired the trigger, and its second insert (task_minutes,
-- besides task_counts) and the join of the transition tables took about a
-- sixth of the server's CPU in a drain of the queue by four workers. The
-- workers now add up what they started and finished per minute and write it
-- to task_minutes with their reports (internal/tasks/minutes.go).
--
-- Without the join: a row whose status and type did not change is counted
-- once with -1 and once with +1, and its key sums to 0. A heartbeat that
-- renews leases inserts nothing.
CREATE OR REPLACE FUNCTION tasks_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO task_counts (task_type, status, n)
        SELECT task_type, status, count(*) FROM new_rows GROUP BY 1, 2;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO task_counts (task_type, status, n)
        SELECT task_type, status, -count(*) FROM old_rows GROUP BY 1, 2;
    ELSE
        INSERT INTO task_counts (task_type, status, n)
        SELECT t, s, sum(d) FROM (
            SELECT task_type, status, -1 FROM old_rows
            UNION ALL
            SELECT task_type, status, 1 FROM new_rows
        ) AS m (t, s, d)
        GROUP BY t, s HAVING sum(d) <> 0;
    END IF;
    RETURN NULL;
END
$$;
