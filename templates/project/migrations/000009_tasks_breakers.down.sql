DROP TABLE IF EXISTS task_breakers;
DROP FUNCTION IF EXISTS task_breakers_notify();
DROP FUNCTION IF EXISTS task_breakers_version();
DROP SEQUENCE IF EXISTS task_breakers_version;
