package generator

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// bundle is what setup returns: a small template tree and runtime tree that
// exercise every rewrite, and options for them.
type bundle struct {
	src  Sources
	opts Options
	dir  string // a fresh parent directory for targets
}

func setup(t *testing.T) bundle {
	t.Helper()
	gomod := func(mod string) *fstest.MapFile {
		return &fstest.MapFile{Data: []byte("module example.com/app\n\ngo 1.26.8\n\nrequire example.org/" + mod + " v1.0.0\n")}
	}
	sum := &fstest.MapFile{Data: []byte("example.org/x v1.0.0 h1:abc=\n")}
	tmpl := fstest.MapFS{
		"manifest.yaml": {Data: []byte(`
features:
  auth: [internal/auth/**, migrations/*_users.*.sql]
  tasks: [internal/tasks/**]
variants:
  minimal: []
  auth: [auth]
  full: [auth, tasks]
`)},
		"gomod/minimal/go.mod.tmpl": gomod("minimal"), "gomod/minimal/go.sum.tmpl": sum,
		"gomod/auth/go.mod.tmpl": gomod("auth"), "gomod/auth/go.sum.tmpl": sum,
		"gomod/full/go.mod.tmpl": gomod("full"), "gomod/full/go.sum.tmpl": sum,
		"project/cmd/app/main.go": {Data: []byte(`package main

import "github.com/starter-go/starter/templates/project/internal/app"

func main() { app.Main() }
`)},
		"project/internal/buildinfo/buildinfo.go": {Data: []byte(`// Package buildinfo.
package buildinfo

const (
	// Name is the name.
	Name          = "app"
	DefaultDBName = "app"
	DefaultPort   = 8080
)

var Version = "dev"
`)},
		"project/internal/app/app.go": {Data: []byte(`// Package app wires things.
package app

import (
	"fmt"
	"strings"

	"github.com/starter-go/starter/runtime/breaker"
	// starter:feature auth
	"github.com/starter-go/starter/templates/project/internal/auth"
	// starter:end
	"github.com/starter-go/starter/templates/project/internal/tasks" // the worker
)

// Main runs.
func Main() {
	fmt.Println(breaker.Name)
	// starter:feature auth
	fmt.Println(strings.ToUpper(auth.Name))
	// starter:feature tasks
	fmt.Println(tasks.Name)
	// starter:end
	// starter:end
}
`)},
		"project/internal/auth/auth.go":            {Data: []byte("package auth\n\nconst Name = \"auth\"\n")},
		"project/internal/tasks/tasks.go":          {Data: []byte("package tasks\n\nconst Name = \"tasks\"\n")},
		"project/migrations/000001_core.up.sql":    {Data: []byte("-- core {{.Name}}\n")},
		"project/migrations/000002_users.up.sql":   {Data: []byte("-- users\n")},
		"project/README.md.tmpl":                   {Data: []byte("# {{.Name}}\n{{.Module}} {{.DBName}} {{.Port}} go{{.GoVersion}} {{.StarterVersion}}{{if .Features.Auth}} auth{{end}}{{if .Features.Tasks}} tasks{{end}}\n")},
		"project/.gitignore.tmpl":                  {Data: []byte("/{{.Name}}\n")},
		"project/internal/apptest/apptest_test.go": {Data: []byte("package apptest_test\n\nimport \"testing\"\n\nfunc TestX(t *testing.T) {}\n")},
		"project/internal/app/bench_test.go":       {Data: []byte("//go:build bench && unix\n\npackage app\n")},
	}
	rt := fstest.MapFS{
		"runtime.go":                   {Data: []byte("package runtime\n")},
		"breaker/breaker.go":           {Data: []byte("package breaker\n\nconst   Name = \"breaker\"\n")},
		"breaker/bench_test.go":        {Data: []byte("//go:build bench\n\npackage breaker\n")},
		"pgtest/pgtest.go":             {Data: []byte("package pgtest\n\nimport \"github.com/starter-go/starter/runtime/pgembed\"\n\nvar _ = pgembed.Start\n")},
		"pgembed/pgembed.go":           {Data: []byte("package pgembed\n\nfunc Start() {}\n")},
		"pgembed/testdata/fixture.txt": {Data: []byte("{{not a template}}\n")},
	}
	return bundle{
		src:  Sources{Templates: tmpl, Runtime: rt},
		opts: Options{Name: "demo", Module: "example.com/demo", StarterVersion: "test"},
		dir:  t.TempDir(),
	}
}

