package tests

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"example.com/demo/internal/apptest"
	"example.com/demo/internal/config"
	"example.com/demo/internal/httpapi/openapi"
)

func TestOpenAPIDocumentIsServed(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	r := app.Get("/api/v1/openapi.json")
	wantStatus(t, r, http.StatusOK)
	doc, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(r.Body, doc.JSON()) {
		t.Error("the served document is not the embedded one")
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if csp := r.Header.Get("Content-Security-Policy"); csp != "default-src 'none'; frame-ancestors 'none'" {
		t.Errorf("the document has the page's CSP: %q", csp)
	}
}

// TestDocsPageLoadsOnlyFromTheService checks the page, its relaxed CSP, and
// that everything it loads is served here (no other host is named).
func TestDocsPageLoadsOnlyFromTheService(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	r := app.Get("/api/v1/docs")
	wantStatus(t, r, http.StatusOK)
	if ct := r.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if csp := r.Header.Get("Content-Security-Policy"); csp != openapi.PageCSP || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("CSP = %q, want %q", csp, openapi.PageCSP)
	}
	if r.Header.Get("X-Frame-Options") != "DENY" {
		t.Error("the page lost X-Frame-Options")
	}
	page := string(r.Body)
	if strings.Contains(page, "://") {
		t.Errorf("the page names another host:\n%s", page)
	}
	for _, src := range []string{"/api/v1/docs/swagger-ui.css", "/api/v1/docs/swagger-ui-bundle.js", "/api/v1/docs/docs.js"} {
		if !strings.Contains(page, `"`+src+`"`) {
			t.Errorf("the page does not load %s", src)
		}
		a := app.Get(src)
		wantStatus(t, a, http.StatusOK)
		if len(a.Body) == 0 || a.Header.Get("ETag") == "" {
			t.Errorf("%s: %d bytes, ETag %q", src, len(a.Body), a.Header.Get("ETag"))
		}
		if csp := a.Header.Get("Content-Security-Policy"); csp == openapi.PageCSP {
			t.Errorf("%s has the page's CSP", src)
		}
	}
	script := string(app.Get("/api/v1/docs/docs.js").Body)
	if !strings.Contains(script, `url: "/api/v1/openapi.json"`) || !strings.Contains(script, "validatorUrl: null") {
		t.Errorf("docs.js does not render this service's document offline:\n%s", script)
	}
}

func TestDocsAssetsRevalidate(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	first := app.Get("/api/v1/docs/swagger-ui.css")
	wantStatus(t, first, http.StatusOK)
	req := app.NewRequest(http.MethodGet, "/api/v1/docs/swagger-ui.css", nil)
	req.Header.Set("If-None-Match", first.Header.Get("ETag"))
	again := app.Do(req)
	if again.Status != http.StatusNotModified || len(again.Body) != 0 {
		t.Errorf("revalidation: %d with %d bytes, want 304 without a body", again.Status, len(again.Body))
	}
	wantError(t, app.Invalid().Get("/api/v1/docs/index.html"), http.StatusNotFound, "NOT_FOUND")
	wantError(t, app.Invalid().Get("/api/v1/docs/nope.js"), http.StatusNotFound, "NOT_FOUND")
}

func TestDocsCanBeTurnedOff(t *testing.T) {
	t.Parallel()
	app := apptest.New(t, apptest.WithConfig(func(c *config.Config) { c.Docs.Enabled = false }))
	for _, path := range []string{"/api/v1/openapi.json", "/api/v1/docs", "/api/v1/docs/docs.js"} {
		wantError(t, app.Get(path), http.StatusNotFound, "NOT_FOUND")
	}
	if !config.Defaults(config.EnvTest).Docs.Enabled || config.Defaults(config.EnvProduction).Docs.Enabled {
		t.Error("docs should be on by default, off in production")
	}
}
