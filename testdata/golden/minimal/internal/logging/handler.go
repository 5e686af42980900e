// Package logging is the service's log handler: slog's JSON handler, with a
// second way in for a hot path that logs the same few fields on every call
// (the access log). Such a caller builds its line itself (Line) into a
// pooled buffer, the way slog would have written it, and the handler writes
// it in one call: no slog.Record, no attribute values, no reflection.
package logging

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// LineHandler is a slog.Handler that also takes lines built with Line.
// Handler is one; a handler that wraps one and adds fields to every record
// must add them to lines too (telemetry.LogHandler does), or not be one.
// As before Handle, the caller asks Enabled first.
type LineHandler interface {
	slog.Handler
	// Line starts a line with its time, level and message, or returns nil
	// when it cannot write the line as slog would (log through slog then).
	Line(t time.Time, level slog.Level, msg string) *Line
	// WriteLine ends l and writes it; l must not be used afterwards.
	WriteLine(ctx context.Context, l *Line) error
}

// maxPooledLine is the largest buffer put back in the pool: one line with a
// huge field must not keep its memory for good.
const maxPooledLine = 16 << 10

// Handler is slog.JSONHandler plus Line and WriteLine. Handlers derived from
// it (WithAttrs, WithGroup) are plain slog handlers: their lines carry more
// than a Line holds.
type Handler struct {
	*slog.JSONHandler
	out   *lockedWriter
	lines sync.Pool
}

// NewHandler returns a handler writing JSON lines to w at level and above,
// with slog's default keys (no ReplaceAttr, no source).
func NewHandler(w io.Writer, level slog.Leveler) *Handler {
	out := &lockedWriter{w: w}
	return &Handler{
		JSONHandler: slog.NewJSONHandler(out, &slog.HandlerOptions{Level: level}),
		out:         out,
		lines:       sync.Pool{New: func() any { return &Line{buf: make([]byte, 0, 512)} }},
	}
}

// Line implements LineHandler. It returns nil for a time outside the years
// 0–9999, which slog reports as an error in the line.
func (h *Handler) Line(t time.Time, level slog.Level, msg string) *Line {
	if y := t.Year(); y < 0 || y > 9999 {
		return nil
	}
	l := h.lines.Get().(*Line) // the pool holds nothing else
	l.start(t, level, msg)
	return l
}

// WriteLine implements LineHandler.
func (h *Handler) WriteLine(_ context.Context, l *Line) error {
	_, err := h.out.Write(l.end())
	if cap(l.buf) <= maxPooledLine {
		h.lines.Put(l)
	}
	return err
}

// lockedWriter serializes the writes of both ways in: slog.JSONHandler locks
// around its own writes only, and the writer need not be safe for
// concurrent use.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (lw *lockedWriter) Write(p []byte) (int, error) {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	return lw.w.Write(p)
}
