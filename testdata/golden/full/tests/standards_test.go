package tests

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"example.com/demo/internal/apptest"
	"example.com/demo/internal/config"
)

const echoPath = "/api/v1/_test/echo"

func TestSuccessEnvelopeHasMessage(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	r := app.PostJSON(echoPath, map[string]any{"name": "a", "count": 2})
	env := r.Envelope(t)
	if r.Status != http.StatusOK || !env.Success || env.Error != nil || env.Message == nil || *env.Message != "echoed" {
		t.Fatalf("got %d %s", r.Status, r.Body)
	}
	top := object(t, r.Body)
	if len(top) != 3 {
		t.Fatalf("success envelope keys = %v, want success, data, message", keys(top))
	}
	var got echoBody
	r.Data(t, &got)
	if got.Name != "a" || got.Count != 2 {
		t.Fatalf("data = %+v", got)
	}
}

func TestUnknownPathIsJSON404(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	for _, path := range []string{"/nope", "/api/v1/nope", "/api/v2/health"} {
		wantError(t, app.Get(path), http.StatusNotFound, "NOT_FOUND")
	}
}

func TestErrorEnvelopeShape(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	r := app.Get("/api/v1/nope")
	top := object(t, r.Body)
	if len(top) != 2 || string(top["success"]) != "false" {
		t.Fatalf("error envelope keys = %v, want success, error: %s", keys(top), r.Body)
	}
	errObj := object(t, top["error"])
	if _, hasField := errObj["field"]; hasField || len(errObj) != 2 {
		t.Fatalf("error object = %s, want code and message only", top["error"])
	}
}

func TestTrailingSlashIs404NotRedirect(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	for _, path := range []string{"/api/v1/health/live/", "/api/v1/health/", "/metrics/"} {
		r := app.Get(path)
		if r.Header.Get("Location") != "" {
			t.Fatalf("%s redirects to %s", path, r.Header.Get("Location"))
		}
		wantError(t, r, http.StatusNotFound, "NOT_FOUND")
	}
}

