// Package httpapi is the HTTP face of the service: the gin engine, the
// middleware every response goes through, the JSON envelopes, the one table
// from error code to status (errors.go) and the routes (routes.go).
package httpapi

import (
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/starter-go/starter/templates/project/internal/auth"
	"github.com/starter-go/starter/templates/project/internal/config"
	"github.com/starter-go/starter/templates/project/internal/health"
	"github.com/starter-go/starter/templates/project/internal/httpapi/openapi"
	"github.com/starter-go/starter/templates/project/internal/telemetry"
)

// Deps is what the handlers need, filled in by internal/app.
type Deps struct {
	Config *config.Config
	Logger *slog.Logger
	DB     *pgxpool.Pool
	// Health runs the checks of the health probes.
	Health *health.Registry
	// Metrics is the app's own Prometheus registry, served at /metrics.
	Metrics *prometheus.Registry
	// Version is reported by GET /api/v1/health.
	Version string
	// Started is when the service started; uptime counts from it.
	Started time.Time
	// Tracing, when set, runs every request in a span (tracing.go).
	Tracing *telemetry.Tracing
	// Routes adds the routes of each feature after the core ones (routes.go).
	Routes []Routes
	// Pages adds routes outside /api/v1 (the console's HTML pages), after
	// the API's.
	Pages []Pages
	// ExtraRoutes, when set, adds routes under /api/v1 after all others
	// (tests use it to reach the middleware with handlers of their own).
	ExtraRoutes func(api *gin.RouterGroup)
	// starter:feature auth
	// Auth is the users and sessions service.
	Auth *auth.Service
	// starter:end
}

// Server owns the gin engine. Handlers are its methods, one file per concept.
type Server struct {
	Deps
	engine  *gin.Engine
	metrics *httpMetrics
	headers fixedHeaders
	origins map[string]bool
	// tracer and propagator are those of Tracing (nil without it).
	tracer     trace.Tracer
	propagator propagation.TextMapPropagator
	// openapiJSON is the OpenAPI document served at /api/v1/openapi.json
	// (nil when docs are off).
	openapiJSON []byte
	// starter:feature auth
	// forwardWarned is set once a forwarding header from an untrusted peer
	// has been logged (auth_clientip.go).
	forwardWarned atomic.Bool
	// starter:end
}

// New builds the engine with its middleware and routes.
func New(d Deps) (*Server, error) {
	s := &Server{Deps: d, engine: gin.New(), origins: map[string]bool{}}
	for _, o := range d.Config.CORSOrigins {
		s.origins[o] = true
	}
	s.headers = newFixedHeaders(d.Config.IsProduction())
	m, err := newHTTPMetrics(d.Metrics)
	if err != nil {
		return nil, err
	}
	s.metrics = m
	if d.Config.Docs.Enabled {
		doc, err := openapi.Load()
		if err != nil {
			return nil, err
		}
		s.openapiJSON = doc.JSON()
	}
	e := s.engine
	// Trailing slashes are 404, never a redirect; a known path with the wrong method is 405.
	e.RedirectTrailingSlash = false
	e.RedirectFixedPath = false
	e.HandleMethodNotAllowed = true
	e.ContextWithFallback = true
	if err := e.SetTrustedProxies(d.Config.TrustedProxies); err != nil {
		return nil, fmt.Errorf("trusted proxies: %w", err)
	}
	e.Use(s.middleware()...)
	e.NoRoute(s.handleNotFound)
	e.NoMethod(s.handleMethodNotAllowed)
	s.routes()
	return s, nil
}

// Handler is the http.Handler of the whole API.
func (s *Server) Handler() http.Handler { return s.engine }
