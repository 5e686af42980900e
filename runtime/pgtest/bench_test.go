package pgtest

import (
	"context"
	"testing"
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
