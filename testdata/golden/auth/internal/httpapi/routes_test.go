package httpapi

import (
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/prometheus/client_golang/prometheus"

	"example.com/demo/internal/config"
	"example.com/demo/internal/httpapi/openapi"
)

// TestEveryRouteIsInTheDocument holds routes.go and the OpenAPI document to
// each other: every route the engine serves has its operation, and every
// operation is served. A HEAD route mirrors the GET of its path (the probes),
// which the document describes.
func TestEveryRouteIsInTheDocument(t *testing.T) {
	t.Parallel()
	served := servedRoutes(t)
	documented := documentedRoutes(t)
	for _, r := range served {
		if !slices.Contains(documented, r) {
			t.Errorf("%s is served but has no operation in the OpenAPI document (internal/httpapi/openapi/*.yaml)", r)
		}
	}
	for _, r := range documented {
		if !slices.Contains(served, r) {
			t.Errorf("the OpenAPI document describes %s, which routes.go does not serve", r)
		}
	}
}

var ginParam = regexp.MustCompile(`:(\w+)`)

// servedRoutes lists "METHOD /path" of the engine with docs on, :param
// written {param}; HEAD counts as GET.
func servedRoutes(t *testing.T) []string {
	t.Helper()
	cfg := config.Defaults(config.EnvTest)
	cfg.Docs.Enabled = true
	s, err := New(Deps{Config: &cfg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	var routes []string
	for _, r := range s.engine.Routes() {
		method := r.Method
		if method == http.MethodHead {
			method = http.MethodGet
		}
		route := method + " " + ginParam.ReplaceAllString(r.Path, "{$1}")
		if !slices.Contains(routes, route) {
			routes = append(routes, route)
		}
	}
	return routes
}

func documentedRoutes(t *testing.T) []string {
	t.Helper()
	d, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(d.JSON())
	if err != nil {
		t.Fatal(err)
	}
	var routes []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			routes = append(routes, strings.ToUpper(method)+" "+path)
		}
	}
	return routes
}