func (b bundle) plan(t *testing.T, features ...string) *Plan {
	t.Helper()
	o := b.opts
	o.Features = features
	p, err := NewPlan(context.Background(), b.src, o)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *Plan) file(t *testing.T, name string) string {
	t.Helper()
	for _, f := range p.Files {
		if f.Path == name {
			return string(f.Data)
		}
	}
	t.Fatalf("no file %s in %v", name, p.paths())
	return ""
}

func (p *Plan) paths() []string {
	var names []string
	for _, f := range p.Files {
		names = append(names, f.Path)
	}
	return names
}

func TestManifestFiltersWholeFiles(t *testing.T) {
	t.Parallel()
	b := setup(t)
	common := []string{".gitignore", "README.md", "cmd/demo/main.go", "go.mod", "go.sum",
		"internal/app/app.go", "internal/apptest/apptest_test.go", "internal/buildinfo/buildinfo.go",
		"internal/platform/breaker/breaker.go", "internal/platform/pgembed/pgembed.go",
		"internal/platform/pgembed/testdata/fixture.txt", "internal/platform/pgtest/pgtest.go",
		"migrations/000001_core.up.sql"}
	tests := []struct {
		features []string
		variant  string
		extra    []string
	}{
		{nil, "minimal", nil},
		{[]string{"auth"}, "auth", []string{"internal/auth/auth.go", "migrations/000002_users.up.sql"}},
		{[]string{"auth", "tasks"}, "full", []string{"internal/auth/auth.go", "internal/tasks/tasks.go", "migrations/000002_users.up.sql"}},
	}
	for _, tt := range tests {
		p := b.plan(t, tt.features...)
		want := append(slices.Clone(common), tt.extra...)
		slices.Sort(want)
		if got := p.paths(); !slices.Equal(got, want) {
			t.Errorf("%s files:\n got %q\nwant %q", tt.variant, got, want)
		}
		if p.Variant != tt.variant || !strings.Contains(p.file(t, "go.mod"), "example.org/"+tt.variant) {
			t.Errorf("variant = %s, go.mod = %s", p.Variant, p.file(t, "go.mod"))
		}
	}
}

func TestFeatureBlocksAndUnusedImports(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tests := []struct {
		features      []string
		want, notWant []string
	}{
		{nil, []string{`"fmt"`, "breaker.Name"},
			[]string{"auth", `"strings"`, "tasks", "the worker", "starter:"}},
		{[]string{"auth"}, []string{`"strings"`, `"example.com/demo/internal/auth"`, "auth.Name"},
			[]string{"tasks", "the worker", "starter:"}},
		{[]string{"auth", "tasks"}, []string{"auth.Name", "tasks.Name", `"example.com/demo/internal/tasks" // the worker`},
			[]string{"starter:"}},
	}
	for _, tt := range tests {
		got := b.plan(t, tt.features...).file(t, "internal/app/app.go")
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("features %v: app.go lacks %s:\n%s", tt.features, w, got)
			}
		}
		for _, w := range tt.notWant {
			if strings.Contains(got, w) {
				t.Errorf("features %v: app.go still has %s:\n%s", tt.features, w, got)
			}
		}
	}
}

