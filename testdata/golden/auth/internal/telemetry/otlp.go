package telemetry

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// otlpExporter posts spans to an OTLP/HTTP traces endpoint as protobuf,
// batched by the SDK's batch span processor. It is the OTLP protocol's
// HTTP transport and nothing more, on the OpenTelemetry SDK and the
// protocol's own Go types: OpenTelemetry's exporter module links gRPC and
// a gRPC gateway into every binary that imports it (about 9 MB, measured),
// though its HTTP transport uses neither. The body is a TracesData, which
// the protocol defines to be byte for byte the ExportTraceServiceRequest a
// collector reads.
type otlpExporter struct {
	url     string
	headers map[string]string
	gzip    bool
	timeout time.Duration
	client  *http.Client
	log     *slog.Logger
	stopped atomic.Bool
}

func newOTLPExporter(s Settings, timeout time.Duration) *otlpExporter {
	return &otlpExporter{url: s.Endpoint, headers: s.Headers, gzip: s.Gzip, timeout: timeout, log: s.Log,
		client: &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}}
}

// ExportSpans posts one batch, retrying what the protocol says may be
// retried (429, 502, 503, 504, a lost connection) until the timeout, which
// bounds the whole export. A batch that fails is dropped: tracing must
// never hold the service up.
func (e *otlpExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if e.stopped.Load() || len(spans) == 0 {
		return nil
	}
	err := e.export(ctx, spans)
	if err != nil && e.log != nil {
		e.log.Warn("spans not exported", slog.Int("spans", len(spans)), slog.Any("error", err))
		return nil
	}
	return err
}

func (e *otlpExporter) export(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	body, err := e.encode(spans)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	for attempt := 0; ; attempt++ {
		asked, err := e.post(ctx, body)
		if err == nil || asked < 0 {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("otlp: export abandoned: %w", err)
		case <-time.After(retryDelay(attempt, asked)):
		}
	}
}

// retryDelay backs off from 100 ms to 5 s, or waits as long as the
// endpoint asked.
func retryDelay(attempt int, asked time.Duration) time.Duration {
	if asked > time.Second {
		return asked
	}
	return min(100*time.Millisecond<<min(attempt, 6), 5*time.Second)
}

