package reliability

import (
	"context"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/starter-go/starter/runtime/retry"
)

// Both sides use the production settings: 1 s, ×2, at most 300 s, ±/−10 %
// jitter, 8 attempts.
func backoffOf() *backoff.ExponentialBackOff {
	return &backoff.ExponentialBackOff{
		InitialInterval:     time.Second,
		RandomizationFactor: 0.1,
		Multiplier:          2,
		MaxInterval:         300 * time.Second,
	}
}

func BenchmarkRetryImmediateSuccess(b *testing.B) {
	ctx := context.Background()
	b.Run("ours", func(b *testing.B) {
		p := retry.Production()
		fn := func(context.Context) error { return nil }
		b.ReportAllocs()
		for b.Loop() {
			if retry.Do(ctx, p, fn) != nil {
				b.Fatal("failed")
			}
		}
	})
	b.Run("backoff", func(b *testing.B) {
		op := func() (struct{}, error) { return struct{}{}, nil }
		b.ReportAllocs()
		for b.Loop() {
			if _, err := backoff.Retry(ctx, op, backoff.WithBackOff(backoffOf()), backoff.WithMaxTries(8)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkRetryDelay computes the delays after attempts 1 to 8, once per
// iteration of the cycle; ns/op is per delay.
func BenchmarkRetryDelay(b *testing.B) {
	b.Run("ours", func(b *testing.B) {
		p := retry.Production()
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			_ = p.Delay(i%8 + 1)
		}
	})
	b.Run("backoff", func(b *testing.B) {
		bo := backoffOf()
		bo.Reset()
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if i%8 == 0 {
				bo.Reset()
			}
			_ = bo.NextBackOff()
		}
	})
}
