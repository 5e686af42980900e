package tests

import (
	"bufio"
	"cmp"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"example.com/demo/internal/app"
	"example.com/demo/internal/apptest"
	"example.com/demo/internal/buildinfo"
	"example.com/demo/internal/config"
)

// waitUntil polls cond until it holds, for what happens just after an
// answer (a span ends, a log line is written), and reports whether it did
// within a generous deadline: never a timing assertion.
func waitUntil(cond func() bool) bool {
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			return false
		}
	}
	return true
}

// A caller's trace context, as a traced client or a proxy sends it.
const (
	callerTraceID     = "4bf92f3577b34da6a3ce929d0e0e4736"
	callerSpanID      = "00f067aa0ba902b7"
	callerTraceparent = "00-" + callerTraceID + "-" + callerSpanID + "-01"
)

// Every request runs in a server span named by its route, with its status;
// a caller's traceparent makes it part of the caller's trace.
func TestTracingRequestSpans(t *testing.T) {
	t.Parallel()
	spans := tracetest.NewInMemoryExporter()
	ta := newApp(t, apptest.WithSpanExporter(spans))
	cases := []struct {
		method, path, traceparent string
		name, route               string
		status                    int
	}{
		{"GET", "/api/v1/health/ready", "", "GET /api/v1/health/ready", "/api/v1/health/ready", http.StatusOK},
		{"GET", "/api/v1/health/live", callerTraceparent, "GET /api/v1/health/live", "/api/v1/health/live", http.StatusOK},
		{"GET", "/api/v1/no-such-route", "", "GET", "", http.StatusNotFound},
		{"PUT", "/api/v1/health/live", "", "PUT", "", http.StatusMethodNotAllowed},
		{"GET", "/api/v1/_test/panic", "", "GET /api/v1/_test/panic", "/api/v1/_test/panic", http.StatusInternalServerError},
	}
	for _, tc := range cases {
		req := ta.NewRequest(tc.method, tc.path, nil)
		if tc.traceparent != "" {
			req.Header.Set("traceparent", tc.traceparent)
		}
		r := ta.Invalid().Do(req)
		wantStatus(t, r, tc.status)
		s := waitSpan(t, spans, func(s tracetest.SpanStub) bool {
			return s.SpanKind == trace.SpanKindServer && attr(s, "url.path") == tc.path && attr(s, "http.request.method") == tc.method
		})
		if s.Name != tc.name || attr(s, "http.route") != tc.route || attr(s, "http.response.status_code") != strconv.Itoa(tc.status) {
			t.Errorf("%s %s: span %q route %q status %q; want %q %q %d", tc.method, tc.path, s.Name,
				attr(s, "http.route"), attr(s, "http.response.status_code"), tc.name, tc.route, tc.status)
		}
		if failed := s.Status.Code == codes.Error; failed != (tc.status >= 500) {
			t.Errorf("%s %s: span status %v", tc.method, tc.path, s.Status)
		}
		if tc.traceparent != "" && (s.SpanContext.TraceID().String() != callerTraceID ||
			s.Parent.SpanID().String() != callerSpanID || !s.Parent.IsRemote()) {
			t.Errorf("%s %s: trace %s parent %s; want the caller's %s %s", tc.method, tc.path,
				s.SpanContext.TraceID(), s.Parent.SpanID(), callerTraceID, callerSpanID)
		}
	}
}

