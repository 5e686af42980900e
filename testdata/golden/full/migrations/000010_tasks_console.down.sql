DROP TRIGGER IF EXISTS tasks_count_truncate ON tasks;
DROP TRIGGER IF EXISTS tasks_count_delete ON tasks;
DROP TRIGGER IF EXISTS tasks_count_update ON tasks;
DROP TRIGGER IF EXISTS tasks_count_insert ON tasks;
DROP FUNCTION IF EXISTS tasks_count_truncate();
DROP FUNCTION IF EXISTS tasks_count();
DROP TABLE IF EXISTS task_workers;
DROP TABLE IF EXISTS task_minutes;
DROP TABLE IF EXISTS task_counts;
