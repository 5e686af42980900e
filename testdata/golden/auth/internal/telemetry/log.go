package telemetry

import (
	"context"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/trace"

	"example.com/demo/internal/logging"
)

// LogHandler adds trace_id and span_id to every record logged with a
// context that carries a span (the ...Context methods of slog.Logger, or
// Handle called with the request's context), so that a log line leads to
// its trace and back. Records without one pass through unchanged. Wrapping
// a logging.LineHandler, it is one too, and adds the ids to lines as well.
func LogHandler(h slog.Handler) slog.Handler {
	if lh, ok := h.(logging.LineHandler); ok {
		return lineLogHandler{logHandler{h}, lh}
	}
	return logHandler{h}
}

// Logger returns l with trace ids on its lines (LogHandler), or l itself
// when tracing is off.
func (t *Tracing) Logger(l *slog.Logger) *slog.Logger {
	if t == nil {
		return l
	}
	return slog.New(LogHandler(l.Handler()))
}

type logHandler struct{ slog.Handler }

func (h logHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return h.Handler.Handle(ctx, r)
}

func (h logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return LogHandler(h.Handler.WithAttrs(attrs))
}

func (h logHandler) WithGroup(name string) slog.Handler {
	return LogHandler(h.Handler.WithGroup(name))
}

// lineLogHandler is logHandler over a logging.LineHandler.
type lineLogHandler struct {
	logHandler
	lines logging.LineHandler
}

func (h lineLogHandler) Line(t time.Time, level slog.Level, msg string) *logging.Line {
	return h.lines.Line(t, level, msg)
}

// WriteLine adds the ids where Handle adds them: after the caller's fields.
func (h lineLogHandler) WriteLine(ctx context.Context, l *logging.Line) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		l.String("trace_id", sc.TraceID().String())
		l.String("span_id", sc.SpanID().String())
	}
	return h.lines.WriteLine(ctx, l)
}