// Only imports whose use disappeared with a block are pruned; an import whose
// name cannot be guessed from its path, and blank imports, are kept.
func TestPruneKeepsImportsItCannotConfirm(t *testing.T) {
	t.Parallel()
	src := []byte(`package x

import (
	"fmt"
	yaml "go.yaml.in/yaml/v3"
	"github.com/jackc/pgx/v5"
	"example.org/oddname"
	_ "embed"
)

func f() {
	// starter:feature auth
	fmt.Println(yaml.Marshal, pgx.Connect, odd.Thing)
	// starter:end
}
`)
	out, imports, err := transformGo(goJob{name: "x.go", on: func(string) bool { return false }, module: "m.test/x"}, src)
	if err != nil {
		t.Fatal(err)
	}
	got := string(out)
	if want := []string{"example.org/oddname", "embed"}; !slices.Equal(imports, want) {
		t.Errorf("imports = %q, want %q", imports, want)
	}
	for _, gone := range []string{`"fmt"`, `yaml "go.yaml.in/yaml/v3"`, `"github.com/jackc/pgx/v5"`} {
		if strings.Contains(got, gone) {
			t.Errorf("%s not pruned:\n%s", gone, got)
		}
	}
	for _, kept := range []string{`"example.org/oddname"`, `_ "embed"`} {
		if !strings.Contains(got, kept) {
			t.Errorf("%s pruned:\n%s", kept, got)
		}
	}
}

func TestImportRewrite(t *testing.T) {
	t.Parallel()
	p := setup(t).plan(t)
	if got := p.file(t, "cmd/demo/main.go"); !strings.Contains(got, `import "example.com/demo/internal/app"`) {
		t.Errorf("main.go:\n%s", got)
	}
	if got := p.file(t, "internal/platform/pgtest/pgtest.go"); !strings.Contains(got, `"example.com/demo/internal/platform/pgembed"`) {
		t.Errorf("pgtest.go:\n%s", got)
	}
	for _, f := range p.Files {
		if bytes.Contains(f.Data, []byte("starter-go/starter")) {
			t.Errorf("%s still refers to the starter module", f.Path)
		}
	}
}

func TestImportOfGeneratorIsAnError(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.src.Templates.(fstest.MapFS)["project/internal/bad/bad.go"] = &fstest.MapFile{
		Data: []byte("package bad\n\nimport _ \"github.com/starter-go/starter/generator\"\n")}
	_, err := NewPlan(context.Background(), b.src, b.opts)
	if err == nil || !strings.Contains(err.Error(), "project/internal/bad/bad.go") {
		t.Fatalf("err = %v, want one naming project/internal/bad/bad.go", err)
	}
}

func TestImportOfDisabledFeatureIsAnError(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.src.Templates.(fstest.MapFS)["project/tests/tasks_test.go"] = &fstest.MapFile{
		Data: []byte("package tests\n\nimport _ \"github.com/starter-go/starter/templates/project/internal/tasks\"\n")}
	b.opts.Features = []string{"auth"}
	_, err := NewPlan(context.Background(), b.src, b.opts)
	want := "project/tests/tasks_test.go imports internal/tasks, which is not generated with features [auth]"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want %q", err, want)
	}
	b.opts.Features = []string{"auth", "tasks"}
	if _, err := NewPlan(context.Background(), b.src, b.opts); err != nil {
		t.Fatal(err)
	}
}

func TestIdentityConstants(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.opts.DBName, b.opts.Port = "demo_db", 9090
	p, err := NewPlan(context.Background(), b.src, b.opts)
	if err != nil {
		t.Fatal(err)
	}
	got := p.file(t, "internal/buildinfo/buildinfo.go")
	for _, w := range []string{`Name          = "demo"`, `DefaultDBName = "demo_db"`, "DefaultPort   = 9090", "// Name is the name.", `Version = "dev"`} {
		if !strings.Contains(got, w) {
			t.Errorf("buildinfo.go lacks %q:\n%s", w, got)
		}
	}
}

func TestIdentityConstantMissing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.src.Templates.(fstest.MapFS)["project/internal/buildinfo/buildinfo.go"] = &fstest.MapFile{
		Data: []byte("package buildinfo\n\nconst Name = \"app\"\n")}
	_, err := NewPlan(context.Background(), b.src, b.opts)
	if err == nil || !strings.Contains(err.Error(), "DefaultDBName") && !strings.Contains(err.Error(), "DefaultPort") {
		t.Fatalf("err = %v, want a missing constant", err)
	}
}

