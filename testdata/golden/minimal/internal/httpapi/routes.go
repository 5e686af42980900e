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
	probe := func(path string, h gin.HandlerFunc) { api.GET(path, h); api.HEAD(path, h) }
	probe("/health", s.handleHealth)
	probe("/health/detailed", s.handleHealthDetailed)
	probe("/health/live", s.handleLive)
	probe("/health/ready", s.handleReady)
	probe("/health/startup", s.handleStartup)

	if s.ExtraRoutes != nil {
		s.ExtraRoutes(api)
	}
}
