package generator

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// EditPointError says that a file the generator registers a resource in no
// longer has the place for it; nothing was written. Its message gives the
// line to add by hand.
type EditPointError struct {
	File, Want, Line string
}

func (e *EditPointError) Error() string {
	return fmt.Sprintf("%s: cannot find %s, so nothing was written.\n"+
		"Register it by hand with this line, then run the command again (it leaves the file alone then):\n\t%s",
		e.File, e.Want, e.Line)
}

// RegisterFeature adds elem (productsFeature{}) at the end of the list that
// features() returns in internal/app/features.go, after the comment that
// opens the resources' part, through the syntax tree. It returns nil when
// the file has elem already (in the list, or wherever its owner put it by
// hand), and an *EditPointError when there is no such list.
func RegisterFeature(src []byte, elem string) ([]byte, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, featuresFile, src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", featuresFile, err)
	}
	typeName := strings.TrimSuffix(elem, "{}")
	if registered(f, typeName) {
		return nil, nil
	}
	list := featureList(f)
	if list == nil {
		return nil, &EditPointError{featuresFile, "func features() returning a list of features", elem + ","}
	}
	at := fset.Position(list.Rbrace).Offset
	out := append(append(slices.Clip(src[:at]), elem+",\n"...), src[at:]...)
	return format.Source(out)
}

// registered reports whether the file has the literal typeName{} anywhere:
// the line is in the list, or where its owner put it by hand.
func registered(f *ast.File, typeName string) bool {
	found := false
	ast.Inspect(f, func(n ast.Node) bool {
		if cl, ok := n.(*ast.CompositeLit); ok {
			if id, ok := cl.Type.(*ast.Ident); ok && id.Name == typeName {
				found = true
			}
		}
		return !found
	})
	return found
}

// featureList is the composite literal features() returns, or nil.
func featureList(f *ast.File) *ast.CompositeLit {
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Recv != nil || fn.Name.Name != "features" || fn.Body == nil || len(fn.Body.List) != 1 {
			continue
		}
		if ret, ok := fn.Body.List[0].(*ast.ReturnStmt); ok && len(ret.Results) == 1 {
			list, _ := ret.Results[0].(*ast.CompositeLit)
			return list
		}
	}
	return nil
}

// recordResource adds res to the resources of .starter.yaml (or replaces
// the entry of the same name), editing the YAML tree so that the rest of
// the file stays as it is.
func recordResource(data []byte, res ProjectResource) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("the top level is not a mapping")
	}
	root := doc.Content[0]
	list := mappingValue(root, "resources")
	if list == nil {
		key := &yaml.Node{Kind: yaml.ScalarNode, Value: "resources",
			HeadComment: "# Resources added by `starter generate resource` (a ref:NAME field finds its\n# target here)."}
		list = &yaml.Node{Kind: yaml.SequenceNode}
		root.Content = append(root.Content, key, list)
	}
	list.Style = 0 // resources: [] becomes a list of lines
	entry := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
	for _, kv := range [][2]string{{"name", res.Name}, {"plural", res.Plural}, {"access", res.Access}} {
		entry.Content = append(entry.Content,
			&yaml.Node{Kind: yaml.ScalarNode, Value: kv[0]}, &yaml.Node{Kind: yaml.ScalarNode, Value: kv[1]})
	}
	i := slices.IndexFunc(list.Content, func(n *yaml.Node) bool {
		name := mappingValue(n, "name")
		return name != nil && name.Value == res.Name
	})
	if i >= 0 {
		list.Content[i] = entry
	} else {
		list.Content = append(list.Content, entry)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), enc.Close()
}

