package telemetry

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// collector answers exports with the statuses of its script in turn, then
// 200, and keeps the requests it accepted. It decodes them as TracesData,
// which the protocol defines to be byte for byte the collector's
// ExportTraceServiceRequest (whose Go package would bring gRPC in).
type collector struct {
	*httptest.Server
	mu       sync.Mutex
	script   []int
	calls    int
	requests []*tracepb.TracesData
	headers  []http.Header
}

func newCollector(t *testing.T, script ...int) *collector {
	c := &collector{script: script}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.calls++
		if len(c.script) > 0 {
			status := c.script[0]
			c.script = c.script[1:]
			w.WriteHeader(status)
			return
		}
		body, _ := io.ReadAll(r.Body)
		var req tracepb.TracesData
		if err := proto.Unmarshal(body, &req); err != nil || r.Header.Get("Content-Type") != "application/x-protobuf" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		c.requests = append(c.requests, &req)
		c.headers = append(c.headers, r.Header.Clone())
	}))
	t.Cleanup(c.Close)
	return c
}

func (c *collector) spans() []*tracepb.Span {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*tracepb.Span
	for _, req := range c.requests {
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				out = append(out, ss.Spans...)
			}
		}
	}
	return out
}

// A collector reads the spans as they were: ids, parent (remote or not),
// kind, status, attributes of every kind, events, and the service's
// resource and headers.
func TestOTLPExportIsWhatACollectorReads(t *testing.T) {
	t.Parallel()
	c := newCollector(t)
	tr, err := New(t.Context(), Settings{Endpoint: c.URL + "/v1/traces", ServiceName: "shop", ServiceVersion: "1.2.3",
		Headers: map[string]string{"Api-Key": "k"}, Attributes: map[string]string{"deployment.environment.name": "test"}})
	if err != nil {
		t.Fatal(err)
	}
	caller := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{9}, SpanID: trace.SpanID{8},
		TraceFlags: trace.FlagsSampled, Remote: true})
	ctx, server := tr.Tracer().Start(trace.ContextWithRemoteSpanContext(t.Context(), caller), "GET /x",
		trace.WithSpanKind(trace.SpanKindServer))
	_, child := tr.Tracer().Start(ctx, "SELECT", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		attribute.String("s", "v"), attribute.Int("i", 7), attribute.Float64("f", 0.5), attribute.Bool("b", true),
		attribute.StringSlice("ss", []string{"a", "b"})))
	child.AddEvent("retry", trace.WithAttributes(attribute.Int("n", 2)))
	child.SetStatus(codes.Error, "boom")
	child.End()
	server.SetStatus(codes.Ok, "")
	server.End()
	if err := tr.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	got := map[string]*tracepb.Span{}
	for _, s := range c.spans() {
		got[s.Name] = s
	}
	srv, sel := got["GET /x"], got["SELECT"]
	if srv == nil || sel == nil {
		t.Fatalf("spans received: %v", got)
	}
	callerTrace, callerSpan := caller.TraceID(), caller.SpanID()
	wantAttrs := map[string]any{"s": "v", "i": int64(7), "f": 0.5, "b": true, "ss": []any{"a", "b"}}
	checks := []struct {
		what string
		ok   bool
	}{
		{"trace id", bytes.Equal(srv.TraceId, callerTrace[:])},
		{"server parent is the caller", bytes.Equal(srv.ParentSpanId, callerSpan[:])},
		{"remote parent flag", srv.Flags == 0x301},
		{"local parent flag", sel.Flags == 0x101},
		{"child of the server span", bytes.Equal(sel.ParentSpanId, srv.SpanId) && bytes.Equal(sel.TraceId, srv.TraceId)},
		{"kinds", srv.Kind == tracepb.Span_SPAN_KIND_SERVER && sel.Kind == tracepb.Span_SPAN_KIND_CLIENT},
		{"statuses", srv.Status.Code == tracepb.Status_STATUS_CODE_OK &&
			sel.Status.Code == tracepb.Status_STATUS_CODE_ERROR && sel.Status.Message == "boom"},
		{"times", sel.StartTimeUnixNano > 0 && sel.EndTimeUnixNano >= sel.StartTimeUnixNano},
		{"attributes", reflect.DeepEqual(attrs(sel.Attributes), wantAttrs)},
		{"event", len(sel.Events) == 1 && sel.Events[0].Name == "retry" &&
			reflect.DeepEqual(attrs(sel.Events[0].Attributes), map[string]any{"n": int64(2)})},
		{"headers", c.headers[0].Get("Api-Key") == "k"},
	}
	for _, ch := range checks {
		if !ch.ok {
			t.Errorf("%s wrong:\nserver %v\nchild %v", ch.what, srv, sel)
		}
	}
	res := attrs(c.requests[0].ResourceSpans[0].Resource.Attributes)
	if res["service.name"] != "shop" || res["service.version"] != "1.2.3" || res["deployment.environment.name"] != "test" {
		t.Errorf("resource %v", res)
	}
}

// What the protocol says may be retried is retried; anything else drops the
// batch and logs it; the service never waits on the collector beyond the
// timeout.
func TestOTLPExportRetries(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		script   []int
		exported bool
		calls    int
	}{
		{"accepted", nil, true, 1},
		{"busy, then accepted", []int{http.StatusTooManyRequests, http.StatusServiceUnavailable}, true, 3},
		{"refused", []int{http.StatusBadRequest}, false, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newCollector(t, tc.script...)
			var logs bytes.Buffer
			tr, err := New(t.Context(), Settings{Endpoint: c.URL + "/v1/traces", Log: slog.New(slog.NewTextHandler(&logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			_, span := tr.Tracer().Start(t.Context(), "op")
			span.End()
			if err := tr.Shutdown(t.Context()); err != nil {
				t.Fatal(err)
			}
			if got := len(c.spans()) == 1; got != tc.exported || c.calls != tc.calls {
				t.Errorf("exported %v after %d calls; want %v after %d", got, c.calls, tc.exported, tc.calls)
			}
			if logged := strings.Contains(logs.String(), "spans not exported"); logged == tc.exported {
				t.Errorf("log %q", logs.String())
			}
		})
	}
}

// An unreachable collector fails the export once its timeout is over.
func TestOTLPExportGivesUp(t *testing.T) {
	t.Parallel()
	c := newCollector(t)
	c.Close()
	rec := tracetest.NewSpanRecorder()
	_, span := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)).Tracer("t").Start(t.Context(), "op")
	span.End()
	e := newOTLPExporter(Settings{Endpoint: c.URL + "/v1/traces"}, 300*time.Millisecond)
	err := e.ExportSpans(context.Background(), rec.Ended())
	if err == nil || !strings.Contains(err.Error(), "export abandoned") {
		t.Fatalf("err = %v", err)
	}
}

// attrs are attributes as Go values.
func attrs(kvs []*commonpb.KeyValue) map[string]any {
	out := map[string]any{}
	for _, kv := range kvs {
		out[kv.Key] = goValue(kv.Value)
	}
	return out
}

func goValue(v *commonpb.AnyValue) any {
	switch x := v.Value.(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_IntValue:
		return x.IntValue
	case *commonpb.AnyValue_DoubleValue:
		return x.DoubleValue
	case *commonpb.AnyValue_BoolValue:
		return x.BoolValue
	case *commonpb.AnyValue_ArrayValue:
		var out []any
		for _, e := range x.ArrayValue.Values {
			out = append(out, goValue(e))
		}
		return out
	}
	return nil
}
