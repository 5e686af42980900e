-- The trigger function of 000009_tasks_breakers: a closing draws a version.
CREATE OR REPLACE FUNCTION task_breakers_notify() RETURNS trigger LANGUAGE plpgsql AS $$
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
