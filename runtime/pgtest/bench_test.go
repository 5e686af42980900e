//go:build bench

// Built only with -tags bench: starter's own measurements of this package, which the generator
// leaves out of generated projects.

package pgtest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// BenchmarkClone compares the CREATE DATABASE strategies of PostgreSQL 15, one clone at a time
// and many at once (clone and drop per iteration; only the clone is timed when serial).
func BenchmarkClone(b *testing.B) {
	a := setup(b)
	if a.version < 150000 {
		b.Skip("strategies need PostgreSQL 15")
	}
	ctx := context.Background()
	if err := shared.template(ctx, a, a.templateName(sample), sample); err != nil {
		b.Fatal(err)
	}
	for _, strategy := range []string{"FILE_COPY", "WAL_LOG"} {
		s := *a
		s.strategy = " STRATEGY " + strategy
		b.Run(strategy+"/serial", func(b *testing.B) {
			for b.Loop() {
				name, err := s.clone(ctx, s.templateName(sample))
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if err := s.drop(ctx, name); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
		b.Run(strategy+"/parallel", func(b *testing.B) {
			b.SetParallelism(4)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					name, err := s.clone(ctx, s.templateName(sample))
					if err == nil {
						err = s.drop(ctx, name)
					}
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkSuite runs many short tests four at a time, each taking a database, writing and reading
// a row, waiting for body (what a test does besides the database: HTTP calls, ...), and dropping
// the database, with and without clones prepared ahead; ns/op is wall time per test.
func BenchmarkSuite(b *testing.B) {
	a := setup(b)
	for _, body := range []time.Duration{0, 20 * time.Millisecond} {
		for _, spares := range []int{0, 2, 4} {
			b.Run(fmt.Sprintf("body=%v/spares=%d", body, spares), func(b *testing.B) {
				runSuite(b, a, spares, body)
			})
		}
	}
}

func runSuite(b *testing.B, a *admin, spares int, body time.Duration) {
	h := &harness{opened: true, admin: a, spares: spares}
	ctx := context.Background()
	if err := h.template(ctx, a, a.templateName(sample), sample); err != nil {
		b.Fatal(err)
	}
	b.SetParallelism(2) // 2 × GOMAXPROCS goroutines
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			name, err := h.clone(ctx, a, sample)
			if err == nil {
				err = shortTest(ctx, a.dsnFor(name), body)
			}
			if err == nil {
				err = a.drop(ctx, name)
			}
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	h.refills.Wait()
	h.dropSpares(ctx)
}

func shortTest(ctx context.Context, dsn string, body time.Duration) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var id int64
	err = conn.QueryRow(ctx, "INSERT INTO users (email) VALUES ('a@example.com') RETURNING id").Scan(&id)
	if err == nil {
		_, err = conn.Exec(ctx, "INSERT INTO notes (user_id, body) VALUES ($1, 'x')", id)
	}
	time.Sleep(body)
	return err
}