// mappingValue is the value of key in a mapping node, or nil.
func mappingValue(m *yaml.Node, key string) *yaml.Node {
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// dropUnusedImports deletes the import lines whose package the file does
// not use.
func dropUnusedImports(src []byte) ([]byte, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	used := selectorNames(f)
	var edits []edit
	for _, spec := range f.Imports {
		if spec.Name != nil && (spec.Name.Name == "_" || spec.Name.Name == ".") {
			continue
		}
		if !slices.ContainsFunc(importNames(spec), func(n string) bool { return used[n] }) {
			edits = append(edits, lineEdit(fset, spec))
		}
	}
	return applyEdits(src, edits), nil
}

// checkClashes refuses a resource whose files would redefine what the
// project has: an OpenAPI tag, path, operation or component of another
// part, or a top-level Go name (a method of TestApp included) of the
// package a generated file joins.
func checkClashes(dir, name string, files []ResourceFile) error {
	for _, f := range files {
		var err error
		switch {
		case strings.HasPrefix(f.Path, openapiDir) && strings.HasSuffix(f.Path, ".yaml"):
			err = checkOpenAPIClashes(dir, name, f)
		case strings.HasSuffix(f.Path, ".go"):
			err = checkGoClashes(dir, name, f)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func checkOpenAPIClashes(dir, resource string, part ResourceFile) error {
	mine, err := openAPINames(part.Data)
	if err != nil {
		return fmt.Errorf("%s: %w", part.Path, err)
	}
	others, err := filepath.Glob(filepath.Join(dir, filepath.FromSlash(openapiDir), "*.yaml"))
	if err != nil {
		return err
	}
	for _, name := range others {
		rel := openapiDir + filepath.Base(name)
		if rel == part.Path {
			continue
		}
		data, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		theirs, err := openAPINames(data)
		if err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
		for _, n := range mine {
			if slices.Contains(theirs, n) {
				return &InputError{"resource", resource,
					fmt.Sprintf("its OpenAPI part would redefine %s of %s (choose another name or --plural)", n, rel)}
			}
		}
	}
	return nil
}

// openAPINames are what a part defines: tags, paths, operation ids and
// components, each as "tag x", "path /x", "operation x", "schemas X"….
func openAPINames(data []byte) ([]string, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	root := doc.Content[0]
	var out []string
	if tags := mappingValue(root, "tags"); tags != nil {
		for _, t := range tags.Content {
			if n := mappingValue(t, "name"); n != nil {
				out = append(out, "tag "+n.Value)
			}
		}
	}
	if paths := mappingValue(root, "paths"); paths != nil {
		for i := 0; i+1 < len(paths.Content); i += 2 {
			out = append(out, "path "+paths.Content[i].Value)
			item := paths.Content[i+1]
			for j := 1; j < len(item.Content); j += 2 {
				if id := mappingValue(item.Content[j], "operationId"); id != nil {
					out = append(out, "operation "+id.Value)
				}
			}
		}
	}
	if comps := mappingValue(root, "components"); comps != nil {
		for i := 0; i+1 < len(comps.Content); i += 2 {
			section := comps.Content[i+1]
			for j := 0; j+1 < len(section.Content); j += 2 {
				out = append(out, comps.Content[i].Value+" "+section.Content[j].Value)
			}
		}
	}
	return out, nil
}

func checkGoClashes(dir, resource string, f ResourceFile) error {
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
		if rel == f.Path {
			continue
		}
		data, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		theirPkg, theirs, err := goDecls(data)
		if err != nil || theirPkg != pkg {
			continue // not Go we can read, or an external test package
		}
		for _, n := range mine {
			if slices.Contains(theirs, n) {
				return &InputError{"resource", resource, fmt.Sprintf("its code would redeclare %s, which %s declares "+
					"(choose another name or --plural)", n, rel)}
			}
		}
	}
	return nil
}

// goDecls are the package name and the top-level names of a Go file:
// functions, types, variables, constants, and methods as Type.Method.
func goDecls(src []byte) (string, []string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), "", src, parser.SkipObjectResolution)
	if err != nil {
		return "", nil, err
	}
	var out []string
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			out = append(out, funcName(d))
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					out = append(out, s.Name.Name)
				case *ast.ValueSpec:
					for _, n := range s.Names {
						out = append(out, n.Name)
					}
				}
			}
		}
	}
	out = slices.DeleteFunc(out, func(n string) bool { return n == "_" || n == "init" })
	return f.Name.Name, out, nil
}

// funcName is a function's name, or Type.Method for a method.
func funcName(d *ast.FuncDecl) string {
	if d.Recv == nil || len(d.Recv.List) == 0 {
		return d.Name.Name
	}
	t := d.Recv.List[0].Type
	if star, ok := t.(*ast.StarExpr); ok {
		t = star.X
	}
	if idx, ok := t.(*ast.IndexExpr); ok {
		t = idx.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name + "." + d.Name.Name
	}
	return d.Name.Name
}
