-- A closing (a deleted row of task_breakers) is published with the version
-- of the opening it ends, instead of a number drawn as it happens: the
-- workers take it as newer than that opening and older than any later one.
-- A number drawn by the closing could exceed that of an opening that
-- commits after it, since an insertion numbers its row before it waits for
-- the row being deleted; the workers that heard the closing then ignored
-- that opening, and ran the type's tasks through its cool-down.
CREATE OR REPLACE FUNCTION task_breakers_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('task_breakers', json_build_object('task_type', OLD.task_type, 'key', OLD.key,
            'version', OLD.version)::text);
    ELSE
        PERFORM pg_notify('task_breakers', json_build_object('task_type', NEW.task_type, 'key', NEW.key,
            'version', NEW.version,
            'open_for_us', (extract(epoch FROM NEW.open_until - clock_timestamp()) * 1e6)::bigint)::text);
    END IF;
    RETURN NULL;
END
$$;
