package generator

import (
	"bytes"
	"context"
	"fmt"
	"go/build/constraint"
	"io/fs"
	"path"
	"slices"
	"strings"
	"text/template"

	"golang.org/x/mod/modfile"
)

// Sources are the trees a project is made from.
type Sources struct {
	// Templates holds project/, gomod/<variant>/ and manifest.yaml (templates.FS).
	Templates fs.FS
	// Runtime holds one directory per runtime package (runtime.FS); they are
	// copied to internal/platform/<pkg>/. Files at its root are not copied.
	Runtime fs.FS
}

// File is one file of the generated project.
type File struct {
	Path string // slash-separated, relative to the project root
	Data []byte
}

// Plan is a fully rendered project held in memory: writing it is the only
// step left. Building one validates everything and writes nothing.
type Plan struct {
	Options   Options // normalized
	Variant   string  // the templates/gomod/<variant> used
	GoVersion string  // the go directive of go.mod
	Files     []File  // sorted by Path
	Stats     Stats
}

// Stats counts what rendering did, for progress output.
type Stats struct {
	Templates int // .tmpl files rendered with text/template
	GoFiles   int // Go files rewritten and formatted
	Runtime   int // files copied from the runtime packages
}

// templateData is what .tmpl files see.
type templateData struct {
	Name, Module, DBName string
	// KubeName is Name as a Kubernetes object name (DNS-1123: "_" becomes "-").
	KubeName       string
	Port           int
	GoVersion      string
	StarterVersion string
	Features       struct{ Auth, Tasks bool }
	FeatureList    []string          // selected features, canonical order
	Migrations     []migrationRename // Options.Migrations, sorted
	Resources      []ProjectResource // Options.Resources
}

