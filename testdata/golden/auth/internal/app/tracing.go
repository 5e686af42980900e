package app

import (
	"cmp"
	"context"
	"log/slog"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"example.com/demo/internal/buildinfo"
	"example.com/demo/internal/config"
	"example.com/demo/internal/telemetry"
)

// WithSpanExporter sends the service's spans to exp as each ends, whatever
// the OTEL_* variables say (tests give tracetest.NewInMemoryExporter()).
func WithSpanExporter(exp sdktrace.SpanExporter) Option {
	return func(o *options) { o.spans = exp }
}

// NewTracing starts the tracing cfg asks for (the OTEL_* variables), or
// returns nil when it is off; spans that cannot be exported are logged on
// log. Shutdown flushes it.
func NewTracing(ctx context.Context, cfg config.Tracing, log *slog.Logger) (*telemetry.Tracing, error) {
	return telemetry.New(ctx, tracingSettings(cfg, log))
}

func tracingSettings(t config.Tracing, log *slog.Logger) telemetry.Settings {
	return telemetry.Settings{
		Log:            log,
		Endpoint:       t.Endpoint,
		Headers:        t.Headers,
		Timeout:        t.Timeout,
		Gzip:           t.Compression == "gzip",
		ServiceName:    cmp.Or(t.ServiceName, buildinfo.Name),
		ServiceVersion: buildinfo.Version,
		Attributes:     t.ResourceAttributes,
		Sampler:        t.Sampler,
		Ratio:          t.SamplerArg,
		Propagators:    t.Propagators,
	}
}

// startTracing starts the service's tracing and has Close flush it last,
// after everything that makes spans has stopped. Off, it returns nil.
func (a *App) startTracing(ctx context.Context, o options) (*telemetry.Tracing, error) {
	s := tracingSettings(a.cfg.Tracing, a.logger)
	if o.spans != nil {
		s.Exporter = o.spans
	}
	tr, err := telemetry.New(ctx, s)
	if err != nil || tr == nil {
		return nil, err
	}
	a.closers = append(a.closers, func() {
		flushCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := tr.Shutdown(flushCtx); err != nil {
			a.logger.Warn("spans not exported at shutdown", slog.Any("error", err))
		}
	})
	a.logger = tr.Logger(a.logger)
	return tr, nil
}
