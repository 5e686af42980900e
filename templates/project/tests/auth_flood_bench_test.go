//go:build bench

package tests

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/starter-go/starter/templates/project/internal/apptest"
	"github.com/starter-go/starter/templates/project/internal/config"
)

// floodSize is how many registrations arrive at once, from one address.
const floodSize = 600

// BenchmarkRegistrationFlood sends floodSize registrations at once from one
// address, hashed at the production argon2id cost (19 MiB each), and reports
// the peak resident memory of this process (the service and its client)
// during the flood. With the hash gate at two slots, 2 × 19 MiB are live at
// any time, and the garbage collector's headroom and the runtime come on
// top; without a gate the flood would want floodSize × 19 MiB. It fails above
// 256 MiB. Run:
//
//	go test -tags bench ./tests/ -run '^$' -bench BenchmarkRegistrationFlood -benchtime 1x
func BenchmarkRegistrationFlood(b *testing.B) {
	app := apptest.New(b, withHashCostOf(config.EnvProduction), apptest.WithConfig(func(c *config.Config) {
		c.Auth.IPRequests = 1 << 30 // the flood measures memory, not the limiter
		// Two slots, whatever the machine, so that the bound below means the
		// same everywhere (the default is GOMAXPROCS).
		c.Auth.HashConcurrency = 2
		// Every registration waits for its turn at the gate, however busy
		// the machine running the benchmark is.
		c.RequestTimeout = 30 * time.Minute
	}))
	client := &http.Client{Transport: &http.Transport{Proxy: nil}}
	defer client.CloseIdleConnections()
	resetPeakRSS(b)
	round := 0
	for b.Loop() {
		statuses := registerAtOnce(client, app.URL, round)
		if statuses[http.StatusCreated] != floodSize {
			b.Fatalf("round %d: statuses %v, want %d × 201", round, statuses, floodSize)
		}
		round++
	}
	peak, ok := peakRSS(b)
	if !ok {
		b.Skip("peak RSS is not measurable on this platform")
	}
	const mib = 1 << 20
	b.ReportMetric(float64(peak)/mib, "peak-RSS-MiB")
	if peak > 256*mib {
		b.Fatalf("peak RSS %.0f MiB during %d concurrent registrations, want under 256 MiB", float64(peak)/mib, floodSize)
	}
}

// registerAtOnce sends floodSize registrations together and counts the
// answers by status (0 for a transport error). Its own client never gives up.
func registerAtOnce(client *http.Client, baseURL string, round int) map[int]int {
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range floodSize {
		wg.Go(func() {
			name := fmt.Sprintf("flood_%d_%d", round, i)
			<-start
			body := fmt.Sprintf(`{"username":%q,"email":"%s@example.com","password":%q}`, name, name, strongPassword)
			status := 0
			if resp, err := client.Post(baseURL+"/api/v1/auth/register", "application/json", strings.NewReader(body)); err == nil {
				status = resp.StatusCode
				resp.Body.Close()
			}
			mu.Lock()
			statuses[status]++
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	return statuses
}