// The statements a request sends are spans of its trace, children of its
// span, with their text and database.
func TestTracingSQLSpansAreChildrenOfTheRequest(t *testing.T) {
	t.Parallel()
	spans := tracetest.NewInMemoryExporter()
	ta := newApp(t, apptest.WithSpanExporter(spans))
	wantStatus(t, ta.Get("/api/v1/health/ready"), http.StatusOK)
	req := waitSpan(t, spans, func(s tracetest.SpanStub) bool { return s.Name == "GET /api/v1/health/ready" })
	sql := waitSpan(t, spans, func(s tracetest.SpanStub) bool {
		return strings.Contains(attr(s, "db.query.text"), "FROM schema_migrations")
	})
	if sql.SpanContext.TraceID() != req.SpanContext.TraceID() || sql.Parent.SpanID() != req.SpanContext.SpanID() {
		t.Fatalf("SQL span in trace %s under %s; want the request's %s under %s", sql.SpanContext.TraceID(),
			sql.Parent.SpanID(), req.SpanContext.TraceID(), req.SpanContext.SpanID())
	}
	if sql.Name != "SELECT" || sql.SpanKind != trace.SpanKindClient || attr(sql, "db.system.name") != "postgresql" ||
		attr(sql, "db.namespace") == "" || attr(sql, "db.operation.name") != "SELECT" {
		t.Errorf("SQL span %q kind %v attributes %v", sql.Name, sql.SpanKind, sql.Attributes)
	}
}

// The access log line of a request carries the ids of its span.
func TestTracingLogLinesCarryTraceIDs(t *testing.T) {
	t.Parallel()
	spans := tracetest.NewInMemoryExporter()
	ta := newApp(t, apptest.WithSpanExporter(spans))
	wantStatus(t, ta.Get("/api/v1/health/live"), http.StatusOK)
	s := waitSpan(t, spans, func(s tracetest.SpanStub) bool { return s.Name == "GET /api/v1/health/live" })
	line := accessLine(t, ta, "/api/v1/health/live")
	if line["trace_id"] != s.SpanContext.TraceID().String() || line["span_id"] != s.SpanContext.SpanID().String() {
		t.Fatalf("access log %v; want trace_id %s span_id %s", line, s.SpanContext.TraceID(), s.SpanContext.SpanID())
	}
}

// Off (the default), nothing is traced: no tracer on the pool, no trace
// ids in the logs, a caller's traceparent ignored.
func TestTracingOffByDefault(t *testing.T) {
	t.Parallel()
	ta := newApp(t)
	if ta.Config.Tracing.Enabled() {
		t.Fatalf("tracing on by default: %+v", ta.Config.Tracing)
	}
	if tracer := ta.DB.Config().ConnConfig.Tracer; tracer != nil {
		t.Errorf("the pool has a tracer: %T", tracer)
	}
	req := ta.NewRequest("GET", "/api/v1/health/ready", nil)
	req.Header.Set("traceparent", callerTraceparent)
	wantStatus(t, ta.Do(req), http.StatusOK)
	line := accessLine(t, ta, "/api/v1/health/ready")
	if _, ok := line["trace_id"]; ok {
		t.Errorf("trace ids logged with tracing off: %v", line)
	}
}

// Configured by the OTEL_* variables, the service posts its spans to the
// OTLP endpoint (protobuf over HTTP); when the variables turn tracing off
// again, nothing is sent there.
func TestTracingExportsToOTLPEndpoint(t *testing.T) {
	t.Parallel()
	db := apptest.New(t)
	cases := []struct {
		name string
		env  map[string]string
		// tracesEndpoint names the endpoint of traces alone.
		tracesEndpoint bool
		spans          bool
	}{
		{"endpoint", map[string]string{"OTEL_SERVICE_NAME": "traced-service"}, false, true},
		{"gzip, traces endpoint", map[string]string{"OTEL_EXPORTER_OTLP_COMPRESSION": "gzip"}, true, true},
		{"sdk disabled", map[string]string{"OTEL_SDK_DISABLED": "true"}, false, false},
		{"exporter none", map[string]string{"OTEL_TRACES_EXPORTER": "none"}, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			collector := newOTLPReceiver(t)
			tc.env["CONFIG_DIR"], tc.env["APP_ENV"] = t.TempDir(), "test"
			if tc.tracesEndpoint {
				tc.env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = collector.URL + "/v1/traces"
			} else {
				tc.env["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.URL
			}
			loaded, err := config.Load(func(k string) string { return tc.env[k] }, nil)
			if err != nil {
				t.Fatal(err)
			}
			cfg := *db.Config
			cfg.Tracing = loaded.Tracing
			a, err := app.New(context.Background(), &cfg, app.NewLogger(io.Discard, "error"))
			if err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			a.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/health/ready", nil))
			if rec.Code != http.StatusOK {
				t.Fatalf("ready: %d %s", rec.Code, rec.Body)
			}
			a.Close() // flushes the exporter
			names, services, posts := collector.received()
			if !tc.spans {
				if posts != 0 {
					t.Fatalf("%d exports with tracing off", posts)
				}
				return
			}
			if !names["GET /api/v1/health/ready"] || !names["SELECT"] {
				t.Errorf("spans received: %v", names)
			}
			if want := cmp.Or(tc.env["OTEL_SERVICE_NAME"], buildinfo.Name); !services[want] {
				t.Errorf("services %v, want %s", services, want)
			}
		})
	}
}

