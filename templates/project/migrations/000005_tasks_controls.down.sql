DROP TABLE IF EXISTS task_deletions;
DROP INDEX IF EXISTS tasks_owner_waiting_idx;
DROP INDEX IF EXISTS tasks_paused_idx;
DROP INDEX IF EXISTS tasks_claim_idx;
CREATE INDEX tasks_claim_idx ON tasks (priority DESC, scheduled_at, id)
    WHERE status IN ('pending', 'retrying');
ALTER TABLE tasks DROP COLUMN IF EXISTS paused;
ALTER TABLE task_types DROP COLUMN IF EXISTS min_role, DROP COLUMN IF EXISTS paused;
