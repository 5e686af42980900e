package generator

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	startrt "github.com/starter-go/starter/runtime"
	"github.com/starter-go/starter/templates"
)

// BenchmarkGenerate measures `starter new` minus process start: validate,
// render, format and write one project of each variant.
func BenchmarkGenerate(b *testing.B) {
	src := Sources{Templates: templates.FS, Runtime: startrt.FS}
	m, err := LoadManifest(src.Templates)
	if err != nil {
		b.Fatal(err)
	}
	for _, v := range m.VariantNames() {
		b.Run(v, func(b *testing.B) {
			opts := Options{Name: "demo", Module: "example.com/demo", Features: m.Variants[v]}
			dir := b.TempDir()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				if err := Generate(context.Background(), src, opts, filepath.Join(dir, fmt.Sprint(i))); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkNewPlan is the in-memory part of BenchmarkGenerate: validate,
// filter, render and format, without touching the disk.
func BenchmarkNewPlan(b *testing.B) {
	src := Sources{Templates: templates.FS, Runtime: startrt.FS}
	m, err := LoadManifest(src.Templates)
	if err != nil {
		b.Fatal(err)
	}
	for _, v := range m.VariantNames() {
		b.Run(v, func(b *testing.B) {
			opts := Options{Name: "demo", Module: "example.com/demo", Features: m.Variants[v]}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := NewPlan(context.Background(), src, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkGenerateResource measures `starter generate resource` minus
// process start: read the project, validate, render, format, plan the
// registration edits and write through the staging directory. Each round
// rewrites the same resource (--force), in a full project that has one to
// point to already.
func BenchmarkGenerateResource(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "demo")
	opts := Options{Name: "demo", Module: "example.com/demo", Features: []string{"auth", "tasks"}}
	if err := Generate(context.Background(), realSources(), opts, dir); err != nil {
		b.Fatal(err)
	}
	writeResource(b, dir, ResourceRequest{Name: "category", Fields: []string{"name:string:required:unique"}, Public: true})
	req := ResourceRequest{Name: "product", Force: true, Fields: []string{"title:string:required:index", "body:text",
		"price:decimal:required", "stock:int", "rating:float", "in_stock:bool:index", "released_at:time",
		"released_on:date", "sku:uuid:unique", "tags:json", "category_id:ref:category:required"}}
	b.ReportAllocs()
	for b.Loop() {
		writeResource(b, dir, req)
	}
}
