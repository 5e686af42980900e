package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"github.com/starter-go/starter/generator"
	startrt "github.com/starter-go/starter/runtime"
	"github.com/starter-go/starter/templates"
)

// suiteRow is row 3: the generated full variant's integration suite, timed
// as `go run ./cmd/demo test-db run -- go test -count=1 -parallel N ./tests/`
// with both binaries built beforehand, so that the figure is the suite and
// its PostgreSQL, not the compiler: `bin/demo test-db run -- tests.test
// -test.parallel N`, in the tests directory as go test would run it. The
// anchor of every N is -parallel 1 in the same round (speed-up). Side by
// side, the same suite with the production argon2id cost in place of the
// test environment's (a second tests binary, prodCost): the anchor of the
// suite as it ships, at each N.
func suiteRow(ctx context.Context, o *options) ([]measurement, error) {
	dir, err := generateFull(ctx, o, "suite")
	if err != nil {
		return nil, err
	}
	prod, err := buildProdCostSuite(ctx, o, dir) // first: the copy leaves bin/ out
	if err != nil {
		return nil, err
	}
	app, tests, err := buildSuite(ctx, o, dir)
	if err != nil {
		return nil, err
	}
	env := withoutVar(os.Environ(), "TEST_DATABASE_URL") // test-db run starts its own server
	walls, prodWalls := map[int][]float64{}, map[int][]float64{}
	for round := range o.suiteRnd {
		for _, n := range o.parallel {
			for _, run := range []struct {
				cost, bin string
				into      map[int][]float64
				extra     []string
			}{{"test", tests, walls, nil}, {"production", prod, prodWalls, pinsTestCost}} {
				fmt.Fprintf(o.log, "suite round %d/%d, -parallel %d, %s hash cost…\n", round+1, o.suiteRnd, n, run.cost)
				wall, err := timeSuite(ctx, o, dir, env, app, run.bin, n, run.extra...)
				if err != nil {
					return nil, err
				}
				run.into[n] = append(run.into[n], wall)
			}
		}
	}
	var out []measurement
	for _, n := range o.parallel {
		out = append(out, measurement{
			what: fmt.Sprintf("generated full suite, `-parallel %d`: wall time", n), unit: "s",
			anchor: "-parallel 1", ours: walls[n], theirs: walls[1],
		})
	}
	for _, n := range o.parallel {
		out = append(out, measurement{
			what: fmt.Sprintf("generated full suite, `-parallel %d`, test hash cost: wall time", n), unit: "s",
			anchor: "production hash cost", ours: walls[n], theirs: prodWalls[n],
			target: "≤ 0.5×", meets: atMost(0.5),
		})
	}
	return out, nil
}

// pinsTestCost skips, at the production cost, the one test that checks the
// test environment hashes at its own, cheap cost.
var pinsTestCost = []string{"-test.skip", "^TestAuthPasswordHashCostPerEnvironment$"}

// timeSuite runs the tests binary once at -parallel n and returns its wall time in seconds.
func timeSuite(ctx context.Context, o *options, dir string, env []string, app, tests string, n int, extra ...string) (float64, error) {
	start := time.Now()
	args := append([]string{"test-db", "run", "--", tests, "-test.count=1", "-test.parallel", strconv.Itoa(n)}, extra...)
	_, err := command(ctx, o, filepath.Join(dir, "tests"), env, app, args...)
	return time.Since(start).Seconds(), err
}

// testCost matches the test environment's argon2id costs in the generated
// internal/config/auth.go (testHashMemoryKiB = 64, …).
var testCost = regexp.MustCompile(`(?m)^(\s*)testHash(\w+)(\s*)= \d+$`)

// buildProdCostSuite builds a second tests binary whose test environment
// hashes passwords at the production cost: a copy of the project where the
// test costs are the production constants (testHashMemoryKiB = hashMemoryKiB, …).
func buildProdCostSuite(ctx context.Context, o *options, dir string) (string, error) {
	prodDir := filepath.Join(o.work, "suite-production-cost", "demo")
	if err := os.CopyFS(prodDir, os.DirFS(dir)); err != nil {
		return "", fmt.Errorf("copy for the production cost: %w", err)
	}
	file := filepath.Join(prodDir, "internal", "config", "auth.go")
	src, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	if n := len(testCost.FindAll(src, -1)); n != 3 {
		return "", fmt.Errorf("%s: found %d of the 3 test hash costs; update testCost in suite.go", file, n)
	}
	src = testCost.ReplaceAll(src, []byte("${1}testHash${2}${3}= hash${2}"))
	if err := os.WriteFile(file, src, 0o644); err != nil {
		return "", err
	}
	tests := filepath.Join(prodDir, "bin", "tests.test")
	fmt.Fprintln(o.log, "building the tests at the production hash cost…")
	if _, err := command(ctx, o, prodDir, os.Environ(), "go", "test", "-c", "-o", tests, "./tests/"); err != nil {
		return "", err
	}
	return tests, nil
}

// generateFull writes the full variant (auth, tasks) as project "demo".
func generateFull(ctx context.Context, o *options, name string) (string, error) {
	dir := filepath.Join(o.work, name, "demo")
	src := generator.Sources{Templates: templates.FS, Runtime: startrt.FS}
	opts := generator.Options{Name: "demo", Module: "example.com/demo", Features: []string{"auth", "tasks"}}
	if err := generator.Generate(ctx, src, opts, dir); err != nil {
		return "", err
	}
	return dir, nil
}

// buildSuite builds the service and its tests binary once.
func buildSuite(ctx context.Context, o *options, dir string) (app, tests string, err error) {
	app = filepath.Join(dir, "bin", "demo")
	tests = filepath.Join(dir, "bin", "tests.test")
	fmt.Fprintln(o.log, "building the generated service and its tests…")
	if _, err := command(ctx, o, dir, os.Environ(), "go", "build", "-o", app, "./cmd/demo"); err != nil {
		return "", "", err
	}
	if _, err := command(ctx, o, dir, os.Environ(), "go", "test", "-c", "-o", tests, "./tests/"); err != nil {
		return "", "", err
	}
	return app, tests, nil
}
