package generator

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// goldenResources are the resources whose generated files testdata/golden/
// resources holds: one owned (pointing to a public one), one public, and
// one with every type and modifier (in a project without auth, where
// resources are open). before are generated first, unchecked, for the refs.
var goldenResources = []struct {
	name    string
	variant []string
	before  []ResourceRequest
	req     ResourceRequest
}{
	{
		name:    "owned",
		variant: []string{"auth"},
		before:  []ResourceRequest{{Name: "category", Fields: []string{"name:string:required:unique"}, Public: true}},
		req: ResourceRequest{Name: "product", Fields: []string{"title:string:required", "price:decimal:required",
			"in_stock:bool:index", "category_id:ref:category:required"}},
	},
	{
		name:    "public",
		variant: []string{"auth"},
		req:     ResourceRequest{Name: "category", Fields: []string{"name:string:required:unique", "about:text"}, Public: true},
	},
	{
		name:    "every_type",
		variant: nil,
		before:  []ResourceRequest{{Name: "tag", Fields: []string{"label:string:required:unique"}}},
		req: ResourceRequest{Name: "box", Fields: []string{"label:string:required:unique", "note:text:optional",
			"size:int:required:index", "ratio:float:index", "weight:decimal:unique", "fragile:bool", "seen_at:time:index",
			"shipped_on:date:unique", "code:uuid:unique", "meta:json", "tag_id:ref:tag:index"}},
	},
}

// TestGoldenResources compares the files `starter generate resource` writes
// (the edits of the registration points included) with testdata/golden/
// resources/<case>, file by file; -update rewrites them (make golden).
func TestGoldenResources(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, c := range goldenResources {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "demo")
			if err := Generate(ctx, realSources(), goldenOptions(c.variant), dir); err != nil {
				t.Fatal(err)
			}
			for _, req := range c.before {
				writeResource(t, dir, req)
			}
			p, err := PlanResource(ctx, realSources(), dir, c.req)
			if err != nil {
				t.Fatal(err)
			}
			var files []File
			for _, f := range p.Files {
				files = append(files, f.File)
				if strings.HasPrefix(f.Path, "tests/") {
					checkTestCount(t, f.File, 15)
				}
			}
			golden := filepath.Join("..", "testdata", "golden", "resources", c.name)
			if *update {
				rewriteGolden(t, golden, files)
				return
			}
			compareTree(t, golden, files)
		})
	}
}

// writeResource plans and writes a resource into the project at dir.
func writeResource(t testing.TB, dir string, req ResourceRequest) {
	t.Helper()
	p, err := PlanResource(t.Context(), realSources(), dir, req)
	if err != nil {
		t.Fatalf("generate resource %s: %v", req.Name, err)
	}
	if err := p.Write(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// checkTestCount fails unless the test file f has at least n Test functions.
func checkTestCount(t *testing.T, f File, n int) {
	t.Helper()
	file, err := parser.ParseFile(token.NewFileSet(), f.Path, f.Data, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	count := 0
	for _, d := range file.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && strings.HasPrefix(fn.Name.Name, "Test") {
			count++
		}
	}
	if count < n {
		t.Errorf("%s has %d tests, want at least %d", f.Path, count, n)
	}
}