// otlpReceiver is a collector's OTLP/HTTP traces endpoint: it decodes each
// export and keeps the span and service names. An export is decoded as
// TracesData, which the protocol defines to be byte for byte the
// collector's ExportTraceServiceRequest.
type otlpReceiver struct {
	*httptest.Server
	mu       sync.Mutex
	names    map[string]bool
	services map[string]bool
	posts    int
}

func newOTLPReceiver(t *testing.T) *otlpReceiver {
	r := &otlpReceiver{names: map[string]bool{}, services: map[string]bool{}}
	r.Server = httptest.NewServer(http.HandlerFunc(r.export))
	t.Cleanup(r.Close)
	return r
}

func (r *otlpReceiver) export(w http.ResponseWriter, req *http.Request) {
	body, err := readBody(req)
	var msg tracepb.TracesData
	if err == nil {
		err = proto.Unmarshal(body, &msg)
	}
	if req.URL.Path != "/v1/traces" || req.Header.Get("Content-Type") != "application/x-protobuf" || err != nil {
		http.Error(w, "bad export", http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.posts++
	for _, rs := range msg.ResourceSpans {
		for _, kv := range rs.GetResource().GetAttributes() {
			if kv.Key == "service.name" {
				r.services[kv.GetValue().GetStringValue()] = true
			}
		}
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				r.names[s.Name] = true
			}
		}
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
}

// readBody reads an export, gzipped or not.
func readBody(req *http.Request) ([]byte, error) {
	var r io.Reader = req.Body
	if req.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(req.Body)
		if err != nil {
			return nil, err
		}
		r = zr
	}
	return io.ReadAll(r)
}

func (r *otlpReceiver) received() (names, services map[string]bool, posts int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.names, r.services, r.posts
}

// waitSpan waits for a span that match selects (spans are exported as they
// end, which may be just after the client has its answer).
func waitSpan(t *testing.T, exp *tracetest.InMemoryExporter, match func(tracetest.SpanStub) bool) tracetest.SpanStub {
	t.Helper()
	var found tracetest.SpanStub
	ok := waitUntil(func() bool {
		for _, s := range exp.GetSpans() {
			if match(s) {
				found = s
				return true
			}
		}
		return false
	})
	if !ok {
		t.Fatalf("no such span among %s", spanNames(exp.GetSpans()))
	}
	return found
}

func spanNames(spans tracetest.SpanStubs) string {
	names := make([]string, len(spans))
	for i, s := range spans {
		names[i] = s.Name
	}
	return strings.Join(names, ", ")
}

// attr is a span's attribute as text ("" when it has none).
func attr(s tracetest.SpanStub, key string) string {
	for _, kv := range s.Attributes {
		if kv.Key == attribute.Key(key) {
			return kv.Value.String()
		}
	}
	return ""
}

// accessLine waits for the access log line of a request to path.
func accessLine(t *testing.T, ta *apptest.TestApp, path string) map[string]any {
	t.Helper()
	var line map[string]any
	ok := waitUntil(func() bool {
		sc := bufio.NewScanner(strings.NewReader(ta.Logs()))
		for sc.Scan() {
			var l map[string]any
			if json.Unmarshal(sc.Bytes(), &l) == nil && l["msg"] == "request" && l["path"] == path {
				line = l
				return true
			}
		}
		return false
	})
	if !ok {
		t.Fatalf("no access log line for %s:\n%s", path, ta.Logs())
	}
	return line
}