// NewPlan validates opts and renders the whole project in memory.
func NewPlan(ctx context.Context, src Sources, opts Options) (*Plan, error) {
	opts, err := opts.Normalize()
	if err != nil {
		return nil, err
	}
	m, err := LoadManifest(src.Templates)
	if err != nil {
		return nil, err
	}
	p := &Plan{Options: opts}
	if p.Variant, err = m.Variant(opts.Features); err != nil {
		return nil, err
	}
	gomod, err := p.goMod(src.Templates)
	if err != nil {
		return nil, err
	}
	r := &renderer{plan: p, manifest: m, data: p.templateData()}
	if err := r.project(ctx, src.Templates); err != nil {
		return nil, err
	}
	if err := r.runtime(ctx, src.Runtime); err != nil {
		return nil, err
	}
	if err := r.checkLocalImports(); err != nil {
		return nil, err
	}
	report(opts, "render", fmt.Sprintf("%d files, %d templates", len(p.Files), p.Stats.Templates))
	report(opts, "format", fmt.Sprintf("%d Go files", p.Stats.GoFiles))
	p.Files = append(p.Files, gomod...)
	slices.SortFunc(p.Files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	for i := 1; i < len(p.Files); i++ {
		if p.Files[i].Path == p.Files[i-1].Path {
			return nil, fmt.Errorf("two template files produce %s", p.Files[i].Path)
		}
	}
	report(opts, "go.mod", fmt.Sprintf("%s variant, go %s", p.Variant, p.GoVersion))
	return p, nil
}

func report(o Options, step, detail string) {
	if o.Report != nil {
		o.Report(step, detail)
	}
}

func (p *Plan) templateData() templateData {
	d := templateData{
		Name: p.Options.Name, Module: p.Options.Module, DBName: p.Options.DBName, Port: p.Options.Port,
		KubeName:  strings.ReplaceAll(p.Options.Name, "_", "-"),
		GoVersion: p.GoVersion, StarterVersion: p.Options.StarterVersion,
		FeatureList: slices.Clone(p.Options.Features),
		Migrations:  sortedRenames(p.Options.Migrations),
		Resources:   p.Options.Resources,
	}
	d.Features.Auth = p.Options.Has("auth")
	d.Features.Tasks = p.Options.Has("tasks")
	return d
}

// goMod reads the pinned go.mod and go.sum of the variant and sets the module line.
func (p *Plan) goMod(fsys fs.FS) ([]File, error) {
	dir := path.Join("gomod", p.Variant)
	modData, err := fs.ReadFile(fsys, dir+"/go.mod.tmpl")
	if err != nil {
		return nil, fmt.Errorf("go.mod: %w", err)
	}
	sum, err := fs.ReadFile(fsys, dir+"/go.sum.tmpl")
	if err != nil {
		return nil, fmt.Errorf("go.sum: %w", err)
	}
	mod, err := SetModule(modData, p.Options.Module)
	if err != nil {
		return nil, fmt.Errorf("%s/go.mod.tmpl: %w", dir, err)
	}
	f, err := modfile.ParseLax("go.mod", mod, nil)
	if err != nil || f.Go == nil {
		return nil, fmt.Errorf("%s/go.mod.tmpl: no go directive", dir)
	}
	p.GoVersion = f.Go.Version
	return []File{{Path: "go.mod", Data: mod}, {Path: "go.sum", Data: sum}}, nil
}

// SetModule returns go.mod data with its module line set to module.
func SetModule(gomod []byte, module string) ([]byte, error) {
	f, err := modfile.Parse("go.mod", gomod, nil)
	if err != nil {
		return nil, err
	}
	if err := f.AddModuleStmt(module); err != nil {
		return nil, err
	}
	f.Cleanup()
	return modfile.Format(f.Syntax), nil
}

// renderer walks the source trees and appends to plan.Files.
type renderer struct {
	plan     *Plan
	manifest *Manifest
	data     templateData
	imports  []fileImports // of every Go file, for checkLocalImports
}

type fileImports struct {
	source  string
	imports []string
}

// checkLocalImports finds imports of the project's own packages that are not
// generated, which happen when a file of a disabled feature is imported from a
// file the manifest keeps. Reported here, the mistake names the template file
// instead of surfacing later as a build error in the user's project.
func (r *renderer) checkLocalImports() error {
	dirs := map[string]bool{}
	for _, f := range r.plan.Files {
		if strings.HasSuffix(f.Path, ".go") {
			dirs[path.Dir(f.Path)] = true
		}
	}
	module := r.plan.Options.Module
	for _, fi := range r.imports {
		for _, imp := range fi.imports {
			rel, ok := strings.CutPrefix(imp, module+"/")
			if ok && !dirs[rel] {
				return fmt.Errorf("%s imports %s, which is not generated with features [%s]: "+
					"list the file under that feature in manifest.yaml, or put the import in a starter:feature block",
					fi.source, rel, strings.Join(r.plan.Options.Features, ","))
			}
		}
	}
	return nil
}

func (r *renderer) project(ctx context.Context, fsys fs.FS) error {
	root, err := fs.Sub(fsys, "project")
	if err != nil {
		return err
	}
	return walkFiles(ctx, root, func(name string, data []byte) error {
		if f := r.manifest.Owner(name); f != "" && !r.plan.Options.Has(f) {
			return nil
		}
		if benchOnly(name, data) {
			return nil
		}
		to := renamedMigration(projectPath(name, r.plan.Options.Name), r.plan.Options.Migrations)
		return r.file("project/"+name, to, data)
	})
}

// projectPath maps a template path to the project: cmd/app/ → cmd/<name>/.
func projectPath(name, project string) string {
	if rest, ok := strings.CutPrefix(name, "cmd/app/"); ok {
		return "cmd/" + project + "/" + rest
	}
	return name
}

// file renders .tmpl files, rewrites Go files and copies the rest. source
// names the template file in errors; name is its path in the project.
func (r *renderer) file(source, name string, data []byte) error {
	var err error
	if base, ok := strings.CutSuffix(name, ".tmpl"); ok {
		if data, err = r.execute(source, data); err != nil {
			return err
		}
		name = base
		r.plan.Stats.Templates++
	}
	if strings.HasSuffix(name, ".go") {
		job := goJob{name: source, on: r.plan.Options.Has, module: r.plan.Options.Module}
		if name == buildinfoFile {
			job.consts = identityConsts(r.plan.Options)
		}
		var imports []string
		if data, imports, err = transformGo(job, data); err != nil {
			return err
		}
		r.imports = append(r.imports, fileImports{source, imports})
		r.plan.Stats.GoFiles++
	}
	r.plan.Files = append(r.plan.Files, File{Path: name, Data: data})
	return nil
}

func (r *renderer) execute(name string, data []byte) ([]byte, error) {
	t, err := template.New(name).Option("missingkey=error").Parse(string(data))
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", name, err)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, r.data); err != nil {
		return nil, fmt.Errorf("template %s: %w", name, err)
	}
	return buf.Bytes(), nil
}

// runtime copies every runtime package to internal/platform/<pkg>/, except
// files built only with the "bench" tag.
func (r *renderer) runtime(ctx context.Context, fsys fs.FS) error {
	if fsys == nil {
		return fmt.Errorf("runtime: no source tree")
	}
	return walkFiles(ctx, fsys, func(name string, data []byte) error {
		if !strings.Contains(name, "/") || benchOnly(name, data) {
			return nil
		}
		r.plan.Stats.Runtime++
		return r.file("runtime/"+name, platformDir+"/"+name, data)
	})
}

// walkFiles calls fn for every regular file of fsys in lexical order.
func walkFiles(ctx context.Context, fsys fs.FS, fn func(name string, data []byte) error) error {
	return fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		return fn(name, data)
	})
}

// benchOnly reports whether a file is one of starter's own benchmarks: Go
// built only with the "bench" tag, which generated projects never get.
func benchOnly(name string, data []byte) bool {
	return strings.HasSuffix(name, ".go") && hasBuildTag(data, "bench")
}

// hasBuildTag reports whether a Go file's //go:build line mentions tag.
func hasBuildTag(src []byte, tag string) bool {
	for line := range strings.Lines(string(src)) {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "package ") {
			return false
		}
		if !constraint.IsGoBuild(line) {
			continue
		}
		expr, err := constraint.Parse(line)
		if err != nil {
			return false
		}
		found := false
		expr.Eval(func(t string) bool { found = found || t == tag; return true })
		return found
	}
	return false
}
