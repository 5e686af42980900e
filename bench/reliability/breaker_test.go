package reliability

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/starter-go/starter/runtime/breaker"
)

var errDown = errors.New("down")

// Both breakers are configured alike: 5 consecutive failures open them for
// a minute (an hour where the benchmark needs them to stay open).
func ours(timeout time.Duration) *breaker.Breaker {
	return breaker.New("bench", breaker.Settings{FailureThreshold: 5, Timeout: timeout})
}

func theirs(timeout time.Duration) *gobreaker.CircuitBreaker[struct{}] {
	return gobreaker.NewCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        "bench",
		Timeout:     timeout,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= 5 },
	})
}

func okOurs(context.Context) error   { return nil }
func okTheirs() (struct{}, error)    { return struct{}{}, nil }
func failOurs(context.Context) error { return errDown }
func failTheirs() (struct{}, error)  { return struct{}{}, errDown }
func outcomeOurs(i int) func(context.Context) error {
	if i%2 == 0 {
		return failOurs
	}
	return okOurs
}

func BenchmarkBreakerClosedSuccess(b *testing.B) {
	ctx := context.Background()
	b.Run("ours", func(b *testing.B) {
		br := ours(time.Minute)
		b.ReportAllocs()
		for b.Loop() {
			_ = br.Execute(ctx, okOurs)
		}
	})
	b.Run("gobreaker", func(b *testing.B) {
		br := theirs(time.Minute)
		b.ReportAllocs()
		for b.Loop() {
			_, _ = br.Execute(okTheirs)
		}
	})
}

func BenchmarkBreakerClosedSuccessParallel(b *testing.B) {
	b.Run("ours", func(b *testing.B) {
		br := ours(time.Minute)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			ctx := context.Background()
			for pb.Next() {
				_ = br.Execute(ctx, okOurs)
			}
		})
	})
	b.Run("gobreaker", func(b *testing.B) {
		br := theirs(time.Minute)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				_, _ = br.Execute(okTheirs)
			}
		})
	})
}

// BenchmarkBreakerTwoStep is the task worker's path: ask, run, report.
func BenchmarkBreakerTwoStep(b *testing.B) {
	b.Run("ours", func(b *testing.B) {
		br := ours(time.Minute)
		b.ReportAllocs()
		for b.Loop() {
			done, err := br.Allow()
			if err != nil {
				b.Fatal(err)
			}
			done(true)
		}
	})
	b.Run("gobreaker", func(b *testing.B) {
		br := gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{Name: "bench"})
		b.ReportAllocs()
		for b.Loop() {
			done, err := br.Allow()
			if err != nil {
				b.Fatal(err)
			}
			done(nil)
		}
	})
}

// BenchmarkBreakerFailing has two failing paths: "closed" alternates a
// failure and a success, so the breaker stays closed but every call changes
// its counters; "open" is a breaker rejecting calls.
func BenchmarkBreakerFailing(b *testing.B) {
	ctx := context.Background()
	b.Run("closed/ours", func(b *testing.B) {
		br := ours(time.Minute)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			_ = br.Execute(ctx, outcomeOurs(i))
		}
	})
	b.Run("closed/gobreaker", func(b *testing.B) {
		br := theirs(time.Minute)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if i%2 == 0 {
				_, _ = br.Execute(failTheirs)
			} else {
				_, _ = br.Execute(okTheirs)
			}
		}
	})
	b.Run("open/ours", func(b *testing.B) {
		br := ours(time.Hour)
		for range 5 {
			_ = br.Execute(ctx, failOurs)
		}
		b.ReportAllocs()
		for b.Loop() {
			if !errors.Is(br.Execute(ctx, okOurs), breaker.ErrOpen) {
				b.Fatal("not open")
			}
		}
	})
	b.Run("open/gobreaker", func(b *testing.B) {
		br := theirs(time.Hour)
		for range 5 {
			_, _ = br.Execute(failTheirs)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := br.Execute(okTheirs); !errors.Is(err, gobreaker.ErrOpenState) {
				b.Fatal("not open")
			}
		}
	})
}
