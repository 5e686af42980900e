//go:build bench

package auth_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/starter-go/starter/templates/project/internal/auth"
)

// BenchmarkLimiterCheck measures one rate-limit check (one statement on the
// rate_limits table) against the test PostgreSQL, through the pool as the
// service makes it, and reports its median and 99th percentile: the cost a
// login pays per limit. hot repeats one key (an account under attack: the
// update path), fresh uses a new key each time (the insert path), parallel
// runs fresh checks from 8 goroutines at once. select1 and parallel-select1,
// a round trip that does nothing, are the floor to read the others against
// on a busy machine.
// Run:
//
//	go test -tags bench ./internal/auth -run '^$' -bench LimiterCheck -benchtime 20000x
func BenchmarkLimiterCheck(b *testing.B) {
	pool := testPool(b)
	clock := auth.NewFakeClock()
	// A limit no key reaches: every check does the same work.
	l := auth.NewLimiter(pool, "bench", 1<<30, time.Hour, clock.Now, false)
	selectOne := func(ctx context.Context, _, _ int) error {
		_, err := pool.Exec(ctx, "SELECT 1")
		return err
	}
	check := func(key func(w, i int) string) func(ctx context.Context, w, i int) error {
		return func(ctx context.Context, w, i int) error { return l.Allow(ctx, key(w, i)) }
	}
	for _, bc := range []struct {
		name    string
		workers int
		op      func(ctx context.Context, w, i int) error
	}{
		{"select1", 1, selectOne},
		{"hot", 1, check(func(int, int) string { return "user:hot" })},
		{"fresh", 1, check(func(_, i int) string { return fmt.Sprint("fresh:", i) })},
		{"parallel", 8, check(func(w, i int) string { return fmt.Sprint("parallel:", w, ":", i) })},
		{"parallel-select1", 8, selectOne},
	} {
		b.Run(bc.name, func(b *testing.B) {
			latencies := make([][]time.Duration, bc.workers)
			var wg sync.WaitGroup
			for w := range bc.workers {
				wg.Go(func() {
					for i := w; i < b.N; i += bc.workers {
						start := time.Now()
						if err := bc.op(context.Background(), w, i); err != nil {
							b.Error(err)
							return
						}
						latencies[w] = append(latencies[w], time.Since(start))
					}
				})
			}
			wg.Wait()
			reportPercentiles(b, slices.Concat(latencies...))
		})
	}
}

func reportPercentiles(b *testing.B, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	at := func(p float64) float64 { return float64(d[int(p*float64(len(d)-1))].Microseconds()) }
	b.ReportMetric(at(0.50), "p50-µs")
	b.ReportMetric(at(0.99), "p99-µs")
}
