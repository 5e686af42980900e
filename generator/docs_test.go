package generator

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/starter-go/starter/templates"
)

// TestGeneratedDocs keeps docs/generated-api.md and docs/generated-cli.md in
// step with the templates: every route of routes*.go is on the API page and
// every route on that page is served; every command and flag of internal/cli
// is on the CLI page.
func TestGeneratedDocs(t *testing.T) {
	t.Parallel()
	t.Run("routes", func(t *testing.T) {
		t.Parallel()
		page := readDoc(t, "generated-api.md")
		served := templateRoutes(t)
		for _, r := range served {
			if !strings.Contains(page, "`"+r+"`") {
				t.Errorf("docs/generated-api.md does not describe `%s` (templates/project/internal/httpapi/routes*.go, internal/console/routes*.go)", r)
			}
		}
		for _, m := range docRoute.FindAllStringSubmatch(page, -1) {
			if !slices.Contains(served, m[1]) {
				t.Errorf("docs/generated-api.md describes `%s`, which routes*.go do not serve", m[1])
			}
		}
	})
	t.Run("commands", func(t *testing.T) {
		t.Parallel()
		page := readDoc(t, "generated-cli.md")
		commands, flags := templateCommands(t)
		for _, c := range commands {
			if !regexp.MustCompile("`NAME [^`]*\\b" + regexp.QuoteMeta(c) + "\\b").MatchString(page) {
				t.Errorf("docs/generated-cli.md does not show `NAME … %s` (templates/project/internal/cli)", c)
			}
		}
		for _, f := range flags {
			if !strings.Contains(page, "--"+f) {
				t.Errorf("docs/generated-cli.md does not show the flag --%s (templates/project/internal/cli)", f)
			}
		}
	})
}

// docRoute is a route written as code on the API page: `GET /api/v1/health`.
var docRoute = regexp.MustCompile("`((?:GET|POST|PUT|PATCH|DELETE) /[^` ]*)`")

func readDoc(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "docs", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// paramPrefixes are the groups route functions take as a parameter: a
// feature's API routes hang off api (/api/v1), the console's pages off root
// (the engine) and a console section's off console (/console).
var paramPrefixes = map[string]string{"api": "/api/v1", "root": "", "console": "/console"}

// templateRoutes reads routes.go, the features' routes_*.go and the
// console's routes*.go and returns "METHOD /path" for every route,
// following the groups' prefixes; :param becomes {param}.
func templateRoutes(t *testing.T) []string {
	t.Helper()
	names, err := fs.Glob(templates.FS, "project/internal/httpapi/routes*.go")
	if err != nil {
		t.Fatal(err)
	}
	pages, err := fs.Glob(templates.FS, "project/internal/console/routes*.go")
	if err != nil {
		t.Fatal(err)
	}
	names = append(names, pages...)
	var routes []string
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		prefix := map[string]string{}
		ast.Inspect(parseTemplate(t, name), func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncType: // of a declaration or a literal
				for param, p := range paramPrefixes {
					if hasParam(n, param) {
						prefix[param] = p
					}
				}
			case *ast.AssignStmt:
				if name, group, ok := groupOf(n, prefix); ok {
					prefix[name] = group
				}
			case *ast.CallExpr:
				if route, ok := routeOf(n, prefix); ok {
					routes = append(routes, route)
				}
			}
			return true
		})
	}
	if len(routes) == 0 {
		t.Fatal("no routes found in routes*.go")
	}
	return routes
}

// hasParam reports whether a function takes a parameter of that name.
func hasParam(fn *ast.FuncType, name string) bool {
	for _, field := range fn.Params.List {
		for _, id := range field.Names {
			if id.Name == name {
				return true
			}
		}
	}
	return false
}

// groupOf reads `x := s.engine` and `x := y.Group("/prefix", …)`.
func groupOf(a *ast.AssignStmt, prefix map[string]string) (name, group string, ok bool) {
	if len(a.Lhs) != 1 || len(a.Rhs) != 1 {
		return "", "", false
	}
	lhs, ok := a.Lhs[0].(*ast.Ident)
	if !ok {
		return "", "", false
	}
	if sel, ok := a.Rhs[0].(*ast.SelectorExpr); ok && sel.Sel.Name == "engine" {
		return lhs.Name, "", true
	}
	call, ok := a.Rhs[0].(*ast.CallExpr)
	if !ok {
		return "", "", false
	}
	recv, method, arg, ok := callOn(call)
	if !ok || method != "Group" {
		return "", "", false
	}
	return lhs.Name, prefix[recv] + arg, true
}

// routeOf reads `x.GET("/path", …)` on a known group.
func routeOf(call *ast.CallExpr, prefix map[string]string) (string, bool) {
	recv, method, arg, ok := callOn(call)
	if !ok || !slices.Contains([]string{"GET", "POST", "PUT", "PATCH", "DELETE"}, method) {
		return "", false
	}
	p, known := prefix[recv]
	if !known {
		return "", false
	}
	path := regexp.MustCompile(`:(\w+)`).ReplaceAllString(p+arg, "{$1}")
	return method + " " + path, true
}

// callOn splits recv.Method("literal", …).
func callOn(call *ast.CallExpr) (recv, method, arg string, ok bool) {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok || len(call.Args) == 0 {
		return "", "", "", false
	}
	id, ok := sel.X.(*ast.Ident)
	if !ok {
		return "", "", "", false
	}
	arg, ok = stringLit(call.Args[0])
	return id.Name, sel.Sel.Name, arg, ok
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

// templateCommands reads internal/cli and returns the first word of every
// literal cobra Use and the name of every flag.
func templateCommands(t *testing.T) (commands, flags []string) {
	t.Helper()
	names, err := fs.Glob(templates.FS, "project/internal/cli/*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		ast.Inspect(parseTemplate(t, name), func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.KeyValueExpr:
				if key, ok := n.Key.(*ast.Ident); ok && key.Name == "Use" {
					if use, ok := stringLit(n.Value); ok {
						commands = append(commands, strings.Fields(use)[0])
					}
				}
			case *ast.CallExpr:
				if flag, ok := flagOf(n); ok {
					flags = append(flags, flag)
				}
			}
			return true
		})
	}
	if len(commands) == 0 || len(flags) == 0 {
		t.Fatal("no commands or flags found in internal/cli")
	}
	return commands, flags
}

// flagOf reads cmd.Flags().Int("name", …) and its siblings (…Var(&v, "name", …)).
func flagOf(call *ast.CallExpr) (string, bool) {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return "", false
	}
	inner, ok := sel.X.(*ast.CallExpr)
	if !ok {
		return "", false
	}
	flagsSel, ok := inner.Fun.(*ast.SelectorExpr)
	if !ok || (flagsSel.Sel.Name != "Flags" && flagsSel.Sel.Name != "PersistentFlags") || len(call.Args) == 0 {
		return "", false
	}
	arg := call.Args[0]
	if strings.HasSuffix(sel.Sel.Name, "Var") || strings.HasSuffix(sel.Sel.Name, "VarP") {
		if len(call.Args) < 2 {
			return "", false
		}
		arg = call.Args[1]
	}
	return stringLit(arg)
}

func parseTemplate(t *testing.T, name string) *ast.File {
	t.Helper()
	src, err := fs.ReadFile(templates.FS, name)
	if err != nil {
		t.Fatal(err)
	}
	f, err := parser.ParseFile(token.NewFileSet(), name, src, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	return f
}
