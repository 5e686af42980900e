package tests

import (
	"net/http"
	"testing"

	"example.com/demo/internal/apptest"
)

var probePaths = []string{"/api/v1/health", "/api/v1/health/detailed", "/api/v1/health/live", "/api/v1/health/ready", "/api/v1/health/startup"}

func head(app *apptest.TestApp, path string) *apptest.Response {
	return app.Do(app.NewRequest(http.MethodHead, path, nil))
}

// HEAD on a probe answers the status GET would, without a body.
func TestHealthProbesAnswerHead(t *testing.T) {
	t.Parallel()
	app := newApp(t, apptest.WithDBProxy())
	for _, path := range probePaths {
		r := head(app, path)
		if r.Status != http.StatusOK || len(r.Body) != 0 {
			t.Fatalf("HEAD %s = %d with %d body bytes, want 200 and none", path, r.Status, len(r.Body))
		}
		if r.Header.Get("X-Request-ID") == "" {
			t.Fatalf("HEAD %s without X-Request-ID", path)
		}
	}
	app.Proxy.Cut()
	want := map[string]int{"/api/v1/health/live": http.StatusOK}
	for _, path := range probePaths {
		status := want[path]
		if status == 0 {
			status = http.StatusServiceUnavailable
		}
		if get, h := app.Get(path), head(app, path); h.Status != status || get.Status != status || len(h.Body) != 0 {
			t.Fatalf("database gone: HEAD %s = %d (%d body bytes), GET = %d; want %d and no body", path, h.Status, len(h.Body), get.Status, status)
		}
	}
}
