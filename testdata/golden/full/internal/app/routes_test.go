package app

import (
	"context"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gin-gonic/gin"

	"example.com/demo/internal/config"
	"example.com/demo/internal/httpapi/openapi"
)

// TestEveryRouteIsInTheDocument holds the service's routes and the OpenAPI
// document to each other: every route the real engine serves (the core's,
// each feature's, each resource's, as features() wires them) has its
// operation, and every operation is served. A HEAD route mirrors the GET of
// its path (the probes), which the document describes.
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
			t.Errorf("the OpenAPI document describes %s, which the service does not serve", r)
		}
	}
}

var ginParam = regexp.MustCompile(`:(\w+)`)

// servedRoutes lists "METHOD /path" of the service's engine with docs on,
// :param written {param}; HEAD counts as GET. The routes need no database:
// nothing listens at the URL, so New leaves the start-up steps to Serve,
// which the test never runs.
func servedRoutes(t *testing.T) []string {
	t.Helper()
	cfg := config.Defaults(config.EnvTest)
	cfg.Docs.Enabled = true
	cfg.AutoMigrate = false
	cfg.DatabaseURL = "postgres://nobody@127.0.0.1:1/none?connect_timeout=1"
	a, err := New(context.Background(), &cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	engine, ok := a.Handler().(*gin.Engine)
	if !ok {
		t.Fatalf("the service's handler is a %T, not the gin engine", a.Handler())
	}
	var routes []string
	for _, r := range engine.Routes() {
		method := r.Method
		if method == http.MethodHead {
			method = http.MethodGet
		}
		if r.Path == "/console" || strings.HasPrefix(r.Path, "/console/") {
			continue // the console's HTML pages are no part of the JSON API
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
