//go:build bench

// Built only with -tags bench: starter's own measurements of this package, which the generator
// leaves out of generated projects.

package retry

import (
	"context"
	"testing"
)

func BenchmarkDoImmediateSuccess(b *testing.B) {
	ctx := context.Background()
	p := Production()
	fn := func(context.Context) error { return nil }
	b.ReportAllocs()
	for b.Loop() {
		if Do(ctx, p, fn) != nil {
			b.Fatal("Do failed")
		}
	}
}

func BenchmarkDelayExponential(b *testing.B) {
	p := Production()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		_ = p.Delay(i%8 + 1)
	}
}

func BenchmarkDelayLinear(b *testing.B) {
	s := Strategy{Kind: Linear, BaseDelay: s1, Increment: s1, MaxDelay: 300 * s1}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		_ = s.Delay(i%8+1, 0)
	}
}

func BenchmarkUnmarshalJSON(b *testing.B) {
	data := []byte(`{"type":"exponential","base_delay_ms":1000,"multiplier":2.0,"max_delay_ms":300000,"jitter":0.1}`)
	b.ReportAllocs()
	for b.Loop() {
		var s Strategy
		if err := s.UnmarshalJSON(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMarshalJSON(b *testing.B) {
	s := DefaultStrategy()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.MarshalJSON(); err != nil {
			b.Fatal(err)
		}
	}
}
