-- Task ids that follow creation time: UUID version 7 (RFC 9562), the Unix
-- time in milliseconds in the first 48 bits and random bits after it.
-- Tasks created together are then neighbours in the primary key, and in the
-- claim order when they are due together (the id breaks ties of priority and
-- scheduled_at, as in a batch enqueued at once): a claim and its outcomes
-- update a few heap pages and index leaves instead of one page per task.
-- Existing ids stay as they are; every id is an ordinary uuid.
CREATE FUNCTION tasks_new_id() RETURNS uuid
LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
    -- A random (version 4) uuid, its first six bytes replaced by the time and
    -- its version bits (52, 53: bits 0100 become 0111) set to 7.
    SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
        PLACING substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
        FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid
$$;

ALTER TABLE tasks ALTER COLUMN id SET DEFAULT tasks_new_id();
