-- What several instances of the service share through the database
-- (internal/auth): rate-limit counters, the revocation notifications that
-- keep every instance's token cache honest, and the leases of the jobs that
-- must run once per cluster.

-- One row per rate-limit key ("<limit>:<client or account>") and open
-- window. UNLOGGED: the counters are written on every login and would only
-- add WAL; after a crash of PostgreSQL they start again from zero, and a
-- standby does not have them, which costs an attacker's victims nothing but a
-- few extra attempts. Rows of closed windows are deleted by the session
-- clean-up. fillfactor leaves room on each page so that updates stay HOT
-- (the key, the only indexed column, never changes).
CREATE UNLOGGED TABLE rate_limits (
    key        text        PRIMARY KEY,
    window_end timestamptz NOT NULL,
    hits       integer     NOT NULL CHECK (hits >= 0)
) WITH (fillfactor = 70);

-- A row per job that runs once per cluster: the instance whose claim moves
-- last_run_at runs the job, in the claim's transaction.
CREATE TABLE cluster_jobs (
    name        text        PRIMARY KEY,
    last_run_at timestamptz NOT NULL
);

-- Every change that must end a cached session or principal on every instance
-- notifies the channel auth_revocations with the user's id, in the
-- transaction of the change: a change rolled back publishes nothing. Each
-- instance listens and drops what it cached for that user.
CREATE FUNCTION auth_notify_sessions_gone() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('auth_revocations', user_id::text) FROM (SELECT DISTINCT user_id FROM gone) AS g;
    RETURN NULL;
END;
$$;

CREATE FUNCTION auth_notify_session_user() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('auth_revocations', NEW.user_id::text);
    RETURN NULL;
END;
$$;

CREATE FUNCTION auth_notify_user() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('auth_revocations', NEW.id::text);
    RETURN NULL;
END;
$$;

-- Logout, logout-all, password change and reset, deactivation, deletion
-- (also through ON DELETE CASCADE) and the clean-up: one notification per
-- user and statement.
CREATE TRIGGER sessions_notify_gone AFTER DELETE ON sessions
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION auth_notify_sessions_gone();

-- A refresh moves the expiry other instances may have cached.
CREATE TRIGGER sessions_notify_refresh AFTER UPDATE OF expires_at ON sessions
    FOR EACH ROW WHEN (OLD.expires_at IS DISTINCT FROM NEW.expires_at) EXECUTE FUNCTION auth_notify_session_user();

-- What a cached principal holds of its user: role, status, name and email.
CREATE TRIGGER users_notify_change AFTER UPDATE OF role, is_active, username, email ON users
    FOR EACH ROW WHEN (OLD.role IS DISTINCT FROM NEW.role OR OLD.is_active IS DISTINCT FROM NEW.is_active
        OR OLD.username IS DISTINCT FROM NEW.username OR OLD.email IS DISTINCT FROM NEW.email)
    EXECUTE FUNCTION auth_notify_user();