func (e *otlpExporter) encode(spans []sdktrace.ReadOnlySpan) ([]byte, error) {
	body, err := proto.Marshal(&tracepb.TracesData{ResourceSpans: resourceSpans(spans)})
	if err != nil || !e.gzip {
		return body, err
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(body); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// post sends one export. A failure that may be retried comes with the
// delay the endpoint asked for (0: none); one that may not, with -1.
func (e *otlpExporter) post(ctx context.Context, body []byte) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url, bytes.NewReader(body))
	if err != nil {
		return -1, fmt.Errorf("otlp: %w", err)
	}
	for k, v := range e.headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	if e.gzip {
		req.Header.Set("Content-Encoding", "gzip")
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("otlp: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	refused := fmt.Errorf("otlp: %s answered %s", e.url, resp.Status)
	switch resp.StatusCode {
	case http.StatusOK, http.StatusAccepted, http.StatusNoContent:
		return 0, nil
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		return time.Duration(max(secs, 0)) * time.Second, refused
	}
	return -1, refused
}

// Shutdown stops exporting; the provider has flushed its batch before.
func (e *otlpExporter) Shutdown(context.Context) error {
	e.stopped.Store(true)
	e.client.CloseIdleConnections()
	return nil
}

// resourceSpans groups spans by their resource and instrumentation scope,
// as the protocol nests them.
func resourceSpans(spans []sdktrace.ReadOnlySpan) []*tracepb.ResourceSpans {
	type scopeKey struct {
		res   attribute.Distinct
		scope instrumentation.Scope
	}
	var out []*tracepb.ResourceSpans
	byRes := map[attribute.Distinct]*tracepb.ResourceSpans{}
	byScope := map[scopeKey]*tracepb.ScopeSpans{}
	for _, s := range spans {
		res, scope := s.Resource(), s.InstrumentationScope()
		rs, ok := byRes[res.Equivalent()]
		if !ok {
			rs = &tracepb.ResourceSpans{Resource: resourceProto(res), SchemaUrl: res.SchemaURL()}
			byRes[res.Equivalent()] = rs
			out = append(out, rs)
		}
		k := scopeKey{res.Equivalent(), scope}
		ss, ok := byScope[k]
		if !ok {
			ss = &tracepb.ScopeSpans{SchemaUrl: scope.SchemaURL, Scope: &commonpb.InstrumentationScope{
				Name: scope.Name, Version: scope.Version, Attributes: keyValues(scope.Attributes.ToSlice())}}
			byScope[k] = ss
			rs.ScopeSpans = append(rs.ScopeSpans, ss)
		}
		ss.Spans = append(ss.Spans, spanProto(s))
	}
	return out
}

func resourceProto(r *resource.Resource) *resourcepb.Resource {
	if r == nil {
		return &resourcepb.Resource{}
	}
	return &resourcepb.Resource{Attributes: keyValues(r.Attributes())}
}

func spanProto(s sdktrace.ReadOnlySpan) *tracepb.Span {
	sc := s.SpanContext()
	traceID, spanID := sc.TraceID(), sc.SpanID()
	st := s.Status()
	p := &tracepb.Span{
		TraceId:                traceID[:],
		SpanId:                 spanID[:],
		TraceState:             sc.TraceState().String(),
		Flags:                  spanFlags(sc.TraceFlags(), s.Parent()),
		Name:                   s.Name(),
		Kind:                   tracepb.Span_SpanKind(s.SpanKind()), // the same numbers, 1 (internal) to 5
		StartTimeUnixNano:      unixNanos(s.StartTime()),
		EndTimeUnixNano:        unixNanos(s.EndTime()),
		Attributes:             keyValues(s.Attributes()),
		DroppedAttributesCount: count(s.DroppedAttributes()),
		DroppedEventsCount:     count(s.DroppedEvents()),
		DroppedLinksCount:      count(s.DroppedLinks()),
		Status:                 &tracepb.Status{},
	}
	switch st.Code {
	case codes.Error:
		p.Status.Code, p.Status.Message = tracepb.Status_STATUS_CODE_ERROR, st.Description
	case codes.Ok:
		p.Status.Code = tracepb.Status_STATUS_CODE_OK
	}
	if parent := s.Parent().SpanID(); parent.IsValid() {
		p.ParentSpanId = parent[:]
	}
	for _, ev := range s.Events() {
		p.Events = append(p.Events, &tracepb.Span_Event{Name: ev.Name, TimeUnixNano: unixNanos(ev.Time),
			Attributes: keyValues(ev.Attributes), DroppedAttributesCount: count(ev.DroppedAttributeCount)})
	}
	for _, l := range s.Links() {
		t, id := l.SpanContext.TraceID(), l.SpanContext.SpanID()
		p.Links = append(p.Links, &tracepb.Span_Link{TraceId: t[:], SpanId: id[:], TraceState: l.SpanContext.TraceState().String(),
			Attributes: keyValues(l.Attributes), DroppedAttributesCount: count(l.DroppedAttributeCount),
			Flags: spanFlags(l.SpanContext.TraceFlags(), l.SpanContext)})
	}
	return p
}

// spanFlags are the W3C trace flags and whether the parent was remote.
func spanFlags(f trace.TraceFlags, parent trace.SpanContext) uint32 {
	flags := uint32(f) | uint32(tracepb.SpanFlags_SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK)
	if parent.IsRemote() {
		flags |= uint32(tracepb.SpanFlags_SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK)
	}
	return flags
}

func unixNanos(t time.Time) uint64 { return uint64(max(0, t.UnixNano())) }

func count(n int) uint32 { return uint32(min(max(n, 0), math.MaxUint32)) }

func keyValues(attrs []attribute.KeyValue) []*commonpb.KeyValue {
	if len(attrs) == 0 {
		return nil
	}
	out := make([]*commonpb.KeyValue, len(attrs))
	for i, kv := range attrs {
		out[i] = &commonpb.KeyValue{Key: string(kv.Key), Value: anyValue(kv.Value)}
	}
	return out
}

// anyValue converts an attribute's value; kinds the service's spans do not
// use are sent as their text.
func anyValue(v attribute.Value) *commonpb.AnyValue {
	switch v.Type() {
	case attribute.BOOL:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_BoolValue{BoolValue: v.AsBool()}}
	case attribute.INT64:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: v.AsInt64()}}
	case attribute.FLOAT64:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: v.AsFloat64()}}
	case attribute.STRING:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v.AsString()}}
	case attribute.STRINGSLICE:
		return arrayValue(v.AsStringSlice(), func(s string) attribute.Value { return attribute.StringValue(s) })
	case attribute.INT64SLICE:
		return arrayValue(v.AsInt64Slice(), attribute.Int64Value)
	case attribute.FLOAT64SLICE:
		return arrayValue(v.AsFloat64Slice(), attribute.Float64Value)
	case attribute.BOOLSLICE:
		return arrayValue(v.AsBoolSlice(), attribute.BoolValue)
	}
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v.String()}}
}

func arrayValue[T any](items []T, value func(T) attribute.Value) *commonpb.AnyValue {
	vals := make([]*commonpb.AnyValue, len(items))
	for i, it := range items {
		vals[i] = anyValue(value(it))
	}
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{ArrayValue: &commonpb.ArrayValue{Values: vals}}}
}
