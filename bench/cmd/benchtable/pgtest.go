package main

import (
	"context"
	"fmt"
)

// pgtestRow is row 2: the ./pgtestbench benchmark (pgtest under pgtest.Main,
// migrate-per-test, pgtestdb; one embedded PostgreSQL; ten-table schema),
// -test.count rounds.
func pgtestRow(ctx context.Context, o *options) ([]measurement, error) {
	bin, err := testBinary(ctx, o, "./pgtestbench")
	if err != nil {
		return nil, err
	}
	res, err := runBench(ctx, o, bin, "pgtestbench", "TimeToDatabase", o.rounds,
		"-test.benchtime", fmt.Sprintf("%dx", o.pgIters))
	if err != nil {
		return nil, err
	}
	const name = "BenchmarkTimeToDatabase/"
	var out []measurement
	for _, anchor := range []string{"pgtestdb", "migrate-per-test"} {
		for _, p := range []string{"p50", "p95"} {
			m := measurement{
				what:   fmt.Sprintf("per-test database ready (%d per round): %s", o.pgIters, p),
				unit:   "ms",
				anchor: anchor,
				ours:   series(res, name+"pgtest", p+"-ms"),
				theirs: series(res, name+anchor, p+"-ms"),
			}
			if anchor == "pgtestdb" {
				m.target, m.meets = "≤ 0.5×", atMost(0.5)
			}
			out = append(out, m)
		}
	}
	return out, nil
}
