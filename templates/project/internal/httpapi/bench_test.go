//go:build bench

// Built only with -tags bench: starter's own measurements of the middleware, which the generator
// leaves out of generated projects.

package httpapi

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/starter-go/starter/templates/project/internal/config"
	"github.com/starter-go/starter/templates/project/internal/health"
	"github.com/starter-go/starter/templates/project/internal/logging"
	"github.com/starter-go/starter/templates/project/internal/telemetry"
)

// The liveness probe goes through every middleware (request id, security
// headers, access log, metrics, recovery, CORS, body limit, deadline); these
// benchmarks compare it with a bare gin hello handler, and with a bare gin
// handler writing the same headers and body the API contract requires (which
// separates the price of the contract from that of the middleware), in
// process and over loopback HTTP. Logs are formatted as in production but
// discarded.
//
//	go test -tags bench ./templates/project/internal/httpapi -run '^$' -bench Live -benchmem
//
// Over HTTP, cpu-ns/op (server and client together) is steadier than ns/op
// when other processes share the machine.

func benchServer(b *testing.B) http.Handler { return benchServerWith(b, nil) }

// benchServerTraced traces every request, each span handed to an exporter
// that drops it: the price of tracing on, the export's share aside.
func benchServerTraced(b *testing.B) http.Handler {
	tr, err := telemetry.New(b.Context(), telemetry.Settings{Exporter: dropSpans{}})
	if err != nil {
		b.Fatal(err)
	}
	return benchServerWith(b, tr)
}

type dropSpans struct{}

func (dropSpans) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (dropSpans) Shutdown(context.Context) error                             { return nil }

func benchServerWith(b *testing.B, tr *telemetry.Tracing) http.Handler {
	b.Helper()
	cfg := config.Defaults(config.EnvProduction)
	cfg.DatabaseURL = "postgres://unused"
	s, err := New(Deps{
		Config:  &cfg,
		Logger:  slog.New(logging.NewHandler(io.Discard, slog.LevelInfo)),
		Health:  health.NewRegistry(0),
		Metrics: prometheus.NewRegistry(),
		Version: "bench",
		Tracing: tr,
	})
	if err != nil {
		b.Fatal(err)
	}
	return s.Handler()
}

func bareGin() http.Handler {
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.GET("/api/v1/health/live", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"message": "hello"}) })
	return e
}

// bareGinContract writes what the contract puts on every liveness answer, with no middleware.
func bareGinContract() http.Handler {
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	body := []byte(`{"success":true,"data":{"status":"alive","timestamp":"2026-01-02T03:04:05.123456789Z","probe":"liveness"},"message":null}`)
	e.GET("/api/v1/health/live", func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("X-Request-Id", "2b1f5a7e-3c4d-4e5f-8a9b-0c1d2e3f4a5b")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		c.Data(http.StatusOK, jsonContentType, body)
	})
	return e
}

type benchHandler struct {
	name string
	h    http.Handler
}

func benchHandlers(b *testing.B) []benchHandler {
	return []benchHandler{{"bare-gin", bareGin()}, {"bare-gin-contract", bareGinContract()}, {"service", benchServer(b)},
		{"service-traced", benchServerTraced(b)}}
}

func BenchmarkLiveInProcess(b *testing.B) {
	for _, bc := range benchHandlers(b) {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu := processCPU()
			defer func() {
				b.ReportMetric(float64((processCPU()-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
			}()
			b.RunParallel(func(pb *testing.PB) {
				req := httptest.NewRequest(http.MethodGet, "/api/v1/health/live", nil)
				for pb.Next() {
					w := httptest.NewRecorder()
					bc.h.ServeHTTP(w, req)
					if w.Code != http.StatusOK {
						b.Fatalf("status %d", w.Code)
					}
				}
			})
		})
	}
}

func BenchmarkLiveHTTP(b *testing.B) {
	for _, bc := range benchHandlers(b) {
		b.Run(bc.name, func(b *testing.B) {
			srv := httptest.NewServer(bc.h)
			defer srv.Close()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
			defer client.CloseIdleConnections()
			url := srv.URL + "/api/v1/health/live"
			b.ReportAllocs()
			b.SetParallelism(8)
			cpu := processCPU()
			defer func() {
				b.ReportMetric(float64((processCPU()-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
			}()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					resp, err := client.Get(url)
					if err != nil {
						b.Fatal(err)
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Fatalf("status %d", resp.StatusCode)
					}
				}
			})
		})
	}
}

// BenchmarkAccessLog is the access log line alone: through slog's JSON
// handler, and as a logging.Line through the service's handler.
func BenchmarkAccessLog(b *testing.B) {
	e := accessEntry{method: "GET", path: "/api/v1/health/live", status: 200, duration: 42 * time.Microsecond,
		requestID: "2b1f5a7e-3c4d-4e5f-8a9b-0c1d2e3f4a5b"}
	for _, bc := range []struct {
		name string
		h    slog.Handler
	}{
		{"slog", slog.NewJSONHandler(io.Discard, nil)},
		{"line", logging.NewHandler(io.Discard, slog.LevelInfo)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			ctx := context.Background()
			for b.Loop() {
				e.log(ctx, bc.h, time.Now(), slog.LevelInfo)
			}
		})
	}
}
