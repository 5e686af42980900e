package tasks

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// A task carries the trace of the request that created it to whichever
// worker runs it, in whichever process: its trace_context column holds the
// W3C trace context (traceparent, tracestate) of the creator's span, and
// the span of each attempt is that span's child. The W3C format alone is
// stored and sent on, whatever the service propagates otherwise: baggage
// may hold what a webhook's third party must not see.
var traceFormat = propagation.TraceContext{} //nolint:gochecknoglobals // a stateless value

// traceContextOf is the trace context of ctx's span as stored with a task,
// or nil (NULL) when ctx is not traced.
func traceContextOf(ctx context.Context) json.RawMessage {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return nil
	}
	carrier := propagation.MapCarrier{}
	traceFormat.Inject(ctx, carrier)
	b, err := json.Marshal(carrier)
	if err != nil {
		return nil
	}
	return b
}

// The attributes of a task's span.
const (
	attrTaskID      = attribute.Key("task.id")
	attrTaskType    = attribute.Key("task.type")
	attrTaskAttempt = attribute.Key("task.attempt")
	attrTaskOutcome = attribute.Key("task.outcome")
)

// traceAttempt starts the span of one attempt of t, the child of the span
// that created t when t has its trace context. Without a tracer it
// returns ctx and a nil span.
func (w *Worker) traceAttempt(ctx context.Context, t *Task) (context.Context, trace.Span) {
	if w.s.Tracer == nil {
		return ctx, nil
	}
	if len(t.TraceContext) > 0 {
		ctx = traceFormat.Extract(ctx, propagation.MapCarrier(t.TraceContext))
	}
	return w.s.Tracer.Start(ctx, "task "+t.TaskType, trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(attrTaskID.String(t.ID.String()), attrTaskType.String(t.TaskType),
			attrTaskAttempt.Int(t.CurrentAttempt)))
}

// endAttempt ends the span of an attempt with its outcome; a retry or a
// failure marks it failed.
func endAttempt(span trace.Span, o outcome) {
	if span == nil {
		return
	}
	span.SetAttributes(attrTaskOutcome.String(string(o.kind)))
	if o.kind == outcomeRetrying || o.kind == outcomeFailed {
		span.SetStatus(codes.Error, o.err)
	}
	span.End()
}

// traceOutgoing puts an outgoing request of a handler in a client span of
// the attempt's trace and sends the trace on in its traceparent header, so
// that the receiver's spans join the trace. The URL is recorded without
// its query and user info, which may hold credentials. When the attempt is
// not traced the request goes unchanged. The returned function ends the
// span with the reply's status, or the error when no reply came.
func traceOutgoing(req *http.Request) (*http.Request, func(*http.Response, error)) {
	parent := trace.SpanFromContext(req.Context())
	if !parent.SpanContext().IsValid() {
		return req, func(*http.Response, error) {}
	}
	u := *req.URL
	u.RawQuery, u.ForceQuery, u.User, u.Fragment = "", false, nil, ""
	attrs := []attribute.KeyValue{semconv.HTTPRequestMethodKey.String(req.Method), semconv.URLFull(u.String()),
		semconv.ServerAddress(u.Hostname())}
	if port, err := strconv.Atoi(u.Port()); err == nil {
		attrs = append(attrs, semconv.ServerPort(port))
	}
	ctx, span := parent.TracerProvider().Tracer(tracerScope).Start(req.Context(), req.Method,
		trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	req = req.WithContext(ctx)
	traceFormat.Inject(ctx, propagation.HeaderCarrier(req.Header))
	return req, func(resp *http.Response, err error) {
		switch {
		case err != nil:
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		case resp.StatusCode >= http.StatusBadRequest:
			span.SetStatus(codes.Error, http.StatusText(resp.StatusCode))
		}
		if resp != nil {
			span.SetAttributes(semconv.HTTPResponseStatusCode(resp.StatusCode))
		}
		span.End()
	}
}

// tracerScope names the instrumentation of the spans handlers start.
const tracerScope = "app/tasks"