func TestWrongMethodIs405WithAllow(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	r := app.PostJSON("/api/v1/health/live", map[string]any{})
	wantError(t, r, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED")
	if got := r.Header.Get("Allow"); got != "GET, HEAD" {
		t.Fatalf("Allow = %q, want GET, HEAD", got)
	}
	r = app.Raw(http.MethodPut, echoPath, "application/json", []byte(`{}`))
	wantError(t, r, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED")
	if got := r.Header.Get("Allow"); !strings.Contains(got, "GET") || !strings.Contains(got, "POST") {
		t.Fatalf("Allow = %q, want GET and POST", got)
	}
}

func TestMalformedJSONIs400(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	for _, body := range []string{`{"name":`, `{"name": "a",}`, `not json`, `{"a":1} {"b":2}`, `{'name': 'a'}`} {
		wantError(t, app.Raw(http.MethodPost, echoPath, "application/json", []byte(body)), http.StatusBadRequest, "MALFORMED_JSON")
	}
}

func TestEmptyBodyIs400(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	for _, body := range []string{"", "   \n"} {
		wantError(t, app.Raw(http.MethodPost, echoPath, "application/json", []byte(body)), http.StatusBadRequest, "MALFORMED_JSON")
	}
}

func TestContentTypeMustBeJSON(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "application/jsonx", "multipart/form-data; boundary=x"} {
		r := app.Raw(http.MethodPost, echoPath, ct, []byte(`{"name":"a"}`))
		wantError(t, r, http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE")
	}
	for _, ct := range []string{"application/json", "application/json; charset=utf-8", "Application/JSON"} {
		if r := app.Raw(http.MethodPost, echoPath, ct, []byte(`{"name":"a"}`)); r.Status != http.StatusOK {
			t.Fatalf("Content-Type %q: got %d %s", ct, r.Status, r.Body)
		}
	}
}

func TestOversizedBodyIs413(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	big := append([]byte(`{"name":"`), bytes.Repeat([]byte("x"), 2<<20)...)
	big = append(big, `"}`...)
	wantError(t, app.Raw(http.MethodPost, echoPath, "application/json", big), http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE")

	// Without Content-Length the limit bites while the body is read.
	req := app.NewRequest(http.MethodPost, echoPath, io.MultiReader(bytes.NewReader(big)))
	req.Header.Set("Content-Type", "application/json")
	req.ContentLength = -1
	wantError(t, app.Do(req), http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE")
}

func TestBodyAtLimitIsAccepted(t *testing.T) {
	t.Parallel()
	app := newApp(t, apptest.WithConfig(func(c *config.Config) { c.BodyLimit = 1024 }))
	body := []byte(`{"name":"` + strings.Repeat("x", 1024-len(`{"name":""}`)) + `"}`)
	if r := app.Raw(http.MethodPost, echoPath, "application/json", body); r.Status != http.StatusOK {
		t.Fatalf("body of exactly the limit: got %d %s", r.Status, r.Body)
	}
	body = append(body[:len(body)-2], `x"}`...)
	wantError(t, app.Raw(http.MethodPost, echoPath, "application/json", body), http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE")
}

func TestWrongJSONTypeIs422WithField(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	cases := []struct{ body, field string }{
		{`{"name": 5}`, "name"},
		{`{"count": "5"}`, "count"},
		{`{"count": 1.5}`, "count"},
		{`{"tags": "a"}`, "tags"},
		{`{"tags": [1]}`, "tags"},
		{`{"extra": []}`, "extra"},
	}
	for _, tc := range cases {
		r := app.Raw(http.MethodPost, echoPath, "application/json", []byte(tc.body))
		wantError(t, r, http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY")
		if r.ErrorField() != tc.field {
			t.Errorf("%s: field = %q, want %q", tc.body, r.ErrorField(), tc.field)
		}
	}
}

func TestNonObjectBodyIs422(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	for _, body := range []string{`[]`, `"a"`, `42`, `true`} {
		wantError(t, app.Raw(http.MethodPost, echoPath, "application/json", []byte(body)), http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY")
	}
}

// nested builds a body whose containers nest depth levels deep, alternating
// objects and arrays below the top-level object.
func nested(depth int) string {
	var b strings.Builder
	closers := []byte{'}'}
	b.WriteString(`{"deep":`)
	for i := 1; i < depth; i++ {
		if i%2 == 1 {
			b.WriteString("[")
			closers = append(closers, ']')
		} else {
			b.WriteString(`{"k":`)
			closers = append(closers, '}')
		}
	}
	b.WriteString("1")
	for i := len(closers) - 1; i >= 0; i-- {
		b.WriteByte(closers[i])
	}
	return b.String()
}

func TestNestingDeeperThan32Is422(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	if r := app.Raw(http.MethodPost, echoPath, "application/json", []byte(nested(32))); r.Status != http.StatusOK {
		t.Fatalf("depth 32: got %d %s", r.Status, r.Body)
	}
	r := app.Raw(http.MethodPost, echoPath, "application/json", []byte(nested(33)))
	wantError(t, r, http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY")
	// Brackets inside strings are text, not nesting.
	text := `{"name":"` + strings.Repeat("[{", 40) + `"}`
	if r := app.Raw(http.MethodPost, echoPath, "application/json", []byte(text)); r.Status != http.StatusOK {
		t.Fatalf("brackets in a string: got %d %s", r.Status, r.Body)
	}
}

func TestUnknownFieldsAreIgnored(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	r := app.PostJSON(echoPath, map[string]any{"name": "a", "surprise": map[string]any{"x": 1}})
	var got echoBody
	r.Data(t, &got)
	if got.Name != "a" {
		t.Fatalf("got %s", r.Body)
	}
}

func TestPanicIs500WithoutDetail(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	r := app.Get("/api/v1/_test/panic")
	wantError(t, r, http.StatusInternalServerError, "INTERNAL_ERROR")
	if r.ErrorMessage() != "Internal server error" || strings.Contains(string(r.Body), "secret") {
		t.Fatalf("got %s", r.Body)
	}
	// The panic is logged with its stack and the request id.
	id := r.Header.Get("X-Request-ID")
	if line := logLine(t, app, id, "panic"); !strings.Contains(line, "secret panic detail") || !strings.Contains(line, "goroutine") {
		t.Fatalf("panic log line lacks the value or the stack: %s", line)
	}
	// The server survives the panic.
	if r := app.Get("/api/v1/health/live"); r.Status != http.StatusOK {
		t.Fatalf("after panic: %d", r.Status)
	}
}

func TestUnexpectedErrorIs500WithoutDetail(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	r := app.Get("/api/v1/_test/error")
	wantError(t, r, http.StatusInternalServerError, "INTERNAL_ERROR")
	if r.ErrorMessage() != "Internal server error" || strings.Contains(string(r.Body), "secret") {
		t.Fatalf("got %s", r.Body)
	}
	// The detail is logged with the request id instead.
	if line := logLine(t, app, r.Header.Get("X-Request-ID"), "request"); !strings.Contains(line, "secret internal detail") {
		t.Fatalf("access log line lacks the error: %s", line)
	}
}

func TestAccessLogNamesRequest(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	req := app.NewRequest(http.MethodGet, "/api/v1/health/live?x=1", nil)
	req.Header.Set("X-Request-ID", "trace-me-42")
	app.Do(req)
	var entry struct {
		Level      string `json:"level"`
		Method     string `json:"method"`
		Path       string `json:"path"`
		Status     int    `json:"status"`
		DurationUS *int64 `json:"duration_us"`
		RequestID  string `json:"request_id"`
	}
	if err := json.Unmarshal([]byte(logLine(t, app, "trace-me-42", "request")), &entry); err != nil {
		t.Fatal(err)
	}
	if entry.Level != "INFO" || entry.Method != "GET" || entry.Path != "/api/v1/health/live" || entry.Status != 200 || entry.DurationUS == nil {
		t.Fatalf("%+v", entry)
	}
}

// logLine finds the service's log line with message msg for a request id.
func logLine(t *testing.T, app *apptest.TestApp, requestID, msg string) string {
	t.Helper()
	for line := range strings.Lines(app.Logs()) {
		var entry struct {
			Msg       string `json:"msg"`
			RequestID string `json:"request_id"`
		}
		if json.Unmarshal([]byte(line), &entry) == nil && entry.Msg == msg && entry.RequestID == requestID {
			return line
		}
	}
	t.Fatalf("no %q log line for request %s in:\n%s", msg, requestID, app.Logs())
	return ""
}

func TestRequestContextHasDeadline(t *testing.T) {
	t.Parallel()
	app := newApp(t, apptest.WithConfig(func(c *config.Config) { c.RequestTimeout = 50 * time.Millisecond }))
	r := app.Get("/api/v1/_test/deadline")
	var got string
	r.Data(t, &got)
	if got != "context deadline exceeded" {
		t.Fatalf("handler context ended with %q, want the request timeout", got)
	}
}

var securityHeaders = map[string]string{
	"X-Content-Type-Options":  "nosniff",
	"X-Frame-Options":         "DENY",
	"Referrer-Policy":         "no-referrer",
	"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	preflight := app.NewRequest(http.MethodOptions, "/api/v1/health", nil)
	preflight.Header.Set("Origin", "http://localhost:3000")
	preflight.Header.Set("Access-Control-Request-Method", "GET")
	responses := map[string]*apptest.Response{
		"live":      app.Get("/api/v1/health/live"),
		"ready":     app.Get("/api/v1/health/ready"),
		"metrics":   app.Get("/metrics"),
		"404":       app.Get("/nope"),
		"405":       app.Raw(http.MethodDelete, "/api/v1/health", "", nil),
		"400":       app.Raw(http.MethodPost, echoPath, "application/json", []byte("{")),
		"415":       app.Raw(http.MethodPost, echoPath, "text/plain", []byte("{}")),
		"422":       app.Raw(http.MethodPost, echoPath, "application/json", []byte(`{"count":"x"}`)),
		"500":       app.Get("/api/v1/_test/panic"),
		"preflight": app.Do(preflight),
	}
	for name, r := range responses {
		for h, want := range securityHeaders {
			if got := r.Header.Get(h); got != want {
				t.Errorf("%s: %s = %q, want %q", name, h, got, want)
			}
		}
		if r.Header.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS outside production", name)
		}
		if _, err := uuid.Parse(r.Header.Get("X-Request-ID")); err != nil {
			t.Errorf("%s: X-Request-ID %q is not a UUID", name, r.Header.Get("X-Request-ID"))
		}
	}
}

func TestHSTSInProduction(t *testing.T) {
	t.Parallel()
	app := newApp(t, apptest.WithConfig(func(c *config.Config) { c.Env = config.EnvProduction }))
	for _, path := range []string{"/api/v1/health/live", "/nope"} {
		if got := app.Get(path).Header.Get("Strict-Transport-Security"); !strings.HasPrefix(got, "max-age=") {
			t.Fatalf("%s: Strict-Transport-Security = %q", path, got)
		}
	}
}

func TestRequestIDIsKeptWhenValid(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	for _, id := range []string{"abc-123", "A.b_c-9", strings.Repeat("x", 128), "1"} {
		req := app.NewRequest(http.MethodGet, "/api/v1/health/live", nil)
		req.Header.Set("X-Request-ID", id)
		if got := app.Do(req).Header.Get("X-Request-ID"); got != id {
			t.Errorf("sent %q, got %q", id, got)
		}
	}
}

func TestRequestIDIsReplacedWhenInvalid(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	for _, id := range []string{strings.Repeat("x", 129), "has space", "a/b", "é", "semi;colon", "<script>"} {
		req := app.NewRequest(http.MethodGet, "/nope", nil)
		req.Header.Set("X-Request-ID", id)
		got := app.Do(req).Header.Get("X-Request-ID")
		if _, err := uuid.Parse(got); err != nil || got == id {
			t.Errorf("sent %q, got %q, want a new UUID", id, got)
		}
	}
}

func TestRequestIDIsNewForEveryRequest(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	seen := map[string]bool{}
	for range 5 {
		id := app.Get("/api/v1/health/live").Header.Get("X-Request-ID")
		if seen[id] {
			t.Fatalf("request id %q repeated", id)
		}
		seen[id] = true
	}
}

func corsRequest(app *apptest.TestApp, method, origin string) *apptest.Response {
	req := app.NewRequest(method, "/api/v1/health/live", nil)
	req.Header.Set("Origin", origin)
	if method == http.MethodOptions {
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "Authorization, Content-Type")
	}
	return app.Do(req)
}

func TestCORSEchoesAllowedOrigin(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	for _, origin := range []string{"http://localhost:3000", "http://localhost:5173"} {
		r := corsRequest(app, http.MethodGet, origin)
		if r.Status != http.StatusOK || r.Header.Get("Access-Control-Allow-Origin") != origin || r.Header.Get("Vary") != "Origin" {
			t.Fatalf("%s: got %d %v", origin, r.Status, r.Header)
		}
	}
}

func TestCORSIgnoresOtherOrigins(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	for _, origin := range []string{"http://evil.example", "http://localhost:3001", "null", "*"} {
		r := corsRequest(app, http.MethodGet, origin)
		if r.Status != http.StatusOK || hasAllowHeader(r.Header) {
			t.Fatalf("%s: got %d %v", origin, r.Status, r.Header)
		}
	}
}

func hasAllowHeader(h http.Header) bool {
	for name := range h {
		if strings.HasPrefix(name, "Access-Control-Allow-") {
			return true
		}
	}
	return false
}

func TestPreflightFromAllowedOrigin(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	r := corsRequest(app, http.MethodOptions, "http://localhost:3000")
	want := map[string]string{
		"Access-Control-Allow-Origin":  "http://localhost:3000",
		"Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
		"Access-Control-Allow-Headers": "Authorization, Content-Type, X-Request-ID",
		"Vary":                         "Origin",
	}
	if r.Status != http.StatusNoContent || len(r.Body) != 0 {
		t.Fatalf("got %d %s", r.Status, r.Body)
	}
	for h, v := range want {
		if got := r.Header.Get(h); got != v {
			t.Errorf("%s = %q, want %q", h, got, v)
		}
	}
	if r.Header.Get("Access-Control-Max-Age") == "" {
		t.Error("no Access-Control-Max-Age")
	}
}

func TestPreflightFromOtherOrigin(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	r := corsRequest(app, http.MethodOptions, "http://evil.example")
	if r.Status != http.StatusNoContent || hasAllowHeader(r.Header) {
		t.Fatalf("got %d %v", r.Status, r.Header)
	}
}

func TestCORSOriginsFromConfig(t *testing.T) {
	t.Parallel()
	app := newApp(t, apptest.WithConfig(func(c *config.Config) { c.CORSOrigins = []string{"https://app.example.com"} }))
	if r := corsRequest(app, http.MethodOptions, "https://app.example.com"); r.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" {
		t.Fatalf("configured origin refused: %v", r.Header)
	}
	if r := corsRequest(app, http.MethodOptions, "http://localhost:3000"); hasAllowHeader(r.Header) {
		t.Fatalf("default origin still allowed: %v", r.Header)
	}
}

func TestMetricsEndpointIsPrometheusText(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	app.Get("/nope")
	r := app.Get("/metrics")
	if r.Status != http.StatusOK || !bytes.Contains(r.Body, []byte("# TYPE http_requests_total counter")) ||
		!bytes.Contains(r.Body, []byte("# TYPE http_request_duration_seconds histogram")) {
		t.Fatalf("got %d\n%s", r.Status, r.Body)
	}
	var probe map[string]any
	if json.Unmarshal(r.Body, &probe) == nil {
		t.Fatal("metrics answered JSON")
	}
}
