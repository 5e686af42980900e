package main

import (
	"context"
	"fmt"
	"os"
)

// reliabilityRow is row 6: the ./reliability benchmarks, -test.count rounds.
func reliabilityRow(ctx context.Context, o *options) ([]measurement, error) {
	bin, err := testBinary(ctx, o, "./reliability")
	if err != nil {
		return nil, err
	}
	res, err := runBench(ctx, o, os.Environ(), bin, "reliability",
		"^(BenchmarkBreakerClosedSuccess|BenchmarkBreakerClosedSuccessParallel|BenchmarkBreakerTwoStep|BenchmarkBreakerFailing|BenchmarkRetryImmediateSuccess)$",
		o.rounds, "-test.benchmem", "-test.benchtime", "300ms")
	if err != nil {
		return nil, err
	}
	cases := []struct {
		what, ours, theirs, anchor string
		target                     float64 // 0: none
	}{
		{"breaker closed, success", "BreakerClosedSuccess/ours", "BreakerClosedSuccess/gobreaker", "gobreaker v2", 0.25},
		{"breaker closed, success, parallel", "BreakerClosedSuccessParallel/ours", "BreakerClosedSuccessParallel/gobreaker", "gobreaker v2", 0},
		{"breaker two-step (worker's path)", "BreakerTwoStep/ours", "BreakerTwoStep/gobreaker", "gobreaker v2", 0},
		{"breaker closed, alternating failure", "BreakerFailing/closed/ours", "BreakerFailing/closed/gobreaker", "gobreaker v2", 0},
		{"breaker open, rejecting", "BreakerFailing/open/ours", "BreakerFailing/open/gobreaker", "gobreaker v2", 0},
		{"retry, immediate success", "RetryImmediateSuccess/ours", "RetryImmediateSuccess/backoff", "backoff v5", 0},
	}
	var out []measurement
	for _, c := range cases {
		ns := measurement{what: c.what + ": time", unit: "ns/op", anchor: c.anchor,
			ours: series(res, "Benchmark"+c.ours, "ns/op"), theirs: series(res, "Benchmark"+c.theirs, "ns/op")}
		if c.target > 0 {
			ns.target, ns.meets = fmt.Sprintf("≤ %.2g×", c.target), atMost(c.target)
		}
		allocs := measurement{what: c.what + ": allocations", unit: "allocs/op", anchor: c.anchor,
			ours: series(res, "Benchmark"+c.ours, "allocs/op"), theirs: series(res, "Benchmark"+c.theirs, "allocs/op")}
		out = append(out, ns)
		if sum(allocs.ours)+sum(allocs.theirs) > 0 {
			out = append(out, allocs)
		}
	}
	return out, nil
}

func sum(vs []float64) float64 {
	t := 0.0
	for _, v := range vs {
		t += v
	}
	return t
}
