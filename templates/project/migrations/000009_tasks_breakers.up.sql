-- The circuit breakers of task types (and of the keys a handler splits its
-- type into, such as a webhook's destination host) that are not closed,
-- shared by every worker: a breaker opened by one worker defers its tasks on
-- all of them. No row means closed. Times are the database's, so that the
-- clocks of the workers do not matter.
CREATE TABLE task_breakers (
    task_type   text        NOT NULL REFERENCES task_types (task_type) ON DELETE CASCADE,
    key         text        NOT NULL DEFAULT '',
    -- The end of the cool-down: from then on one worker at a time may hold
    -- the trial (trial_by, until trial_until) and run the trial calls.
    open_until  timestamptz NOT NULL,
    opened_by   text        NOT NULL,
    trial_by    text,
    trial_until timestamptz,
    -- Increases with every change (task_breakers_version): a worker ignores
    -- news older than what it already knows.
    version     bigint      NOT NULL,
    PRIMARY KEY (task_type, key)
);

CREATE SEQUENCE task_breakers_version;

CREATE FUNCTION task_breakers_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := nextval('task_breakers_version');
    RETURN NEW;
END
$$;

-- Only an opening is a new version: a worker taking the trial (trial_by)
-- changes nothing the others adopt, and must not look like news to itself.
CREATE TRIGGER task_breakers_version BEFORE INSERT OR UPDATE OF open_until ON task_breakers
    FOR EACH ROW EXECUTE FUNCTION task_breakers_version();

-- Every opening (a new row, or a new open_until) and every closing (a
-- deleted row) is published on the channel task_breakers, in the
-- transaction of the change, whoever makes it (a worker, or an operator by
-- hand). The payload carries the time left open, counted by the database's
-- clock: a listener adds it to its own.
CREATE FUNCTION task_breakers_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('task_breakers', json_build_object('task_type', OLD.task_type, 'key', OLD.key,
            'version', nextval('task_breakers_version'))::text);
    ELSE
        PERFORM pg_notify('task_breakers', json_build_object('task_type', NEW.task_type, 'key', NEW.key,
            'version', NEW.version,
            'open_for_us', (extract(epoch FROM NEW.open_until - clock_timestamp()) * 1e6)::bigint)::text);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER task_breakers_notify AFTER INSERT OR DELETE OR UPDATE OF open_until ON task_breakers
    FOR EACH ROW EXECUTE FUNCTION task_breakers_notify();
