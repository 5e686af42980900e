package telemetry

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"

	"example.com/demo/internal/logging"
)

// Over a logging.Handler, LogHandler takes lines too, and a line carries the
// trace ids where a record logged with the same context carries them.
func TestLogHandlerAddsTraceIDsToLines(t *testing.T) {
	t.Parallel()
	inSpan := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{0xab, 1}, SpanID: trace.SpanID{0xcd, 2}, TraceFlags: trace.FlagsSampled}))
	at := time.Date(2026, 11, 30, 4, 5, 6, 7, time.UTC)
	for name, ctx := range map[string]context.Context{"in a span": inSpan, "outside any span": context.Background()} {
		var lines, records bytes.Buffer
		h, ok := LogHandler(logging.NewHandler(&lines, slog.LevelInfo)).(logging.LineHandler)
		if !ok {
			t.Fatal("LogHandler over a logging.Handler takes no lines")
		}
		l := h.Line(at, slog.LevelInfo, "request")
		l.String("path", "/x")
		if err := h.WriteLine(ctx, l); err != nil {
			t.Fatal(err)
		}
		r := slog.NewRecord(at, slog.LevelInfo, "request", 0)
		r.AddAttrs(slog.String("path", "/x"))
		if err := LogHandler(slog.NewJSONHandler(&records, nil)).Handle(ctx, r); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(lines.Bytes(), records.Bytes()) {
			t.Errorf("%s:\n line   %s\n record %s", name, lines.Bytes(), records.Bytes())
		}
	}
	if _, ok := LogHandler(slog.NewJSONHandler(&bytes.Buffer{}, nil)).(logging.LineHandler); ok {
		t.Error("LogHandler over a handler that takes no lines claims to take them")
	}
}
