package generator

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
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
	name   string            // path in the generated project, for errors
	on     func(string) bool // whether a feature is selected
	module string
	consts map[string]ast.Expr // identity constants to set; nil for most files
}

// transformGo turns a template Go file into the project's: feature blocks,
// imports, identity constants, unused imports, then go/format.
func transformGo(job goJob, src []byte) ([]byte, error) {
	stripped, changed, err := stripFeatureBlocks(src, job.on)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", job.name, err)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, job.name, stripped, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("generated file does not parse: %w", err)
	}
	if err := rewriteImports(f, job.module); err != nil {
		return nil, fmt.Errorf("%s: %w", job.name, err)
	}
	if job.consts != nil {
		if err := setConsts(f, job.consts); err != nil {
			return nil, fmt.Errorf("%s: %w", job.name, err)
		}
	}
	if changed {
		if err := pruneImports(f, src); err != nil {
			return nil, fmt.Errorf("%s: %w", job.name, err)
		}
	}
	return formatFile(fset, f, job.name)
}

func formatFile(fset *token.FileSet, f *ast.File, name string) ([]byte, error) {
	var buf bytes.Buffer
	if err := format.Node(&buf, fset, f); err != nil {
		return nil, fmt.Errorf("format %s: %w", name, err)
	}
	out, err := format.Source(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("format %s: %w", name, err)
	}
	return out, nil
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

func rewriteImports(f *ast.File, module string) error {
	for _, spec := range f.Imports {
		p, err := strconv.Unquote(spec.Path.Value)
		if err != nil {
			return err
		}
		np, err := rewriteImport(p, module)
		if err != nil {
			return err
		}
		spec.Path.Value = strconv.Quote(np)
	}
	return nil
}

// setConsts replaces the values of the named top-level constants; each must exist.
func setConsts(f *ast.File, values map[string]ast.Expr) error {
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
					vs.Values[i] = v
					seen[id.Name] = true
				}
			}
		}
	}
	for name := range values {
		if !seen[name] {
			return fmt.Errorf("constant %s with a value not found", name)
		}
	}
	return nil
}

// identityConsts are the values setConsts writes into buildinfo.go.
func identityConsts(o Options) map[string]ast.Expr {
	return map[string]ast.Expr{
		"Name":          &ast.BasicLit{Kind: token.STRING, Value: strconv.Quote(o.Name)},
		"DefaultDBName": &ast.BasicLit{Kind: token.STRING, Value: strconv.Quote(o.DBName)},
		"DefaultPort":   &ast.BasicLit{Kind: token.INT, Value: strconv.Itoa(o.Port)},
	}
}

// pruneImports removes the imports that the dropped feature blocks used and
// nothing uses any more. An import is removed only when one of its possible
// names was used in the original file and none is used now, so an import
// whose name cannot be guessed from its path is kept rather than broken.
func pruneImports(f *ast.File, original []byte) error {
	orig, err := parser.ParseFile(token.NewFileSet(), "", original, parser.SkipObjectResolution)
	if err != nil {
		return fmt.Errorf("template does not parse: %w", err)
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
	deleteImports(f, dead)
	return nil
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

// deleteImports removes specs from the file's import declarations, and
// declarations left empty, with the comments inside them.
func deleteImports(f *ast.File, dead []*ast.ImportSpec) {
	if len(dead) == 0 {
		return
	}
	isDead := func(s ast.Spec) bool { return slices.Contains(dead, s.(*ast.ImportSpec)) }
	var keep []ast.Decl
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if ok && gd.Tok == token.IMPORT {
			gd.Specs = slices.DeleteFunc(gd.Specs, isDead)
			if len(gd.Specs) == 0 {
				dropComments(f, gd.Pos(), gd.End())
				continue
			}
		}
		keep = append(keep, d)
	}
	f.Decls = keep
	for _, s := range dead {
		from, to := s.Pos(), s.End()
		if s.Doc != nil {
			from = s.Doc.Pos()
		}
		if s.Comment != nil {
			to = s.Comment.End()
		}
		dropComments(f, from, to)
	}
	f.Imports = slices.DeleteFunc(f.Imports, func(s *ast.ImportSpec) bool { return slices.Contains(dead, s) })
}

func dropComments(f *ast.File, from, to token.Pos) {
	f.Comments = slices.DeleteFunc(f.Comments, func(c *ast.CommentGroup) bool {
		return c.Pos() >= from && c.End() <= to
	})
}
