package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// Settings that name no endpoint and no exporter turn tracing off: no
// provider, no exporter, no tracer on a pool, loggers and propagation
// unchanged.
func TestNewOffIsNil(t *testing.T) {
	t.Parallel()
	tr, err := New(t.Context(), Settings{ServiceName: "shop", Sampler: "always_on", Propagators: []string{"tracecontext"}})
	if err != nil || tr != nil {
		t.Fatalf("New = %v, %v; want nil, nil", tr, err)
	}
	if tr.Tracer() != nil {
		t.Error("a tracer with tracing off")
	}
	cfg, err := pgxpool.ParseConfig("postgres://localhost/db")
	if err != nil {
		t.Fatal(err)
	}
	tr.ConfigurePool(cfg)
	if cfg.ConnConfig.Tracer != nil {
		t.Error("a pool tracer with tracing off")
	}
	l := slog.New(slog.NewJSONHandler(&bytes.Buffer{}, nil))
	if tr.Logger(l) != l {
		t.Error("the logger was wrapped with tracing off")
	}
	carrier := propagation.MapCarrier{"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}
	ctx := tr.Propagator().Extract(t.Context(), carrier)
	if trace.SpanContextFromContext(ctx).IsValid() {
		t.Error("a trace read from headers with tracing off")
	}
	if err := tr.Shutdown(t.Context()); err != nil {
		t.Error(err)
	}
}

// A line logged with the context of a span carries its ids; one logged
// without a span has none, also through With and WithGroup.
func TestLogHandlerAddsTraceIDs(t *testing.T) {
	t.Parallel()
	tr, err := New(t.Context(), Settings{Exporter: tracetest.NewInMemoryExporter()})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Shutdown(context.Background())
	var buf bytes.Buffer
	log := tr.Logger(slog.New(slog.NewJSONHandler(&buf, nil))).With("component", "x").WithGroup("g")
	ctx, span := tr.Tracer().Start(t.Context(), "op")
	defer span.End()
	cases := []struct {
		name string
		ctx  context.Context
		want bool
	}{
		{"in a span", ctx, true},
		{"outside any span", context.Background(), false},
	}
	for _, tc := range cases {
		buf.Reset()
		log.InfoContext(tc.ctx, "hello", "k", "v")
		var line map[string]any
		if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
			t.Fatalf("%s: %v: %s", tc.name, err, buf.Bytes())
		}
		g, _ := line["g"].(map[string]any)
		traceID, spanID := g["trace_id"], g["span_id"]
		if !tc.want {
			if traceID != nil || spanID != nil {
				t.Errorf("%s: ids on the line: %s", tc.name, buf.Bytes())
			}
			continue
		}
		sc := span.SpanContext()
		if traceID != sc.TraceID().String() || spanID != sc.SpanID().String() || line["component"] != "x" {
			t.Errorf("%s: line %s, want trace %s span %s", tc.name, buf.Bytes(), sc.TraceID(), sc.SpanID())
		}
	}
}

// The samplers of OTEL_TRACES_SAMPLER keep what they say.
func TestSampler(t *testing.T) {
	t.Parallel()
	sampledParent := trace.ContextWithRemoteSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1}, SpanID: trace.SpanID{1}, TraceFlags: trace.FlagsSampled, Remote: true}))
	cases := []struct {
		sampler       string
		ratio         float64
		root, sampled bool // is a new trace kept; is a sampled caller's trace kept
	}{
		{"", 0, true, true},
		{"always_on", 0, true, true},
		{"always_off", 0, false, false},
		{"traceidratio", 0, false, false},
		{"traceidratio", 1, true, true},
		{"parentbased_always_off", 0, false, true},
		{"parentbased_traceidratio", 0, false, true},
	}
	for _, tc := range cases {
		exp := tracetest.NewInMemoryExporter()
		tr, err := New(t.Context(), Settings{Exporter: exp, Sampler: tc.sampler, Ratio: tc.ratio})
		if err != nil {
			t.Fatal(err)
		}
		_, root := tr.Tracer().Start(context.Background(), "root")
		_, child := tr.Tracer().Start(sampledParent, "child")
		if root.IsRecording() != tc.root || child.IsRecording() != tc.sampled {
			t.Errorf("%s(%v): root kept %v, child of a sampled caller kept %v; want %v, %v",
				tc.sampler, tc.ratio, root.IsRecording(), child.IsRecording(), tc.root, tc.sampled)
		}
		root.End()
		child.End()
		_ = tr.Shutdown(context.Background())
	}
}
