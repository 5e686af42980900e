package telemetry

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// SQLTracer makes a span of every statement pgx sends (queries, the
// statements of a batch, COPY) inside a traced operation: a request, a
// task. Statements run outside any span (the worker's claims and
// heartbeats, clean-up jobs) are left alone, or every poll of every worker
// would start a trace of its own. A span holds the statement's text, never
// its arguments. Tracing.ConfigurePool sets it on a pool.
type SQLTracer struct {
	tracer trace.Tracer
}

var (
	_ pgx.QueryTracer    = (*SQLTracer)(nil)
	_ pgx.BatchTracer    = (*SQLTracer)(nil)
	_ pgx.CopyFromTracer = (*SQLTracer)(nil)
)

// ConfigurePool has the statements of a pool traced; when tracing is off
// it leaves the pool without a tracer, which costs nothing
// (database.NewPool takes it as an option).
func (t *Tracing) ConfigurePool(c *pgxpool.Config) {
	if t != nil {
		c.ConnConfig.Tracer = &SQLTracer{tracer: t.Tracer()}
	}
}

// TraceQueryStart starts the span of a statement.
func (s *SQLTracer) TraceQueryStart(ctx context.Context, conn *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return ctx
	}
	ctx, _ = s.start(ctx, conn, data.SQL, time.Time{})
	return ctx
}

// TraceQueryEnd ends it.
func (s *SQLTracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	end(ctx, data.Err)
}

// batchKey holds a batch's *batchState in its context.
type batchKey struct{}

// batchState is when the previous statement of a batch ended: pgx reports
// each statement once its result is read, so that is when the next began.
type batchState struct{ last time.Time }

// TraceBatchStart starts the span of a batch; its statements are children.
func (s *SQLTracer) TraceBatchStart(ctx context.Context, conn *pgx.Conn, data pgx.TraceBatchStartData) context.Context {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return ctx
	}
	ctx, span := s.tracer.Start(ctx, "BATCH", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(connAttrs(conn)...))
	if data.Batch != nil {
		span.SetAttributes(semconv.DBOperationBatchSize(data.Batch.Len()))
	}
	return context.WithValue(ctx, batchKey{}, &batchState{last: time.Now()})
}

// TraceBatchQuery records one statement of a batch, from the end of the
// previous one.
func (s *SQLTracer) TraceBatchQuery(ctx context.Context, conn *pgx.Conn, data pgx.TraceBatchQueryData) {
	b, ok := ctx.Value(batchKey{}).(*batchState)
	if !ok {
		return
	}
	qctx, _ := s.start(ctx, conn, data.SQL, b.last)
	end(qctx, data.Err)
	b.last = time.Now()
}

// TraceBatchEnd ends the batch's span.
func (s *SQLTracer) TraceBatchEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchEndData) {
	if _, ok := ctx.Value(batchKey{}).(*batchState); ok {
		end(ctx, data.Err)
	}
}

// TraceCopyFromStart starts the span of a COPY … FROM STDIN.
func (s *SQLTracer) TraceCopyFromStart(ctx context.Context, conn *pgx.Conn, data pgx.TraceCopyFromStartData) context.Context {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return ctx
	}
	table := data.TableName.Sanitize()
	ctx, _ = s.tracer.Start(ctx, "COPY "+table, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(append(connAttrs(conn), semconv.DBOperationName("COPY"), semconv.DBCollectionName(table))...))
	return ctx
}

// TraceCopyFromEnd ends it.
func (s *SQLTracer) TraceCopyFromEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceCopyFromEndData) {
	end(ctx, data.Err)
}

// start starts the span of one statement, named by its first keyword
// (SELECT, INSERT, WITH…); a zero at means now.
func (s *SQLTracer) start(ctx context.Context, conn *pgx.Conn, sql string, at time.Time) (context.Context, trace.Span) {
	sql = strings.TrimSpace(sql)
	op := operation(sql)
	attrs := append(connAttrs(conn), semconv.DBQueryText(sql))
	name := "SQL"
	if op != "" {
		attrs = append(attrs, semconv.DBOperationName(op))
		name = op
	}
	opts := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...)}
	if !at.IsZero() {
		opts = append(opts, trace.WithTimestamp(at))
	}
	return s.tracer.Start(ctx, name, opts...)
}

// operation is the statement's first word, upper-cased.
func operation(sql string) string {
	i := strings.IndexFunc(sql, func(r rune) bool { return !unicode.IsLetter(r) })
	if i < 0 {
		i = len(sql)
	}
	return strings.ToUpper(sql[:i])
}

// connAttrs say which database a statement went to.
func connAttrs(conn *pgx.Conn) []attribute.KeyValue {
	attrs := make([]attribute.KeyValue, 0, 6)
	attrs = append(attrs, semconv.DBSystemNamePostgreSQL)
	if conn == nil {
		return attrs
	}
	cfg := conn.Config()
	return append(attrs, semconv.DBNamespace(cfg.Database), semconv.ServerAddress(cfg.Host), semconv.ServerPort(int(cfg.Port)))
}

// end ends the span of ctx, with the error PostgreSQL answered if any.
func end(ctx context.Context, err error) {
	span := trace.SpanFromContext(ctx)
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) {
			span.SetAttributes(semconv.DBResponseStatusCode(pgErr.Code))
		}
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}
