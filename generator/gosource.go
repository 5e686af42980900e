package generator

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"
)

// The import paths the template tree is written against; rewriteImport maps
// them onto the generated module.
const (
	selfModule     = "github.com/starter-go/starter"
	templateModule = selfModule + "/templates/project"
	runtimeModule  = selfModule + "/runtime"
	platformDir    = "internal/platform"
	buildinfoFile  = "internal/buildinfo/buildinfo.go"
)

// goJob is one Go file on its way from the template tree to the project.
type goJob struct {
	name   string            // the source's path (project/… or runtime/…), for errors
	on     func(string) bool // whether a feature is selected
	module string
	consts map[string]string // identity constants to set (Go literals); nil for most files
}

// transformGo turns a template Go file into the project's: feature blocks,
// imports, identity constants, unused imports, then go/format. Like gonew, it
// finds what to change in the syntax tree and edits the source text at those
// positions, so a file costs one parse for the edits and one for format.Source.
//
// It also returns the file's import paths after the rewrite.
func transformGo(job goJob, src []byte) ([]byte, []string, error) {
	stripped, changed, err := stripFeatureBlocks(src, job.on)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", job.name, err)
	}
	mode := parser.SkipObjectResolution
	if !changed && job.consts == nil {
		mode |= parser.ImportsOnly
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", stripped, mode)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: generated file does not parse: %w", job.name, err)
	}
	var dead []*ast.ImportSpec
	if changed {
		if dead, err = unusedImports(f, src); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", job.name, err)
		}
	}
	edits, imports, err := importEdits(fset, f, job.module, dead)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", job.name, err)
	}
	if job.consts != nil {
		ce, err := constEdits(fset, f, job.consts)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", job.name, err)
		}
		edits = append(edits, ce...)
	}
	out, err := format.Source(applyEdits(stripped, edits))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: generated file does not parse: %w", job.name, err)
	}
	return out, imports, nil
}

// edit replaces src[start:end] with text.
type edit struct {
	start, end int
	text       string
}

func applyEdits(src []byte, edits []edit) []byte {
	slices.SortFunc(edits, func(a, b edit) int { return a.start - b.start })
	var buf bytes.Buffer
	buf.Grow(len(src))
	last := 0
	for _, e := range edits {
		buf.Write(src[last:e.start])
		buf.WriteString(e.text)
		last = e.end
	}
	buf.Write(src[last:])
	return buf.Bytes()
}

const (
	featureMarker = "// starter:feature "
	endMarker     = "// starter:end"
)

// stripFeatureBlocks drops the lines from "// starter:feature X" to the
// matching "// starter:end" (inclusive) when X is off, and the marker lines
// themselves when it is on. Blocks may nest. changed reports whether any code
// (not just markers) went away.
func stripFeatureBlocks(src []byte, on func(string) bool) (out []byte, changed bool, err error) {
	type open struct {
		feature string
		line    int
	}
	var stack []open
	dropping := func() bool {
		return slices.ContainsFunc(stack, func(o open) bool { return !on(o.feature) })
	}
	var buf bytes.Buffer
	buf.Grow(len(src))
	for i, line := range bytes.SplitAfter(src, []byte("\n")) {
		t := strings.TrimSpace(string(line))
		switch {
		case strings.HasPrefix(t, featureMarker):
			f := strings.TrimSpace(strings.TrimPrefix(t, featureMarker))
			if !slices.Contains(KnownFeatures, f) {
				return nil, false, fmt.Errorf("line %d: unknown feature %q in starter:feature", i+1, f)
			}
			stack = append(stack, open{f, i + 1})
		case t == endMarker:
			if len(stack) == 0 {
				return nil, false, fmt.Errorf("line %d: starter:end without starter:feature", i+1)
			}
			stack = stack[:len(stack)-1]
		case strings.HasPrefix(t, "// starter:"):
			return nil, false, fmt.Errorf("line %d: unknown marker %q", i+1, t)
		case dropping():
			changed = true
		default:
			buf.Write(line)
		}
	}
	if len(stack) > 0 {
		o := stack[len(stack)-1]
		return nil, false, fmt.Errorf("line %d: starter:feature %s has no starter:end", o.line, o.feature)
	}
	return buf.Bytes(), changed, nil
}

// rewriteImport maps an import path of the template tree or of the runtime
// packages onto the generated module; other paths are left alone.
func rewriteImport(p, module string) (string, error) {
	switch {
	case p == templateModule:
		return module, nil
	case strings.HasPrefix(p, templateModule+"/"):
		return module + strings.TrimPrefix(p, templateModule), nil
	case strings.HasPrefix(p, runtimeModule+"/"):
		return module + "/" + platformDir + strings.TrimPrefix(p, runtimeModule), nil
	case p == selfModule || strings.HasPrefix(p, selfModule+"/"):
		return "", fmt.Errorf("imports %q, which is neither in templates/project nor in runtime", p)
	}
	return p, nil
}

