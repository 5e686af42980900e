package httpapi

import (
	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// routes is the API surface: the core routes here, then the routes of each
// feature from its own file (routes_auth.go, routes_tasks.go…), in the order
// internal/app lists the features.
func (s *Server) routes() {
	e := s.engine
	e.GET("/metrics", gin.WrapH(promhttp.HandlerFor(s.Metrics, promhttp.HandlerOpts{})))

	api := e.Group("/api/v1")
	// The probes answer HEAD like GET, without the body (net/http drops it).
	api.GET("/health", s.handleHealth)
	api.HEAD("/health", s.handleHealth)
	api.GET("/health/detailed", s.handleHealthDetailed)
	api.HEAD("/health/detailed", s.handleHealthDetailed)
	api.GET("/health/live", s.handleLive)
	api.HEAD("/health/live", s.handleLive)
	api.GET("/health/ready", s.handleReady)
	api.HEAD("/health/ready", s.handleReady)
	api.GET("/health/startup", s.handleStartup)
	api.HEAD("/health/startup", s.handleStartup)
	if s.Config.Docs.Enabled {
		api.GET("/openapi.json", s.handleOpenAPI)
		api.GET("/docs", s.handleDocsPage)
		api.GET("/docs/:asset", Handle(s.handleDocsAsset))
	}

	for _, add := range s.Routes {
		add(s, api)
	}
	for _, add := range s.Pages {
		add(&e.RouterGroup)
	}
	if s.ExtraRoutes != nil {
		s.ExtraRoutes(api)
	}
}

// Routes adds one feature's routes under /api/v1 (api). The server gives
// them what handlers share: its deps, the envelopes, the authentication.
type Routes func(s *Server, api *gin.RouterGroup)

// Pages adds routes outside the API (root is the engine's own group): HTML
// pages with answers, errors and security headers of their own, which the
// OpenAPI document does not describe.
type Pages func(root *gin.RouterGroup)