func TestTemplatesRender(t *testing.T) {
	t.Parallel()
	b := setup(t)
	p := b.plan(t, "auth")
	if got, want := p.file(t, "README.md"), "# demo\nexample.com/demo demo 8080 go1.26.8 test auth\n"; got != want {
		t.Errorf("README.md = %q, want %q", got, want)
	}
	if got := p.file(t, ".gitignore"); got != "/demo\n" {
		t.Errorf(".gitignore = %q", got)
	}
	// Only .tmpl files are templates: the rest is copied byte for byte.
	if got := p.file(t, "migrations/000001_core.up.sql"); got != "-- core {{.Name}}\n" {
		t.Errorf("sql = %q", got)
	}
	if got := p.file(t, "internal/platform/breaker/breaker.go"); got != "package breaker\n\nconst Name = \"breaker\"\n" {
		t.Errorf("runtime file not gofmt'ed: %q", got)
	}
	if p.Stats.Templates != 2 || p.Stats.GoFiles != 8 || p.Stats.Runtime != 4 {
		t.Errorf("stats = %+v", p.Stats)
	}
}

func TestBadTemplatesAreErrorsNamingTheFile(t *testing.T) {
	t.Parallel()
	tests := []struct{ file, data, want string }{
		{"project/internal/x/x.go", "package x\n\nfunc {\n", "project/internal/x/x.go: generated file does not parse: 3:6"},
		{"project/internal/x/x.go", "package x\n\nimport (\n", "project/internal/x/x.go: generated file does not parse: 3:10"},
		{"project/internal/x/x.go", "package x\n\nfunc f() { x := }\n", "project/internal/x/x.go: generated file does not parse"},
		{"project/internal/x/x.go", "package x\n// starter:feature auth\n", "project/internal/x/x.go: line 2: starter:feature auth has no starter:end"},
		{"project/internal/x/x.go", "package x\n// starter:end\n", "project/internal/x/x.go: line 2: starter:end without"},
		{"project/internal/x/x.go", "package x\n// starter:feature billing\n// starter:end\n", `unknown feature "billing"`},
		{"project/x.txt.tmpl", "{{.Nope}}", "template project/x.txt.tmpl"},
		{"project/x.txt.tmpl", "{{if}}", "template project/x.txt.tmpl"},
	}
	for _, tt := range tests {
		b := setup(t)
		b.src.Templates.(fstest.MapFS)[tt.file] = &fstest.MapFile{Data: []byte(tt.data)}
		err := Generate(context.Background(), b.src, b.opts, filepath.Join(b.dir, "demo"))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s %q: err = %v, want %q", tt.file, tt.data, err, tt.want)
		}
		assertEmptyDir(t, b.dir)
	}
}

func TestInvalidOptionsWriteNothing(t *testing.T) {
	t.Parallel()
	tests := []func(*Options){
		func(o *Options) { o.Name = "My-App" },
		func(o *Options) { o.Module = "not a module" },
		func(o *Options) { o.Features = []string{"tasks"} },
		func(o *Options) { o.Features = []string{"billing"} },
		func(o *Options) { o.Port = 70000 },
		func(o *Options) { o.DBName = "Bad-Name" },
	}
	for i, mutate := range tests {
		b := setup(t)
		mutate(&b.opts)
		err := Generate(context.Background(), b.src, b.opts, filepath.Join(b.dir, "demo"))
		if !IsInputError(err) {
			t.Errorf("case %d: err = %v, want an input error", i, err)
		}
		assertEmptyDir(t, b.dir)
	}
}

