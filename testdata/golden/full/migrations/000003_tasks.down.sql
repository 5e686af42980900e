DROP TABLE IF EXISTS tasks;
DROP FUNCTION IF EXISTS tasks_notify_insert();
DROP TABLE IF EXISTS task_types;
