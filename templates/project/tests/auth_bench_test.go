//go:build bench

// Built only with -tags bench: starter's own measurements of authentication, which the generator
// leaves out of generated projects.

package tests

import (
	"net/http"
	"testing"
	"time"

	"github.com/starter-go/starter/templates/project/internal/apptest"
	"github.com/starter-go/starter/templates/project/internal/auth"
	"github.com/starter-go/starter/templates/project/internal/config"
)

// BenchmarkAuthMe compares an authenticated GET /api/v1/auth/me with the
// unauthenticated GET /api/v1/health/live on the same server, and with the
// token cache turned off (every request then reads the session from the
// database). Run:
//
//	go test -tags bench ./templates/project/tests/ -run '^$' -bench BenchmarkAuthMe -benchtime 3s
func BenchmarkAuthMe(b *testing.B) {
	cached := apptest.New(b)
	uncached := apptest.New(b, apptest.WithConfig(func(c *config.Config) { c.Auth.CacheTTL = 0 }))
	cases := []struct {
		name  string
		app   *apptest.TestApp
		path  string
		token string
	}{
		{"health_live", cached, "/api/v1/health/live", ""},
		{"auth_me_cached", cached, "/api/v1/auth/me", cached.CreateAuthUser(auth.RoleUser).Token},
		{"auth_me_uncached", uncached, "/api/v1/auth/me", uncached.CreateAuthUser(auth.RoleUser).Token},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if r := bc.app.GetAuth(bc.path, bc.token); r.Status != http.StatusOK {
						b.Errorf("GET %s: %d %s", bc.path, r.Status, r.Body)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
		})
	}
}
