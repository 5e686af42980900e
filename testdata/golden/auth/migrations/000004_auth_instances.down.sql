DROP TRIGGER IF EXISTS users_notify_change ON users;
DROP TRIGGER IF EXISTS sessions_notify_refresh ON sessions;
DROP TRIGGER IF EXISTS sessions_notify_gone ON sessions;
DROP FUNCTION IF EXISTS auth_notify_user();
DROP FUNCTION IF EXISTS auth_notify_session_user();
DROP FUNCTION IF EXISTS auth_notify_sessions_gone();
DROP TABLE IF EXISTS cluster_jobs;
DROP TABLE IF EXISTS rate_limits;
