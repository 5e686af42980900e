package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// consoleRow is row 8: the operator console's overview, answered whole by
// the generated service over 1 000 000 tasks (the benchmark
// BenchmarkOverviewMillionTasks of templates/project/internal/console,
// built with -tags bench), against counting those tasks by a scan, which
// is what the page would cost without its maintained counters. Its goal is
// absolute: under 50 ms.
func consoleRow(ctx context.Context, o *options) ([]measurement, error) {
	root := filepath.Dir(o.bench)
	bin := filepath.Join(o.work, "bin", "console.test")
	fmt.Fprintf(o.log, "building the console's benchmark…\n")
	if _, err := command(ctx, o, root, os.Environ(), "go", "test", "-c", "-tags", "bench", "-o", bin,
		"./templates/project/internal/console"); err != nil {
		return nil, err
	}
	args := []string{"-test.run", "^$", "-test.bench", "^BenchmarkOverviewMillionTasks$",
		"-test.count", "1", "-test.benchtime", strconv.Itoa(o.consoleN) + "x"}
	var ours, theirs, assets []float64
	for range o.rounds {
		fmt.Fprintf(o.log, "console.test %s\n", strings.Join(args, " "))
		out, err := command(ctx, o, filepath.Join(root, "templates/project/internal/console"), os.Environ(), bin, args...)
		if err != nil {
			return nil, err
		}
		res := parseBench(strings.NewReader(out))
		ours = append(ours, series(res, "BenchmarkOverviewMillionTasks/overview", "ns/op")...)
		theirs = append(theirs, series(res, "BenchmarkOverviewMillionTasks/scan", "ns/op")...)
		assets = append(assets, series(res, "BenchmarkOverviewMillionTasks/overview", "asset-bytes")...)
	}
	if len(ours) == 0 || len(theirs) == 0 {
		return nil, fmt.Errorf("no results of BenchmarkOverviewMillionTasks")
	}
	fmt.Fprintf(o.log, "console: embedded assets %.0f bytes\n", assets[0])
	ours, theirs = toMS(ours), toMS(theirs)
	under50 := func(float64) bool { return maxOf(ours) < 50 }
	return []measurement{{what: "console overview, 1 000 000 tasks: server time", unit: "ms", anchor: "count by scan",
		ours: ours, theirs: theirs, target: "< 50 ms (absolute)", meets: under50}}, nil
}

func maxOf(vs []float64) float64 {
	m := 0.0
	for _, v := range vs {
		m = max(m, v)
	}
	return m
}

func toMS(ns []float64) []float64 {
	out := make([]float64, len(ns))
	for i, v := range ns {
		out[i] = v / 1e6
	}
	return out
}
