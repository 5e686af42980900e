package httpapi

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"example.com/demo/internal/config"
	"example.com/demo/internal/health"
)

// The liveness probe goes through every middleware (request id, security
// headers, access log, metrics, recovery, CORS, body limit, deadline); these
// benchmarks compare it with a bare gin hello handler, in process and over
// loopback HTTP. Logs are formatted as in production but discarded.
//
//	go test ./internal/httpapi -run '^$' -bench Live -benchmem

func benchServer(b *testing.B) http.Handler {
	b.Helper()
	cfg := config.Defaults(config.EnvProduction)
	cfg.DatabaseURL = "postgres://unused"
	s, err := New(Deps{
		Config:  &cfg,
		Logger:  slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Health:  health.NewRegistry(0),
		Metrics: prometheus.NewRegistry(),
		Version: "bench",
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

func BenchmarkLiveInProcess(b *testing.B) {
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{{"bare-gin", bareGin()}, {"service", benchServer(b)}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
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
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{{"bare-gin", bareGin()}, {"service", benchServer(b)}} {
		b.Run(bc.name, func(b *testing.B) {
			srv := httptest.NewServer(bc.h)
			defer srv.Close()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
			defer client.CloseIdleConnections()
			url := srv.URL + "/api/v1/health/live"
			b.ReportAllocs()
			b.SetParallelism(8)
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
