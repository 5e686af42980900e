package generator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/format"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"text/template"
)

// ResourcePlan is a resource rendered in memory together with the edits of
// the project's files that register it: writing is the only step left.
// Building one validates everything and writes nothing.
type ResourcePlan struct {
	// Resource is what .starter.yaml records of it.
	Resource ProjectResource
	// Files are the files written, sorted by path.
	Files []ResourceFile
	dir   string
}

// ResourceFile is one file a ResourcePlan writes.
type ResourceFile struct {
	File
	// Action: "create" (a new file), "replace" (a file of the resource, with
	// --force) or "edit" (a registration point: features.go, .starter.yaml).
	Action string
}

// resourceTemplate is a file of templates/resource and where it goes.
type resourceTemplate struct {
	source string
	target func(r *resourceData) string
}

// resourceTemplates are the files of a resource, by template.
var resourceTemplates = []resourceTemplate{ //nolint:gochecknoglobals // a table that is never written
	{"migration.up.sql.tmpl", func(r *resourceData) string { return migrationsDir + r.Migration + ".up.sql" }},
	{"migration.down.sql.tmpl", func(r *resourceData) string { return migrationsDir + r.Migration + ".down.sql" }},
	{"package/resource.go.tmpl", func(r *resourceData) string { return "internal/" + r.Package() + "/" + r.Name + ".go" }},
	{"package/store.go.tmpl", func(r *resourceData) string { return "internal/" + r.Package() + "/store.go" }},
	{"package/handlers.go.tmpl", func(r *resourceData) string { return "internal/" + r.Package() + "/handlers.go" }},
	{"package/routes.go.tmpl", func(r *resourceData) string { return "internal/" + r.Package() + "/routes.go" }},
	{"openapi.yaml.tmpl", func(r *resourceData) string { return openapiDir + r.Plural + ".yaml" }},
	{"feature.go.tmpl", func(r *resourceData) string { return "internal/app/feature_" + r.Plural + ".go" }},
	{"factory.go.tmpl", func(r *resourceData) string { return "internal/apptest/factories_" + r.Plural + ".go" }},
	{"test.go.tmpl", func(r *resourceData) string { return "tests/" + r.Plural + "_test.go" }},
}

const (
	openapiDir   = "internal/httpapi/openapi/"
	featuresFile = "internal/app/features.go"
)

// PlanResource validates a request for a resource in the project rooted at
// dir and renders it, with the edits that register it. Bad input is an
// *InputError naming the value and the rule.
func PlanResource(ctx context.Context, src Sources, dir string, req ResourceRequest) (*ResourcePlan, error) {
	cfg, err := ReadProjectConfig(dir)
	if err != nil {
		return nil, err
	}
	r, err := newResourceData(cfg, req)
	if err != nil {
		return nil, err
	}
	p := &ResourcePlan{Resource: ProjectResource{Name: r.Name, Plural: r.Plural, Access: r.Access}, dir: dir}
	targets := resourcePaths(r)
	if err := checkNew(dir, r, cfg, targets, req.Force); err != nil {
		return nil, err
	}
	if r.Migration, err = resourceMigration(dir, r.Plural); err != nil {
		return nil, err
	}
	if err := checkTable(dir, r); err != nil {
		return nil, err
	}
	if err := p.render(ctx, src.Templates, r); err != nil {
		return nil, err
	}
	if err := checkClashes(dir, r.Name, p.Files); err != nil {
		return nil, err
	}
	return p, p.register(dir, cfg, r)
}

// newResourceData validates the request against the project's options.
func newResourceData(cfg ProjectConfig, req ResourceRequest) (*resourceData, error) {
	r := &resourceData{Module: cfg.Module, Name: req.Name, Plural: req.Plural}
	if err := checkIdentifier("name", r.Name); err != nil {
		return nil, err
	}
	if r.Plural == "" {
		r.Plural = Plural(r.Name)
	}
	if err := checkIdentifier("plural", r.Plural); err != nil {
		return nil, err
	}
	if slices.Contains(generatedImports, r.Package()) {
		return nil, &InputError{"plural", r.Plural, fmt.Sprintf("its package %s would shadow the Go package %s "+
			"the generated code imports (choose another with --plural)", r.Package(), r.Package())}
	}
	var err error
	if r.Access, err = resourceAccess(cfg, req); err != nil {
		return nil, err
	}
	if r.Fields, err = parseFields(req.Fields, cfg.Resources, r.Name); err != nil {
		return nil, err
	}
	for _, id := range r.identifiers() {
		if len(id) > maxIdentifier {
			return nil, &InputError{"name", id, fmt.Sprintf("is longer than PostgreSQL's %d characters: shorten the plural or the field", maxIdentifier)}
		}
	}
	return r, nil
}

