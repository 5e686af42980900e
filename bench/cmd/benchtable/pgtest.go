package main

import (
	"context"
	"fmt"
	"os"
)

// pgtestRow is row 2: the ./pgtestbench benchmark (pgtest under pgtest.Main,
// migrate-per-test, pgtestdb; one embedded PostgreSQL; ten-table schema),
// -test.count rounds; then pgtest again without pgtest.Main (no clones made
// ahead: every test waits for its CREATE DATABASE), against pgtestdb of that
// same run.
func pgtestRow(ctx context.Context, o *options) ([]measurement, error) {
	bin, err := testBinary(ctx, o, "./pgtestbench")
	if err != nil {
		return nil, err
	}
	iters := fmt.Sprintf("%dx", o.pgIters)
	env := withoutVar(os.Environ(), "TEST_DATABASE_URL")
	res, err := runBench(ctx, o, env, bin, "pgtestbench", "TimeToDatabase", o.rounds, "-test.benchtime", iters)
	if err != nil {
		return nil, err
	}
	noMain, err := runBench(ctx, o, append(env, "PGTESTBENCH_NO_MAIN=1"), bin, "pgtestbench",
		"TimeToDatabase/(pgtest|pgtestdb)$", o.rounds, "-test.benchtime", iters)
	if err != nil {
		return nil, err
	}
	const name = "BenchmarkTimeToDatabase/"
	var out []measurement
	add := func(res []benchResult, ours, anchor string) {
		for _, p := range []string{"p50", "p95"} {
			m := measurement{
				what:   fmt.Sprintf("per-test database ready, %s: %s", ours, p),
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
	add(res, "pgtest (pgtest.Main: clones made ahead)", "pgtestdb")
	add(res, "pgtest (pgtest.Main: clones made ahead)", "migrate-per-test")
	add(noMain, "pgtest without pgtest.Main", "pgtestdb")
	return out, nil
}
