package httpapi

import (
	"net"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// middleware is the chain every request goes through, 404 and 405 included;
// the tracing span wraps all but the request id, so that the access log
// line, written inside it, carries its trace id. Without tracing the chain
// is what it was: tracing off costs nothing.
func (s *Server) middleware() []gin.HandlerFunc {
	chain := []gin.HandlerFunc{s.stamp}
	if s.Tracing != nil {
		s.tracer, s.propagator = s.Tracing.Tracer(), s.Tracing.Propagator()
		chain = append(chain, s.trace)
	}
	return append(chain, s.observe, s.recover, s.cors, s.limitBody, s.deadline)
}

// trace runs the request in a server span, continuing the trace of the
// caller's traceparent header when it has one. Gin has matched the route
// before any middleware runs, so the span is named by it from the start
// ("GET /api/v1/tasks/:id"); a path that matched none is named by its
// method alone, so that scanners cannot make up span names.
func (s *Server) trace(c *gin.Context) {
	r := c.Request
	ctx := s.propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	route := c.FullPath()
	name := spanMethod(r.Method)
	if route != "" {
		name += " " + route
	}
	ctx, span := s.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(requestAttrs(r)...))
	defer span.End()
	if route != "" {
		span.SetAttributes(semconv.HTTPRoute(route))
	}
	c.Request = r.WithContext(ctx)
	c.Next()
	status := c.Writer.Status()
	span.SetAttributes(semconv.HTTPResponseStatusCode(status))
	if status >= http.StatusInternalServerError {
		// Only server errors fail the span: a 4xx is the client's doing.
		span.SetStatus(codes.Error, http.StatusText(status))
		if len(c.Errors) > 0 {
			span.RecordError(c.Errors.Last())
		}
	}
}

// requestAttrs describe a request as the HTTP semantic conventions do.
func requestAttrs(r *http.Request) []attribute.KeyValue {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	attrs := make([]attribute.KeyValue, 0, 6)
	attrs = append(attrs, methodAttr(r.Method), semconv.URLScheme(scheme), semconv.URLPath(r.URL.Path),
		semconv.NetworkProtocolVersion(protocolVersion(r)))
	if ua := r.UserAgent(); ua != "" {
		attrs = append(attrs, semconv.UserAgentOriginal(ua))
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		attrs = append(attrs, semconv.NetworkPeerAddress(host))
	}
	return attrs
}

// spanMethod is the method a span is named by: any other than the
// standard ones is _OTHER, so that clients cannot make up span names.
func spanMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "_OTHER"
}

func methodAttr(m string) attribute.KeyValue {
	if spanMethod(m) != m {
		return semconv.HTTPRequestMethodOther
	}
	return semconv.HTTPRequestMethodKey.String(m)
}

func protocolVersion(r *http.Request) string {
	if r.ProtoMajor >= 2 {
		return strconv.Itoa(r.ProtoMajor)
	}
	return strconv.Itoa(r.ProtoMajor) + "." + strconv.Itoa(r.ProtoMinor)
}
