-- Revocations as rows too, for the instances that cannot LISTEN: behind a
-- connection pooler in transaction mode with no direct URL to PostgreSQL, a
-- LISTEN would hear nothing once its transaction ends, so such an instance
-- polls this table instead (internal/auth, PollRevocations). Every trigger
-- that notifies auth_revocations also adds a row, in the same transaction.
--
-- xid is the writing transaction's id. A poll reads the rows whose xid is at
-- least the oldest transaction still running at its previous poll
-- (pg_snapshot_xmin): every transaction older than that had ended by then,
-- and its rows were seen then, so a row committed late is never skipped.
-- The session clean-up deletes rows after ten minutes.
CREATE TABLE auth_revocations (
    xid        xid8        NOT NULL DEFAULT pg_current_xact_id(),
    user_id    uuid        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE INDEX auth_revocations_xid ON auth_revocations (xid);

CREATE OR REPLACE FUNCTION auth_notify_sessions_gone() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO auth_revocations (user_id) SELECT DISTINCT user_id FROM gone;
    PERFORM pg_notify('auth_revocations', user_id::text) FROM (SELECT DISTINCT user_id FROM gone) AS g;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION auth_notify_session_user() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO auth_revocations (user_id) VALUES (NEW.user_id);
    PERFORM pg_notify('auth_revocations', NEW.user_id::text);
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION auth_notify_user() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO auth_revocations (user_id) VALUES (NEW.id);
    PERFORM pg_notify('auth_revocations', NEW.id::text);
    RETURN NULL;
END;
$$;
