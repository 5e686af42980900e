CREATE OR REPLACE FUNCTION auth_notify_sessions_gone() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('auth_revocations', user_id::text) FROM (SELECT DISTINCT user_id FROM gone) AS g;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION auth_notify_session_user() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('auth_revocations', NEW.user_id::text);
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION auth_notify_user() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('auth_revocations', NEW.id::text);
    RETURN NULL;
END;
$$;

DROP TABLE IF EXISTS auth_revocations;
