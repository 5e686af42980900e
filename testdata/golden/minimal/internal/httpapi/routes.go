package httpapi

import (
	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// routes is the whole API surface in one place.
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
		api.GET("/docs/:asset", s.handleDocsAsset)
	}

	if s.ExtraRoutes != nil {
		s.ExtraRoutes(api)
	}
}
