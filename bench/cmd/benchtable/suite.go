package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
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
// anchor of every N is -parallel 1 in the same round (speed-up).
func suiteRow(ctx context.Context, o *options) ([]measurement, error) {
	dir, err := generateFull(ctx, o, "suite")
	if err != nil {
		return nil, err
	}
	app, tests, err := buildSuite(ctx, o, dir)
	if err != nil {
		return nil, err
	}
	env := withoutVar(os.Environ(), "TEST_DATABASE_URL") // test-db run starts its own server
	walls := map[int][]float64{}
	for round := range o.suiteRnd {
		for _, n := range o.parallel {
			fmt.Fprintf(o.log, "suite round %d/%d, -parallel %d…\n", round+1, o.suiteRnd, n)
			start := time.Now()
			_, err := command(ctx, o, filepath.Join(dir, "tests"), env, app, "test-db", "run", "--",
				tests, "-test.count=1", "-test.parallel", strconv.Itoa(n))
			if err != nil {
				return nil, err
			}
			walls[n] = append(walls[n], time.Since(start).Seconds())
		}
	}
	var out []measurement
	for _, n := range o.parallel {
		out = append(out, measurement{
			what: fmt.Sprintf("generated full suite, `-parallel %d`: wall time", n), unit: "s",
			anchor: "-parallel 1", ours: walls[n], theirs: walls[1],
		})
	}
	return out, nil
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