// resourceAccess is the access the request asks for, or the default: owned
// with auth, open without.
func resourceAccess(cfg ProjectConfig, req ResourceRequest) (string, error) {
	auth := slices.Contains(cfg.Features, "auth")
	switch {
	case req.Owned && req.Public:
		return "", &InputError{"flags", "--owned --public", "contradict each other"}
	case (req.Owned || req.Public) && !auth:
		flag := map[bool]string{true: "--owned", false: "--public"}[req.Owned]
		return "", &InputError{"flag", flag, "needs the auth feature, which this project lacks (starter add auth): " +
			"without it, resources are public and writable"}
	case req.Public:
		return AccessPublic, nil
	case auth:
		return AccessOwned, nil
	}
	return AccessOpen, nil
}

// parseFields parses every field and refuses duplicates and reserved names.
func parseFields(specs []string, resources []ProjectResource, self string) ([]*resourceField, error) {
	if len(specs) == 0 {
		return nil, &InputError{"fields", "", "a resource needs at least one field (NAME:TYPE[:MODIFIER…])"}
	}
	others := slices.DeleteFunc(slices.Clone(resources), func(r ProjectResource) bool { return r.Name == self })
	var fields []*resourceField
	for _, spec := range specs {
		f, err := parseField(spec, others)
		if err != nil {
			return nil, err
		}
		if err := checkFieldName(f.Name); err != nil {
			return nil, err
		}
		for _, g := range fields {
			switch {
			case g.Name == f.Name:
				return nil, &InputError{"field", f.Name, "given twice"}
			case g.GoName() == f.GoName():
				return nil, &InputError{"field", f.Name, fmt.Sprintf("its Go name %s is the one of field %s", f.GoName(), g.Name)}
			}
		}
		fields = append(fields, f)
	}
	return fields, nil
}

// resourcePaths are the files of a resource, by template.
func resourcePaths(r *resourceData) []string {
	var out []string
	for _, t := range resourceTemplates[2:] { // the migration's name is chosen later
		out = append(out, t.target(r))
	}
	return out
}

// checkNew refuses a resource the project has (recorded, or any of its
// files or its package), unless force rewrites its files.
func checkNew(dir string, r *resourceData, cfg ProjectConfig, targets []string, force bool) error {
	if force {
		return nil
	}
	exists := func(p string) bool {
		_, err := os.Stat(filepath.Join(dir, filepath.FromSlash(p)))
		return err == nil
	}
	where := ""
	for _, res := range cfg.Resources {
		if res.Name == r.Name || res.Plural == r.Plural {
			where = ProjectFile
		}
	}
	if where == "" && exists("internal/"+r.Package()) {
		where = "internal/" + r.Package()
	}
	for _, t := range targets {
		if where == "" && exists(t) {
			where = t
		}
	}
	if where != "" {
		return &InputError{"resource", r.Name, fmt.Sprintf("exists already (%s); --force rewrites its files", where)}
	}
	return nil
}

