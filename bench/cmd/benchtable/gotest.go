package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// command runs name with args in dir; its output goes to the log unless
// captured. The error carries the tail of what it wrote.
func command(ctx context.Context, o *options, dir string, env []string, name string, args ...string) (string, error) {
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, tail(out.String(), 2000))
	}
	return out.String(), nil
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// testBinary compiles the tests of pkg (a package of the bench module) once,
// so rounds time the benchmark and not the compiler.
func testBinary(ctx context.Context, o *options, pkg string) (string, error) {
	bin := filepath.Join(o.work, "bin", filepath.Base(pkg)+".test")
	fmt.Fprintf(o.log, "building %s…\n", pkg)
	_, err := command(ctx, o, o.bench, os.Environ(), "go", "test", "-c", "-o", bin, pkg)
	return bin, err
}

// benchResult is one line of `go test -bench` output: the benchmark's name
// without the -GOMAXPROCS suffix and its metrics by unit.
type benchResult struct {
	name    string
	metrics map[string]float64
}

var procSuffix = regexp.MustCompile(`-\d+$`)

// parseBench reads the result lines of `go test -bench` output.
func parseBench(r io.Reader) []benchResult {
	var out []benchResult
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue
		}
		res := benchResult{name: procSuffix.ReplaceAllString(f[0], ""), metrics: map[string]float64{}}
		for i := 2; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				res.metrics[f[i+1]] = v
			}
		}
		out = append(out, res)
	}
	return out
}

// series collects one metric of one benchmark, in the order of the rounds
// (-test.count).
func series(results []benchResult, name, unit string) []float64 {
	var out []float64
	for _, r := range results {
		if r.name == name {
			out = append(out, r.metrics[unit])
		}
	}
	return out
}

// runBench runs a compiled test binary's benchmarks matching pattern,
// count times, in the directory of its package.
func runBench(ctx context.Context, o *options, env []string, bin, pkgDir, pattern string, count int, extra ...string) ([]benchResult, error) {
	args := append([]string{"-test.run", "^$", "-test.bench", pattern, "-test.count", strconv.Itoa(count)}, extra...)
	fmt.Fprintf(o.log, "%s %s\n", filepath.Base(bin), strings.Join(args, " "))
	out, err := command(ctx, o, filepath.Join(o.bench, pkgDir), env, bin, args...)
	if err != nil {
		return nil, err
	}
	res := parseBench(strings.NewReader(out))
	if len(res) == 0 {
		return nil, fmt.Errorf("no benchmark results in:\n%s", tail(out, 2000))
	}
	return res, nil
}