// importEdits rewrites the import paths of the template and runtime
// packages and deletes the lines of the dead imports. It returns the edits
// and the import paths that remain.
func importEdits(fset *token.FileSet, f *ast.File, module string, dead []*ast.ImportSpec) ([]edit, []string, error) {
	var edits []edit
	var imports []string
	for _, spec := range f.Imports {
		if slices.Contains(dead, spec) {
			edits = append(edits, lineEdit(fset, spec))
			continue
		}
		p, err := strconv.Unquote(spec.Path.Value)
		if err != nil {
			return nil, nil, err
		}
		np, err := rewriteImport(p, module)
		if err != nil {
			return nil, nil, err
		}
		if np != p {
			edits = append(edits, nodeEdit(fset, spec.Path, strconv.Quote(np)))
		}
		imports = append(imports, np)
	}
	return edits, imports, nil
}

func nodeEdit(fset *token.FileSet, n ast.Node, text string) edit {
	return edit{fset.Position(n.Pos()).Offset, fset.Position(n.End()).Offset, text}
}

// lineEdit deletes the whole line of an import spec, its comment included;
// a one-line `import "x"` declaration becomes an empty line.
func lineEdit(fset *token.FileSet, spec *ast.ImportSpec) edit {
	file := fset.File(spec.Pos())
	line := file.Line(spec.Pos())
	start := file.Offset(file.LineStart(line))
	end := file.Size()
	if line < file.LineCount() {
		end = file.Offset(file.LineStart(line + 1))
	}
	return edit{start: start, end: end}
}

// constEdits sets the values of the named top-level constants; each must exist.
func constEdits(fset *token.FileSet, f *ast.File, values map[string]string) ([]edit, error) {
	var edits []edit
	seen := map[string]bool{}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, s := range gd.Specs {
			vs := s.(*ast.ValueSpec)
			for i, id := range vs.Names {
				if v, ok := values[id.Name]; ok && i < len(vs.Values) {
					edits = append(edits, nodeEdit(fset, vs.Values[i], v))
					seen[id.Name] = true
				}
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(values)) {
		if !seen[name] {
			return nil, fmt.Errorf("constant %s with a value not found", name)
		}
	}
	return edits, nil
}

// identityConsts are the values setConsts writes into buildinfo.go.
func identityConsts(o Options) map[string]string {
	return map[string]string{
		"Name":          strconv.Quote(o.Name),
		"DefaultDBName": strconv.Quote(o.DBName),
		"DefaultPort":   strconv.Itoa(o.Port),
	}
}

// unusedImports finds the imports that the dropped feature blocks used and
// nothing uses any more. An import counts only when one of its possible
// names was used in the original file and none is used now, so an import
// whose name cannot be guessed from its path is kept rather than broken.
func unusedImports(f *ast.File, original []byte) ([]*ast.ImportSpec, error) {
	orig, err := parser.ParseFile(token.NewFileSet(), "", original, parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("template does not parse: %w", err)
	}
	before, after := selectorNames(orig), selectorNames(f)
	var dead []*ast.ImportSpec
	for _, spec := range f.Imports {
		if spec.Name != nil && (spec.Name.Name == "_" || spec.Name.Name == ".") {
			continue
		}
		names := importNames(spec)
		usedBefore := slices.ContainsFunc(names, func(n string) bool { return before[n] })
		usedNow := slices.ContainsFunc(names, func(n string) bool { return after[n] })
		if usedBefore && !usedNow {
			dead = append(dead, spec)
		}
	}
	return dead, nil
}

// selectorNames collects the X of every X.Sel where X is a bare identifier.
func selectorNames(f *ast.File) map[string]bool {
	names := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		if se, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := se.X.(*ast.Ident); ok {
				names[id.Name] = true
			}
		}
		return true
	})
	return names
}

// importNames returns the name an import is referred to by, or the likely
// names when it has no explicit one (".../v5" → previous element, "go-x",
// "x.v3", "x-go" → x).
func importNames(spec *ast.ImportSpec) []string {
	if spec.Name != nil {
		return []string{spec.Name.Name}
	}
	p, _ := strconv.Unquote(spec.Path.Value)
	base := path.Base(p)
	if isMajorSuffix(base) && strings.Contains(p, "/") {
		base = path.Base(path.Dir(p))
	}
	names := []string{base}
	for _, trim := range []func(string) string{
		func(s string) string { return strings.TrimPrefix(s, "go-") },
		func(s string) string { return strings.TrimSuffix(s, "-go") },
		func(s string) string {
			if i := strings.LastIndex(s, ".v"); i > 0 {
				return s[:i]
			}
			return s
		},
		func(s string) string { return strings.ReplaceAll(s, "-", "") },
	} {
		names = append(names, trim(base))
	}
	return names
}

func isMajorSuffix(s string) bool {
	if len(s) < 2 || s[0] != 'v' {
		return false
	}
	_, err := strconv.Atoi(s[1:])
	return err == nil
}
