package generator

import (
	"context"
	"path/filepath"
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
