package generator

import (
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"strings"
	"testing"
)

// A feature arrives as files and one line in each registration list, never in
// the lines an owner edits: `add tasks` merges without a single conflict into
// an auth project whose owner added a route at the end of the core routes, a
// setting at the end of the Config struct, of Defaults, of Validate's checks
// and of the YAML, lines to the README, and a resource of their own at the
// end of the features' list, as a generator would append it.
func TestAddTasksMergesCleanlyAfterOwnersEdits(t *testing.T) {
	t.Parallel()
	g := newGitProject(t, "auth")
	g.edit("internal/httpapi/routes.go", "\tapi.HEAD(\"/health/startup\", s.handleStartup)\n",
		"\tapi.HEAD(\"/health/startup\", s.handleStartup)\n\tapi.GET(\"/ping\", func(c *gin.Context) { c.String(http.StatusOK, \"pong\") })\n")
	g.edit("internal/httpapi/routes.go", "import (\n", "import (\n\t\"net/http\"\n\n")
	g.edit("internal/config/config.go", "\n}\n\n// Defaults returns",
		"\n\t// Greeting is what GET /ping says (default hello).\n\tGreeting string `mapstructure:\"greeting\"`\n}\n\n// Defaults returns")
	g.edit("internal/config/config.go", "\treturn c\n}\n\n// IsProduction", "\tc.Greeting = \"hello\"\n\treturn c\n}\n\n// IsProduction")
	g.edit("internal/config/config.go", "\t\tc.validateCore(),\n", "\t\tc.validateCore(),\n\t\tc.validateGreeting(),\n")
	g.write("config/development.yaml", g.read("config/development.yaml")+"greeting: hi\n")
	g.edit("README.md", "## Deploy\n", "## Deploy\n\nProduction runs behind the team's gateway.\n")
	g.write("README.md", g.read("README.md")+"\nOwned by the platform team.\n")
	g.write("internal/app/features.go", string(appendFeature(t, []byte(g.read("internal/app/features.go")), "productsFeature{}")))
	g.commit("our edits")

	u := g.plan(realSources(), UpdateRequest{Add: []string{"tasks"}, StarterVersion: "1.0", DryRun: true})
	merged := 0
	for _, c := range u.Changes {
		switch c.Action {
		case Conflicted:
			t.Errorf("%s: %d conflicts:\n%s", c.Path, c.Conflicts, c.Data)
		case Merged:
			merged++
			t.Logf("merged %s", c.Path)
		}
	}
	if merged == 0 {
		t.Error("nothing merged: the edits did not meet the feature's changes")
	}
	for _, c := range u.Changes {
		if c.Path == "internal/httpapi/routes.go" || c.Path == "internal/config/config.go" {
			t.Errorf("%s changed by add tasks (%s): a feature must not edit the owner's lines", c.Path, c.Action)
		}
	}
	if err := u.Apply(t.Context()); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]string{
		"config/development.yaml":  "greeting: hi\n",
		"README.md":                "Owned by the platform team.",
		"internal/app/features.go": "\t\tauthFeature{},\n\t\tconsoleFeature{},\n\t\ttasksFeature{},\n\t\tconsoleTasksFeature{},\n\t\t// Resources go below this line, one line each.\n\t\tproductsFeature{},\n",
	} {
		if !strings.Contains(g.read(p), want) {
			t.Errorf("%s lacks %q", p, want)
		}
	}
}

// appendFeature adds elem at the end of the list that features() returns,
// the way a generator registers a resource: the list is found in the syntax
// tree, the line goes before its closing brace.
func appendFeature(t *testing.T, src []byte, elem string) []byte {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "features.go", src, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	var list *ast.CompositeLit
	for _, d := range f.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Name.Name == "features" && len(fn.Body.List) == 1 {
			if ret, ok := fn.Body.List[0].(*ast.ReturnStmt); ok && len(ret.Results) == 1 {
				list, _ = ret.Results[0].(*ast.CompositeLit)
			}
		}
	}
	if list == nil {
		t.Fatal("features.go has no func features() returning a list")
	}
	at := fset.Position(list.Rbrace).Offset
	out, err := format.Source([]byte(string(src[:at]) + elem + ",\n" + string(src[at:])))
	if err != nil {
		t.Fatal(err)
	}
	return out
}
