-- The trace context (W3C traceparent and tracestate, as a JSON object) of
-- the request that created a task, so that the worker that runs it, in any
-- process, continues the same trace (internal/tasks/tracing.go). NULL when
-- tracing is off or the creator was not traced. A column of its own rather
-- than a key of metadata: metadata belongs to the task's owner, who sets it,
-- reads it back and filters by it, and must neither see nor forge this.
-- Nullable without a default, the column is added without rewriting the
-- table.
ALTER TABLE tasks ADD COLUMN trace_context jsonb;