func TestRefusesNonEmptyTarget(t *testing.T) {
	t.Parallel()
	b := setup(t)
	dst := filepath.Join(b.dir, "demo")
	writeFile(t, filepath.Join(dst, "keep.txt"), "mine")
	err := Generate(context.Background(), b.src, b.opts, dst)
	want := `invalid directory "` + dst + `": exists and is not empty (use --force to write into it)`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
	if names := readDirNames(t, dst); !slices.Equal(names, []string{"keep.txt"}) {
		t.Fatalf("target changed: %v", names)
	}
	assertNoStaging(t, b.dir)

	b.opts.Force = true
	if err := Generate(context.Background(), b.src, b.opts, dst); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(dst, "keep.txt")); got != "mine" {
		t.Errorf("keep.txt = %q", got)
	}
	if got := readFile(t, filepath.Join(dst, "cmd/demo/main.go")); !strings.Contains(got, "package main") {
		t.Errorf("main.go = %q", got)
	}
	assertNoStaging(t, b.dir)
}

// TestForceRefusesClashes: with --force, a user's file standing where the
// project needs a directory (or a directory where it writes a file) is
// refused before anything moves, so the target is left exactly as it was.
func TestForceRefusesClashes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		mine string // a file of the user's, written as "mine"
		rule string
	}{
		{"file for a top directory", "cmd", "cmd is a file where the project needs a directory"},
		{"file for a nested directory", "cmd/demo", "demo is a file where the project needs a directory"},
		{"directory for a file", "go.mod/notes.txt", "go.mod is a directory where the project writes a file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			b.opts.Force = true
			dst := filepath.Join(b.dir, "demo")
			writeFile(t, filepath.Join(dst, "Makefile"), "mine")
			writeFile(t, filepath.Join(dst, filepath.FromSlash(tt.mine)), "mine")
			before := readTree(t, dst)
			err := Generate(context.Background(), b.src, b.opts, dst)
			if !IsInputError(err) || !strings.Contains(err.Error(), filepath.FromSlash(tt.rule)) {
				t.Fatalf("err = %v, want an input error saying %q", err, tt.rule)
			}
			if after := readTree(t, dst); !maps.Equal(before, after) {
				t.Errorf("target changed:\nbefore %v\nafter  %v", before, after)
			}
			assertNoStaging(t, b.dir)
		})
	}
}

func TestTargetIsFile(t *testing.T) {
	t.Parallel()
	b := setup(t)
	writeFile(t, filepath.Join(b.dir, "file"), "x")
	for _, dst := range []string{filepath.Join(b.dir, "file"), filepath.Join(b.dir, "file", "demo")} {
		if err := Generate(context.Background(), b.src, b.opts, dst); !IsInputError(err) || !strings.Contains(err.Error(), "not a directory") {
			t.Errorf("%s: err = %v", dst, err)
		}
	}
}

