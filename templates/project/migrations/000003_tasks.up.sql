-- Background tasks: a registry of task types and the queue itself.
-- Workers claim rows with FOR UPDATE SKIP LOCKED under a lease (locked_by,
-- lease_expires_at); see internal/tasks for the life cycle.

CREATE TABLE task_types (
    task_type   text        PRIMARY KEY CHECK (task_type ~ '^[A-Za-z0-9_-]{1,64}$'),
    description text        NOT NULL DEFAULT '',
    is_active   boolean     NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tasks (
    id               uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    task_type        text        NOT NULL REFERENCES task_types (task_type),
    status           text        NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'running', 'retrying', 'completed', 'failed', 'cancelled')),
    -- 0 low, 1 normal, 2 high, 3 critical: claimed highest first.
    priority         smallint    NOT NULL DEFAULT 1 CHECK (priority BETWEEN 0 AND 3),
    payload          jsonb       NOT NULL DEFAULT '{}',
    result           jsonb,
    metadata         jsonb       NOT NULL DEFAULT '{}',
    max_attempts     smallint    NOT NULL DEFAULT 5 CHECK (max_attempts BETWEEN 1 AND 25),
    -- Attempts started: a claim adds one, a deferral or a release gives it back.
    current_attempt  smallint    NOT NULL DEFAULT 0 CHECK (current_attempt >= 0),
    last_error       text,
    -- NULL means the default strategy (exponential, 1 s base).
    retry_strategy   jsonb,
    scheduled_at     timestamptz NOT NULL DEFAULT now(),
    started_at       timestamptz,
    completed_at     timestamptz,
    created_by       uuid        REFERENCES users (id) ON DELETE SET NULL,
    locked_by        text,
    lease_expires_at timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    -- A lease exists exactly while the task runs; the worker's writes rely on it.
    CONSTRAINT tasks_lease_check CHECK ((status = 'running') = (locked_by IS NOT NULL AND lease_expires_at IS NOT NULL))
) WITH (
    -- Every task is updated a few times and then rests: vacuum and analyze a
    -- queue early so that dead rows and stale statistics do not pile up.
    autovacuum_vacuum_scale_factor = 0.02,
    autovacuum_analyze_scale_factor = 0.02
);

-- The claim: claimable rows by priority, then earliest due.
CREATE INDEX tasks_claim_idx ON tasks (priority DESC, scheduled_at, id)
    WHERE status IN ('pending', 'retrying');
-- The lease reaper: running rows by lease expiry.
CREATE INDEX tasks_lease_idx ON tasks (lease_expires_at) WHERE status = 'running';
-- A user's list, newest first. Every index costs each claim and each
-- completion an entry (the updates cannot be HOT: status is in the partial
-- indexes' predicates), so there is deliberately none for the moderators'
-- list of everyone's tasks: it sorts (top-N) instead; measured, the two list
-- indexes together cost claims about a quarter of their speed.
CREATE INDEX tasks_owner_idx ON tasks (created_by, created_at DESC, id DESC);
-- The dead letter queue.
CREATE INDEX tasks_failed_idx ON tasks (completed_at DESC, id DESC) WHERE status = 'failed';

-- Wake listening workers once per inserting statement, whatever the insert path
-- (API, batch insert, COPY): a new task starts without waiting for a poll.
CREATE FUNCTION tasks_notify_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('tasks_new', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER tasks_notify_insert AFTER INSERT ON tasks
    FOR EACH STATEMENT EXECUTE FUNCTION tasks_notify_insert();
