package httpapi

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/starter-go/starter/templates/project/internal/apperr"
	"github.com/starter-go/starter/templates/project/internal/health"
)

type healthBody struct {
	Status  string  `json:"status"`
	Version string  `json:"version"`
	Uptime  float64 `json:"uptime"`
}

type detailedBody struct {
	Status    string                   `json:"status"`
	Timestamp time.Time                `json:"timestamp"`
	Checks    map[string]health.Result `json:"checks"`
}

type probeBody struct {
	Status    string                   `json:"status"`
	Timestamp time.Time                `json:"timestamp"`
	Probe     string                   `json:"probe"`
	Checks    map[string]health.Result `json:"checks,omitempty"`
}

// handleHealth is the summary: healthy when every detailed check passes.
func (s *Server) handleHealth(c *gin.Context) {
	_, ok := s.Health.Run(c.Request.Context(), health.Detailed)
	body := healthBody{Status: health.StatusHealthy, Version: s.Version, Uptime: time.Since(s.Started).Seconds()}
	if !ok {
		body.Status = health.StatusUnhealthy
		writeErrorData(c, apperr.New(apperr.CodeServiceUnhealthy, "Service is unhealthy"), body)
		return
	}
	OK(c, http.StatusOK, body, "")
}

func (s *Server) handleHealthDetailed(c *gin.Context) {
	checks, ok := s.Health.Run(c.Request.Context(), health.Detailed)
	body := detailedBody{Status: health.StatusHealthy, Timestamp: now(), Checks: checks}
	if !ok {
		body.Status = health.StatusUnhealthy
		writeErrorData(c, apperr.New(apperr.CodeServiceUnhealthy, "Service is unhealthy"), body)
		return
	}
	OK(c, http.StatusOK, body, "")
}

// liveRoute is the liveness probe's route, as routes.go registers it.
const liveRoute = "/api/v1/health/live"

// handleLive answers as long as the process serves HTTP; it never touches the
// database. Orchestrators call it constantly, so its body (the envelope of
// probeBody{Status: "alive", Probe: "liveness"}) is appended by hand instead
// of going through reflection.
func (s *Server) handleLive(c *gin.Context) {
	buf := make([]byte, 0, 128)
	buf = append(buf, `{"success":true,"data":{"status":"alive","timestamp":"`...)
	buf = now().AppendFormat(buf, time.RFC3339Nano)
	buf = append(buf, `","probe":"liveness"},"message":null}`...)
	c.Data(http.StatusOK, jsonContentType, buf)
}

func (s *Server) handleReady(c *gin.Context) {
	s.probe(c, health.Ready, probeBody{Status: "ready", Probe: "readiness"}, "not_ready", "Service is not ready")
}

func (s *Server) handleStartup(c *gin.Context) {
	s.probe(c, health.Startup, probeBody{Status: "started", Probe: "startup"}, "starting", "Service is starting")
}

func (s *Server) probe(c *gin.Context, p health.Probe, body probeBody, failing, message string) {
	checks, ok := s.Health.Run(c.Request.Context(), p)
	body.Timestamp, body.Checks = now(), checks
	if !ok {
		body.Status = failing
		writeErrorData(c, apperr.New(apperr.CodeServiceUnavailable, message), body)
		return
	}
	OK(c, http.StatusOK, body, "")
}

func now() time.Time { return time.Now().UTC() }

// jsonContentType is what gin's c.JSON sends.
const jsonContentType = "application/json; charset=utf-8"
