// Package telemetry sets up OpenTelemetry tracing: the tracer provider and
// its OTLP/HTTP exporter, the propagators that carry a trace across
// processes, the spans of SQL statements (SQLTracer) and the trace ids on
// log lines (LogHandler). Nothing here touches the otel package's global
// provider: the service hands its *Tracing to what it traces. Off (no
// endpoint), New returns nil and nothing is traced, wrapped or started.
package telemetry

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// Settings configures tracing. The zero value is valid: tracing is off.
type Settings struct {
	// Endpoint is the URL spans are posted to with OTLP over HTTP, as
	// protobuf (…/v1/traces). Empty, and no Exporter: tracing is off.
	Endpoint string
	// Headers are sent with every export (default none).
	Headers map[string]string
	// Timeout bounds one export (default 10s).
	Timeout time.Duration
	// Gzip compresses the exports (default off).
	Gzip bool
	// ServiceName is service.name on every span (default
	// "unknown_service", as the specification has it).
	ServiceName string
	// ServiceVersion is service.version on every span (default none).
	ServiceVersion string
	// Attributes describe the process on every span (default none).
	Attributes map[string]string
	// Sampler is always_on, always_off, traceidratio or parentbased_ and one
	// of those (default parentbased_always_on).
	Sampler string
	// Ratio is the fraction of traces the traceidratio samplers keep
	// (default 0: none; the configuration defaults it to 1).
	Ratio float64
	// Propagators name the header formats a trace crosses processes in:
	// tracecontext, baggage (default nil: both; empty: none).
	Propagators []string
	// Log receives a warning for each batch of spans that could not be
	// exported (default nil: the SDK reports it to otel's error handler,
	// which prints it on stderr).
	Log *slog.Logger
	// Exporter, when set, receives the spans instead of an OTLP endpoint,
	// each as it ends (tests give tracetest.NewInMemoryExporter()).
	Exporter sdktrace.SpanExporter
}

// Tracing is the tracer provider of the process. A nil *Tracing is tracing
// off: its methods return nil tracers and no-op propagators.
type Tracing struct {
	provider   *sdktrace.TracerProvider
	propagator propagation.TextMapPropagator
}

// New starts tracing as s says, or returns nil when s turns it off. The
// exporter connects lazily: an unreachable collector is not an error here,
// and an export that still fails after its retries is dropped and logged
// (Settings.Log).
func New(ctx context.Context, s Settings) (*Tracing, error) {
	if s.Endpoint == "" && s.Exporter == nil {
		return nil, nil
	}
	process, err := newResource(ctx, s)
	if err != nil {
		return nil, err
	}
	return &Tracing{
		provider: sdktrace.NewTracerProvider(
			sdktrace.WithResource(process),
			sdktrace.WithSampler(sampler(s.Sampler, s.Ratio)),
			sdktrace.WithSpanProcessor(newProcessor(s)),
		),
		propagator: propagator(s.Propagators),
	}, nil
}

// newProcessor batches spans for the OTLP endpoint, or hands them one by
// one to s.Exporter, so that a test sees a span as soon as it ends.
func newProcessor(s Settings) sdktrace.SpanProcessor {
	if s.Exporter != nil {
		return sdktrace.NewSimpleSpanProcessor(s.Exporter)
	}
	return sdktrace.NewBatchSpanProcessor(newOTLPExporter(s, cmp.Or(s.Timeout, 10*time.Second)))
}

func newResource(ctx context.Context, s Settings) (*resource.Resource, error) {
	attrs := make([]attribute.KeyValue, 0, len(s.Attributes)+2)
	for k, v := range s.Attributes {
		attrs = append(attrs, attribute.String(k, v))
	}
	attrs = append(attrs, semconv.ServiceName(cmp.Or(s.ServiceName, "unknown_service")))
	if s.ServiceVersion != "" {
		attrs = append(attrs, semconv.ServiceVersion(s.ServiceVersion))
	}
	r, err := resource.New(ctx, resource.WithSchemaURL(semconv.SchemaURL), resource.WithTelemetrySDK(),
		resource.WithHost(), resource.WithAttributes(attrs...))
	if err != nil {
		return nil, fmt.Errorf("telemetry: resource: %w", err)
	}
	return r, nil
}

// sampler maps the names of OTEL_TRACES_SAMPLER to samplers.
func sampler(name string, ratio float64) sdktrace.Sampler {
	switch name {
	case "always_on":
		return sdktrace.AlwaysSample()
	case "always_off":
		return sdktrace.NeverSample()
	case "traceidratio":
		return sdktrace.TraceIDRatioBased(ratio)
	case "parentbased_always_off":
		return sdktrace.ParentBased(sdktrace.NeverSample())
	case "parentbased_traceidratio":
		return sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio))
	default:
		return sdktrace.ParentBased(sdktrace.AlwaysSample())
	}
}

func propagator(names []string) propagation.TextMapPropagator {
	if names == nil {
		names = []string{"tracecontext", "baggage"}
	}
	var ps []propagation.TextMapPropagator
	for _, n := range names {
		switch n {
		case "tracecontext":
			ps = append(ps, propagation.TraceContext{})
		case "baggage":
			ps = append(ps, propagation.Baggage{})
		}
	}
	return propagation.NewCompositeTextMapPropagator(ps...)
}

// Tracer returns the tracer of the service's own spans, or nil when
// tracing is off.
func (t *Tracing) Tracer() trace.Tracer {
	if t == nil {
		return nil
	}
	return t.provider.Tracer(scope)
}

// scope names the instrumentation in every span: the service's own code.
const scope = "app"

// Propagator reads a trace from incoming requests and writes it to
// outgoing ones; when tracing is off it does neither.
func (t *Tracing) Propagator() propagation.TextMapPropagator {
	if t == nil {
		return propagation.NewCompositeTextMapPropagator()
	}
	return t.propagator
}

// Shutdown exports the spans still buffered and stops the exporter.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	if err := t.provider.Shutdown(ctx); err != nil {
		return fmt.Errorf("telemetry: shutdown: %w", err)
	}
	return nil
}