func TestEmptyTargetAndMissingParents(t *testing.T) {
	t.Parallel()
	b := setup(t)
	empty := filepath.Join(b.dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	deep := filepath.Join(b.dir, "a", "b", "demo")
	for _, dst := range []string{empty, deep} {
		if err := Generate(context.Background(), b.src, b.opts, dst); err != nil {
			t.Fatalf("%s: %v", dst, err)
		}
		if fi, err := os.Stat(filepath.Join(dst, "go.mod")); err != nil || fi.Mode().Perm() != 0o644 {
			t.Errorf("%s/go.mod: %v %v", dst, fi, err)
		}
		if fi, err := os.Stat(dst); err != nil || fi.Mode().Perm() != 0o755 {
			t.Errorf("%s: %v %v", dst, fi, err)
		}
	}
	assertNoStaging(t, b.dir)
}

func TestWriteCleansUpOnError(t *testing.T) {
	t.Parallel()
	b := setup(t)
	p := b.plan(t)
	// "go.mod" is a file, so "go.mod/x" cannot be written: the write fails midway.
	p.Files = append(p.Files, File{Path: "go.mod/x", Data: []byte("x")})
	if err := p.Write(context.Background(), filepath.Join(b.dir, "demo")); err == nil {
		t.Fatal("Write succeeded")
	}
	assertEmptyDir(t, b.dir)
}

func TestWriteCleansUpOnCancel(t *testing.T) {
	t.Parallel()
	b := setup(t)
	p := b.plan(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.Write(ctx, filepath.Join(b.dir, "demo")); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	assertEmptyDir(t, b.dir)
	if _, err := NewPlan(ctx, b.src, b.opts); !errors.Is(err, context.Canceled) {
		t.Fatalf("NewPlan err = %v, want context.Canceled", err)
	}
}

func TestDeterministic(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.opts.Features = []string{"auth", "tasks"}
	for _, d := range []string{"one", "two"} {
		if err := Generate(context.Background(), b.src, b.opts, filepath.Join(b.dir, d)); err != nil {
			t.Fatal(err)
		}
	}
	one, two := readTree(t, filepath.Join(b.dir, "one")), readTree(t, filepath.Join(b.dir, "two"))
	if len(one) == 0 || len(one) != len(two) {
		t.Fatalf("trees differ in size: %d vs %d", len(one), len(two))
	}
	for name, data := range one {
		if two[name] != data {
			t.Errorf("%s differs between runs", name)
		}
	}
}

func TestReportSteps(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var steps []string
	b.opts.Report = func(step, _ string) { steps = append(steps, step) }
	if err := Generate(context.Background(), b.src, b.opts, filepath.Join(b.dir, "demo")); err != nil {
		t.Fatal(err)
	}
	if want := []string{"render", "format", "go.mod", "write"}; !slices.Equal(steps, want) {
		t.Errorf("steps = %v, want %v", steps, want)
	}
}

func TestWriteTree(t *testing.T) {
	t.Parallel()
	p := &Plan{Files: []File{{Path: ".gitignore"}, {Path: "cmd/demo/main.go"}, {Path: "go.mod"},
		{Path: "internal/a/a.go"}, {Path: "internal/a/b/b.go"}, {Path: "internal/c/c.go"}}}
	var buf bytes.Buffer
	if err := p.WriteTree(&buf, "demo"); err != nil {
		t.Fatal(err)
	}
	want := `demo/
  .gitignore
  cmd/
    demo/
      main.go
  go.mod
  internal/
    a/
      a.go
      b/
        b.go
    c/
      c.go
`
	if buf.String() != want {
		t.Errorf("tree:\n%s\nwant:\n%s", buf.String(), want)
	}
}

func TestMatchGlob(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"internal/auth/**", "internal/auth/auth.go", true},
		{"internal/auth/**", "internal/auth/sub/x.go", true},
		{"internal/auth/**", "internal/authz/x.go", false},
		{"**/x.go", "x.go", true},
		{"**/x.go", "a/b/x.go", true},
		{"migrations/*_users.*.sql", "migrations/000002_users.up.sql", true},
		{"migrations/*_users.*.sql", "migrations/000002_users_roles.up.sql", false},
		{"tests/auth_test.go", "tests/auth_test.go", true},
		{"tests/auth_test.go", "tests/auth_test.go/x", false},
	}
	for _, tt := range tests {
		if got, err := matchGlob(tt.pattern, tt.name); got != tt.want || err != nil {
			t.Errorf("matchGlob(%q, %q) = %v, %v", tt.pattern, tt.name, got, err)
		}
	}
}

func TestSetModule(t *testing.T) {
	t.Parallel()
	got, err := SetModule([]byte("module example.com/app\n\ngo 1.26.8\n"), "github.com/acme/svc")
	if err != nil || string(got) != "module github.com/acme/svc\n\ngo 1.26.8\n" {
		t.Errorf("SetModule = %q, %v", got, err)
	}
}

func writeFile(t *testing.T, name, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func readDirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func assertEmptyDir(t *testing.T, dir string) {
	t.Helper()
	if names := readDirNames(t, dir); len(names) > 0 {
		t.Errorf("%s is not empty: %v", dir, names)
	}
}

func assertNoStaging(t *testing.T, dir string) {
	t.Helper()
	for _, n := range readDirNames(t, dir) {
		if strings.Contains(n, ".tmp-") {
			t.Errorf("staging directory left behind: %s", n)
		}
	}
}

// readTree returns every regular file under dir by slash-separated path.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(name)
		rel, _ := filepath.Rel(dir, name)
		files[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}
