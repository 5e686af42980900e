package generator

import (
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// RegisterTaskType adds fn (registerResizeImage) at the end of the list that
// ownTypes() returns in internal/tasks/own_types.go (src), through the
// syntax tree. It returns nil when the file names fn already (in the list,
// or wherever its owner put it by hand), and an *EditPointError when the
// file or the list is gone.
func RegisterTaskType(src []byte, fn string) ([]byte, error) {
	gone := &EditPointError{ownTypesFile, "func " + ownTypesFunc + "() returning the list of the service's own task types",
		fn + ","}
	if src == nil {
		gone.Want = "the file, which lists the service's own task types in func " + ownTypesFunc +
			"() (a project made before it: starter upgrade brings it)"
		return nil, gone
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, ownTypesFile, src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ownTypesFile, err)
	}
	if mentions(f, fn) {
		return nil, nil
	}
	list := returnedList(f, ownTypesFunc)
	if list == nil {
		return nil, gone
	}
	return format.Source(appendElement(fset, src, list, fn))
}

// appendElement inserts elem at the end of list: on a line of its own
// when the list spans lines (where the last element has its comma), else
// after a comma on the list's one line.
func appendElement(fset *token.FileSet, src []byte, list *ast.CompositeLit, elem string) []byte {
	at := fset.Position(list.Rbrace).Offset
	text := elem + ",\n"
	if fset.Position(list.Lbrace).Line == fset.Position(list.Rbrace).Line {
		text = elem
		if len(list.Elts) > 0 {
			at = fset.Position(list.Elts[len(list.Elts)-1].End()).Offset
			text = ", " + elem
		}
	}
	return append(append(slices.Clip(src[:at]), text...), src[at:]...)
}

// mentions reports whether the file uses the identifier name anywhere.
func mentions(f *ast.File, name string) bool {
	found := false
	ast.Inspect(f, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && id.Name == name {
			found = true
		}
		return !found
	})
	return found
}

// returnedList is the composite literal that the function name (no
// receiver, a single return statement) returns, or nil.
func returnedList(f *ast.File, name string) *ast.CompositeLit {
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Recv != nil || fn.Name.Name != name || fn.Body == nil || len(fn.Body.List) != 1 {
			continue
		}
		if ret, ok := fn.Body.List[0].(*ast.ReturnStmt); ok && len(ret.Results) == 1 {
			list, _ := ret.Results[0].(*ast.CompositeLit)
			return list
		}
	}
	return nil
}

// projectTaskTypes finds the task types package tasks of the project
// defines, each with the file defining it: the string constants named
// Type… (TypeEmail = "email") and the names given to Register as literals.
func projectTaskTypes(dir string) (map[string]string, error) {
	names, err := filepath.Glob(filepath.Join(dir, filepath.FromSlash(tasksDir), "*.go"))
	if err != nil {
		return nil, err
	}
	types := map[string]string{}
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, src, parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("%s%s: %w", tasksDir, filepath.Base(name), err)
		}
		for _, t := range taskTypesOf(f) {
			types[t] = tasksDir + filepath.Base(name)
		}
	}
	return types, nil
}

// taskTypesOf are the task type names a file of package tasks defines.
func taskTypesOf(f *ast.File) []string {
	var out []string
	literal := func(e ast.Expr) {
		if lit, ok := e.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			if s, err := strconv.Unquote(lit.Value); err == nil {
				out = append(out, s)
			}
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.ValueSpec:
			for i, id := range n.Names {
				if strings.HasPrefix(id.Name, "Type") && i < len(n.Values) {
					literal(n.Values[i])
				}
			}
		case *ast.CallExpr:
			if sel, ok := n.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Register" && len(n.Args) > 0 {
				literal(n.Args[0])
			}
		}
		return true
	})
	return out
}

// checkTaskClashes refuses a task type whose file would redeclare a
// top-level name of the package it joins (its own file aside).
func checkTaskClashes(dir, taskType string, f ResourceFile) error {
	pkg, mine, err := goDecls(f.Data)
	if err != nil {
		return err
	}
	others, err := filepath.Glob(filepath.Join(dir, filepath.FromSlash(path.Dir(f.Path)), "*.go"))
	if err != nil {
		return err
	}
	for _, name := range others {
		rel := path.Dir(f.Path) + "/" + filepath.Base(name)
		data, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		theirPkg, theirs, err := goDecls(data)
		if err != nil || theirPkg != pkg {
			continue // not Go we can read, or an external test package
		}
		if i := slices.IndexFunc(mine, func(n string) bool { return slices.Contains(theirs, n) }); i >= 0 {
			return &InputError{"task type", taskType, fmt.Sprintf("its code would redeclare %s, which %s declares "+
				"(choose another name)", mine[i], rel)}
		}
	}
	return nil
}
