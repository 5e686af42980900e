//go:build bench

// Built only with -tags bench: starter's own measurements of the worker's
// breakers, which the generator leaves out of generated projects.

package tasks

import (
	"context"
	"log/slog"
	"testing"

	"github.com/starter-go/starter/runtime/breaker"
)

// BenchmarkBreakerClosed is the path of every task whose breaker is closed:
// a bare breaker.Breaker against a worker's guard with the state shared
// with other workers. Sharing must cost the closed path no lock and no
// database: the two rows stay close.
func BenchmarkBreakerClosed(b *testing.B) {
	shared := newSharedBreakers(nil, Settings{ID: "bench"}, []string{"t"}, slog.New(slog.DiscardHandler))
	runs := []struct {
		name    string
		execute func(context.Context, func(context.Context) error) error
	}{
		{"bare", breaker.New("t", breaker.Settings{}).Execute},
		{"shared", (&guard{Breaker: breaker.New("t", breaker.Settings{}), shared: shared}).Execute},
	}
	fn := func(context.Context) error { return nil }
	for _, r := range runs {
		b.Run(r.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				for pb.Next() {
					_ = r.execute(ctx, fn)
				}
			})
		})
	}
}