// resourceMigration is the migration of a resource: the one it has (with
// --force), else the next number after the project's latest migration.
func resourceMigration(dir, plural string) (string, error) {
	entries, err := os.ReadDir(filepath.Join(dir, "migrations"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	latest, digits := uint64(0), 6
	for _, e := range entries {
		m, ok := parseMigration(migrationsDir + e.Name())
		if !ok {
			continue
		}
		if m.title == "create_"+plural {
			return m.base, nil
		}
		if m.version > latest {
			latest, digits = m.version, m.digits
		}
	}
	return fmt.Sprintf("%0*d_create_%s", digits, latest+1, plural), nil
}

// createTableRE finds the tables a migration creates.
var createTableRE = regexp.MustCompile(`(?i)\bCREATE\s+(?:UNLOGGED\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?"?([a-z_][a-z0-9_]*)`)

// checkTable refuses a resource whose table another migration of the
// project creates (users, sessions, tasks…), or golang-migrate's own.
func checkTable(dir string, r *resourceData) error {
	if r.Plural == "schema_migrations" {
		return &InputError{"plural", r.Plural, "is the table golang-migrate keeps its version in"}
	}
	names, err := filepath.Glob(filepath.Join(dir, "migrations", "*.up.sql"))
	if err != nil {
		return err
	}
	for _, name := range names {
		if strings.HasPrefix(filepath.Base(name), r.Migration+".") {
			continue
		}
		sql, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		for _, m := range createTableRE.FindAllSubmatch(sql, -1) {
			if string(m[1]) == r.Plural {
				return &InputError{"resource", r.Name, fmt.Sprintf("its table %s exists already (migrations/%s); "+
					"choose another name or --plural", r.Plural, filepath.Base(name))}
			}
		}
	}
	return nil
}

// render executes the templates of the resource; Go files are formatted,
// their unused imports dropped.
func (p *ResourcePlan) render(ctx context.Context, fsys fs.FS, r *resourceData) error {
	for _, t := range resourceTemplates {
		if err := ctx.Err(); err != nil {
			return err
		}
		source := "resource/" + t.source
		text, err := fs.ReadFile(fsys, source)
		if err != nil {
			return err
		}
		tmpl, err := template.New(t.source).Funcs(resourceFuncs).Option("missingkey=error").Parse(string(text))
		if err != nil {
			return fmt.Errorf("template %s: %w", source, err)
		}
		var buf bytes.Buffer
		if err := tmpl.Execute(&buf, r); err != nil {
			return fmt.Errorf("template %s: %w", source, err)
		}
		data := buf.Bytes()
		name := t.target(r)
		if strings.HasSuffix(name, ".go") {
			if data, err = formatGo(data); err != nil {
				return fmt.Errorf("template %s: generated %s does not parse: %w", source, name, err)
			}
		}
		p.Files = append(p.Files, ResourceFile{File{name, data}, "create"})
	}
	p.sort()
	return nil
}

func (p *ResourcePlan) sort() {
	slices.SortFunc(p.Files, func(a, b ResourceFile) int { return strings.Compare(a.Path, b.Path) })
}

// resourceFuncs are the template functions of templates/resource.
var resourceFuncs = template.FuncMap{ //nolint:gochecknoglobals // a table that is never written
	"inc":   func(i int) int { return i + 1 },
	"words": func(s string) string { return strings.ReplaceAll(s, "_", " ") },
	"join":  strings.Join,
	"pad":   func(s string, w int) string { return fmt.Sprintf("%-*s", w, s) },
	"wrap":  wrapList,
	"orderSQL": func(key string) string {
		if col, ok := strings.CutPrefix(key, "-"); ok {
			return col + " DESC, id DESC"
		}
		return key + ", id"
	},
}

// wrapList joins items with ", ", starting a new line (after indent) before
// a line would pass 100 columns (tabs count 4): long column and argument
// lists. start is the column the list starts at.
func wrapList(indent string, start int, items []string) string {
	var b strings.Builder
	line := start
	for i, it := range items {
		if i > 0 {
			if line+len(it)+2 > 100 {
				b.WriteString(",\n" + indent)
				line = len(indent) * 4
			} else {
				b.WriteString(", ")
				line += 2
			}
		}
		b.WriteString(it)
		line += len(it)
	}
	return b.String()
}

// formatGo drops the imports a rendered file does not use (the templates
// import for every shape of resource) and formats it.
func formatGo(src []byte) ([]byte, error) {
	out, err := dropUnusedImports(src)
	if err != nil {
		return nil, err
	}
	return format.Source(out)
}

// register adds the edits of the project's registration points: the line
// of features() and the entry of .starter.yaml. Files that exist become
// replacements.
func (p *ResourcePlan) register(dir string, cfg ProjectConfig, r *resourceData) error {
	for i, f := range p.Files {
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(f.Path))); err == nil {
			p.Files[i].Action = "replace"
		}
	}
	features, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(featuresFile)))
	if err != nil {
		return err
	}
	edited, err := RegisterFeature(features, r.Feature()+"{}")
	if err != nil {
		return err
	}
	if edited != nil {
		p.Files = append(p.Files, ResourceFile{File{featuresFile, edited}, "edit"})
	}
	starter, err := os.ReadFile(filepath.Join(dir, ProjectFile))
	if err != nil {
		return err
	}
	if starter, err = recordResource(starter, p.Resource); err != nil {
		return fmt.Errorf("%s: %w", ProjectFile, err)
	}
	p.Files = append(p.Files, ResourceFile{File{ProjectFile, starter}, "edit"})
	p.sort()
	return nil
}

// Write writes the plan into the project through a staging directory next
// to it, then renames the files into place (Plan.Write), so a failure
// before the renames leaves the project as it was.
func (p *ResourcePlan) Write(ctx context.Context) error {
	plan := &Plan{Options: Options{Force: true}}
	for _, f := range p.Files {
		plan.Files = append(plan.Files, f.File)
	}
	return plan.Write(ctx, p.dir)
}

// WriteSummary prints what the plan writes, one file a line.
func (p *ResourcePlan) WriteSummary(w io.Writer) error {
	for _, f := range p.Files {
		if _, err := fmt.Fprintf(w, "%-8s %s\n", f.Action, f.Path); err != nil {
			return err
		}
	}
	return nil
}
