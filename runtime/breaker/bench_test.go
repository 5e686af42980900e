//go:build bench

// Built only with -tags bench: starter's own measurements of this package, which the generator
// leaves out of generated projects.

package breaker

import (
	"context"
	"errors"
	"testing"
	"time"
)

func BenchmarkExecuteClosedSuccess(b *testing.B) {
	br := New("bench", Settings{})
	ctx := context.Background()
	fn := func(context.Context) error { return nil }
	b.ReportAllocs()
	for b.Loop() {
		_ = br.Execute(ctx, fn)
	}
}

func BenchmarkExecuteClosedSuccessParallel(b *testing.B) {
	br := New("bench", Settings{})
	fn := func(context.Context) error { return nil }
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			_ = br.Execute(ctx, fn)
		}
	})
}

func BenchmarkAllowDoneClosed(b *testing.B) {
	br := New("bench", Settings{})
	b.ReportAllocs()
	for b.Loop() {
		done, _ := br.Allow()
		done(true)
	}
}

// BenchmarkExecuteFailureClosed alternates failures and successes so the
// breaker stays closed while every call changes the counter.
func BenchmarkExecuteFailureClosed(b *testing.B) {
	br := New("bench", Settings{})
	ctx := context.Background()
	fail := func(context.Context) error { return context.DeadlineExceeded }
	ok := func(context.Context) error { return nil }
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if i%2 == 0 {
			_ = br.Execute(ctx, fail)
		} else {
			_ = br.Execute(ctx, ok)
		}
	}
}

func BenchmarkExecuteOpen(b *testing.B) {
	br := New("bench", Settings{FailureThreshold: 1, Timeout: time.Hour})
	ctx := context.Background()
	_ = br.Execute(ctx, func(context.Context) error { return context.DeadlineExceeded })
	fn := func(context.Context) error { return nil }
	b.ReportAllocs()
	for b.Loop() {
		if !errors.Is(br.Execute(ctx, fn), ErrOpen) {
			b.Fatal("breaker not open")
		}
	}
}
