//go:build bench

// Built only with -tags bench: starter's own measurements, left out of generated projects.

package tests

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/starter-go/starter/templates/project/internal/apptest"
	"github.com/starter-go/starter/templates/project/internal/auth"
)

// BenchmarkRevocationReach measures how long a logout made on instance A
// takes to be honoured by instance B, which has the token cached: B hears
// it by LISTEN (a direct URL) or by polling (behind a transaction pooler
// without one). Reported: the mean and the worst per revocation. Run, best
// behind the pooler it is about:
//
//	go run ./templates/project/cmd/app test-db run --pgbouncer -- go test -tags bench \
//	    ./templates/project/tests/ -run '^$' -bench BenchmarkRevocationReach -benchtime 40x
func BenchmarkRevocationReach(b *testing.B) {
	for _, mode := range []struct {
		name string
		opt  apptest.Option
	}{{"listen", apptest.WithDirectURL()}, {"poll", apptest.WithPooler()}} {
		b.Run(mode.name, func(b *testing.B) {
			apps := apptest.NewCluster(b, 2, longCache(), mode.opt)
			a, c := apps[0], apps[1]
			if !apptest.Eventually(20*time.Second, func() bool {
				return c.GetAuth("/api/v1/health/detailed", "").Status == http.StatusOK
			}) {
				b.Fatal("instance B not healthy")
			}
			time.Sleep(time.Second) // the listener or poller vouches for the cache by now
			var took []time.Duration
			b.ResetTimer()
			for range b.N {
				u := a.CreateAuthUser(auth.RoleUser)
				if r := c.GetAuth("/api/v1/auth/me", u.Token); r.Status != http.StatusOK {
					b.Fatalf("B before the logout: %d", r.Status)
				}
				// At a point of the poll interval that varies from one revocation to the next.
				time.Sleep(time.Duration(len(took)*37%250) * time.Millisecond)
				began := time.Now()
				if r := a.PostJSONAuth("/api/v1/auth/logout", u.Token, nil); r.Status != http.StatusOK {
					b.Fatalf("logout on A: %d", r.Status)
				}
				for c.GetAuth("/api/v1/auth/me", u.Token).Status != http.StatusUnauthorized {
					if time.Since(began) > 5*time.Second {
						b.Fatal("B never honoured the logout")
					}
					time.Sleep(time.Millisecond)
				}
				took = append(took, time.Since(began))
			}
			b.StopTimer()
			var sum time.Duration
			for _, d := range took {
				sum += d
			}
			b.ReportMetric(float64(sum.Milliseconds())/float64(len(took)), "ms-mean")
			b.ReportMetric(float64(slices.Max(took).Milliseconds()), "ms-max")
		})
	}
}
