package main

import (
	"context"
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/starter-go/starter/generator"
	startrt "github.com/starter-go/starter/runtime"
	"github.com/starter-go/starter/templates"
)

// listBench is the benchmark written into the generated project's tests.
//
//go:embed testdata/list_bench_test.go.txt
var listBench []byte

// listRows is the size of the table the list is read from.
const listRows = 100_000

// resourceListRow is row 7: the list endpoint of a resource made by
// `starter generate resource` in the minimal variant (open: no session to
// make), 50 rows a page from a table of 100 000, with the indexes its
// migration creates against the same table without them. The benchmark
// (testdata/list_bench_test.go.txt) runs in the project's tests binary,
// built once, on the PostgreSQL its pgtest.Main starts.
func resourceListRow(ctx context.Context, o *options) ([]measurement, error) {
	dir, err := generateWithResource(ctx, o)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "tests", "list_bench_test.go"), listBench, 0o644); err != nil {
		return nil, err
	}
	tests := filepath.Join(dir, "bin", "tests.test")
	fmt.Fprintln(o.log, "building the generated tests…")
	if _, err := command(ctx, o, dir, os.Environ(), "go", "test", "-c", "-o", tests, "./tests/"); err != nil {
		return nil, err
	}
	env := withoutVar(os.Environ(), "TEST_DATABASE_URL")
	args := []string{"-test.run", "^$", "-test.bench", "BenchmarkProductsList", "-test.benchtime", "200x",
		"-test.count", strconv.Itoa(o.rounds)}
	fmt.Fprintf(o.log, "tests.test %v\n", args)
	out, err := command(ctx, o, filepath.Join(dir, "tests"), env, tests, args...)
	if err != nil {
		return nil, err
	}
	res := parseBench(strings.NewReader(out))
	const name = "BenchmarkProductsList/"
	var ms []measurement
	for _, q := range []struct{ key, what string }{
		{"newest", "newest first (the default order)"},
		{"sorted", "`sort=price`"},
		{"filtered", "`price=500` (100 matching rows), newest first"},
	} {
		m := measurement{
			what:   fmt.Sprintf("generated list endpoint, 50 of %d rows, %s: p50", listRows, q.what),
			unit:   "ms",
			anchor: "same query without the indexes",
			ours:   series(res, name+q.key+"/indexes=default", "p50-ms"),
			theirs: series(res, name+q.key+"/indexes=none", "p50-ms"),
		}
		m.target = "p50 < 5 ms (absolute) ✗"
		if len(m.ours) > 0 && spreadOf(m.ours).med < 5 {
			m.target = "p50 < 5 ms (absolute) ✓"
		}
		ms = append(ms, m)
	}
	return ms, nil
}

// generateWithResource writes the minimal variant as project "demo" and
// grows it by a resource, as `starter generate resource product
// title:string:required price:int:index in_stock:bool` does.
func generateWithResource(ctx context.Context, o *options) (string, error) {
	dir := filepath.Join(o.work, "list", "demo")
	src := generator.Sources{Templates: templates.FS, Runtime: startrt.FS}
	opts := generator.Options{Name: "demo", Module: "example.com/demo"}
	if err := generator.Generate(ctx, src, opts, dir); err != nil {
		return "", err
	}
	plan, err := generator.PlanResource(ctx, src, dir, generator.ResourceRequest{Name: "product",
		Fields: []string{"title:string:required", "price:int:index", "in_stock:bool"}})
	if err != nil {
		return "", err
	}
	return dir, plan.Write(ctx)
}
