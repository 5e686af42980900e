-- Pausing task types, a minimum role per type and per-user quotas. Databases
-- of earlier versions of the service applied 000003_tasks without these, and
-- a migration that was applied once is never run again: what came later
-- arrives here.

ALTER TABLE task_types
    -- A paused type still accepts tasks; no worker claims them until resumed.
    ADD COLUMN paused   boolean NOT NULL DEFAULT false,
    -- The lowest role that may create tasks of this type through the API.
    ADD COLUMN min_role text    NOT NULL DEFAULT 'user' CHECK (min_role IN ('user', 'moderator', 'admin'));

-- Set on the waiting tasks of a paused type (task_types.paused), so that
-- they leave tasks_claim_idx and claims never walk past them.
ALTER TABLE tasks ADD COLUMN paused boolean NOT NULL DEFAULT false;

-- The claim: claimable rows by priority, then earliest due; paused ones left out.
DROP INDEX tasks_claim_idx;
CREATE INDEX tasks_claim_idx ON tasks (priority DESC, scheduled_at, id)
    WHERE status IN ('pending', 'retrying') AND NOT paused;
-- The tasks held by a paused type, found again when it is resumed. Empty
-- while nothing is paused.
CREATE INDEX tasks_paused_idx ON tasks (task_type) WHERE paused;
-- A user's quota of tasks waiting to run. Claims and final outcomes add no
-- entry here (their new row versions are neither pending nor retrying): only
-- inserts, retries and releases do.
CREATE INDEX tasks_owner_waiting_idx ON tasks (created_by) WHERE status IN ('pending', 'retrying');

-- Tasks deleted through the API within a minute of their creation, so that
-- create-and-delete does not get around the per-minute creation quota.
-- Every deletion through the API prunes the rows older than a minute.
CREATE TABLE task_deletions (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_by uuid        NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX task_deletions_idx ON task_deletions (created_by, created_at);
