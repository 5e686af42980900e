package generator

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/starter-go/starter/templates"
)

// gitProject is a project generated from real templates into a git
// repository with its merge base, as `starter new` leaves it.
type gitProject struct {
	t   *testing.T
	dir string
}

func newGitProject(t *testing.T, features ...string) gitProject {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "demo")
	opts := Options{Name: "demo", Module: "example.com/demo", Features: features, StarterVersion: "1.0"}
	p, err := NewPlan(t.Context(), realSources(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Write(t.Context(), dir); err != nil {
		t.Fatal(err)
	}
	if err := InitGit(t.Context(), dir, p); err != nil {
		t.Fatal(err)
	}
	return gitProject{t, dir}
}

func (g gitProject) git(args ...string) string {
	g.t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=owner", "-c", "user.email=owner@example.com"}, args...)...)
	cmd.Dir = g.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		g.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (g gitProject) read(p string) string {
	g.t.Helper()
	data, err := os.ReadFile(filepath.Join(g.dir, p))
	if err != nil {
		g.t.Fatal(err)
	}
	return string(data)
}

func (g gitProject) write(p, data string) {
	g.t.Helper()
	writeFile(g.t, filepath.Join(g.dir, p), data)
}

// edit replaces the first old in a file with new.
func (g gitProject) edit(p, old, new string) {
	g.t.Helper()
	data := g.read(p)
	if !strings.Contains(data, old) {
		g.t.Fatalf("%s has no %q", p, old)
	}
	g.write(p, strings.Replace(data, old, new, 1))
}

func (g gitProject) commit(msg string) {
	g.t.Helper()
	g.git("add", "--all")
	g.git("commit", "--quiet", "--no-verify", "-m", msg)
}

func (g gitProject) ref(name string) string {
	g.t.Helper()
	out, _ := exec.Command("git", "-C", g.dir, "for-each-ref", "--format=%(objectname)", name).Output()
	return strings.TrimSpace(string(out))
}

func (g gitProject) plan(src Sources, req UpdateRequest) *Update {
	g.t.Helper()
	req.Dir = g.dir
	u, err := PlanUpdate(g.t.Context(), src, req)
	if err != nil {
		g.t.Fatal(err)
	}
	return u
}

// actions maps each path of an update to its action.
func actions(u *Update) map[string]Action {
	m := map[string]Action{}
	for _, c := range u.Changes {
		m[c.Path] = c.Action
	}
	return m
}

// newerTemplates is the real template tree with some files changed, added
// (text) or removed (nil): a later starter, for the tests only.
func newerTemplates(t *testing.T, changes map[string]func(string) string) Sources {
	t.Helper()
	tree := fstest.MapFS{}
	err := fs.WalkDir(templates.FS, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(templates.FS, name)
		tree[name] = &fstest.MapFile{Data: data}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, change := range changes {
		old := ""
		if f, ok := tree[name]; ok {
			old = string(f.Data)
		}
		if change == nil {
			delete(tree, name)
			continue
		}
		tree[name] = &fstest.MapFile{Data: []byte(change(old))}
	}
	src := realSources()
	src.Templates = tree
	return src
}

func replace(old, new string) func(string) string {
	return func(s string) string { return strings.Replace(s, old, new, 1) }
}

func text(s string) func(string) string { return func(string) string { return s } }

// An upgrade to newer templates merges their changes into a project its owner
// edited: the owner's lines and the templates' new ones are both there, a new
// template migration follows the owner's, and the merge base moves.
func TestUpgradeMergesTemplateChangesIntoEditedProject(t *testing.T) {
	t.Parallel()
	g := newGitProject(t)
	g.edit("README.md", "## Run it\n", "## Run it\n\nOur team runs it behind the gateway.\n")
	g.edit("internal/httpapi/routes.go", "\tapi.GET(\"/health/startup\", s.handleStartup)\n",
		"\tapi.GET(\"/health/startup\", s.handleStartup)\n\tapi.GET(\"/ping\", func(c *gin.Context) { c.String(200, \"pong\") })\n")
	g.write("migrations/000002_notes.up.sql", "CREATE TABLE notes (id bigint);\n")
	g.write("migrations/000002_notes.down.sql", "DROP TABLE notes;\n")
	g.edit("config/development.yaml", "log_level: debug", "log_level: info")
	g.commit("our edits")
	oldBase := g.ref(BaseRef)

	newer := newerTemplates(t, map[string]func(string) string{
		// a change far from the owner's edits in two edited files
		"project/README.md.tmpl": replace("## Deploy\n", "## Deploy\n\nSee also docs/.\n"),
		"project/internal/httpapi/routes.go": replace("\tif s.ExtraRoutes != nil {",
			"\t// Routes added by tests and by the owner's experiments.\n\tif s.ExtraRoutes != nil {"),
		// an untouched file changed, a new one, a removed one, a new migration
		"project/Makefile.tmpl":                    func(s string) string { return s + "\n# newer\n" },
		"project/internal/httpapi/version.go":      text("package httpapi\n\n// apiVersion is new in the newer templates.\nconst apiVersion = 2\n"),
		"project/Dockerfile.tmpl":                  nil,
		"project/migrations/000002_audit.up.sql":   text("CREATE TABLE audit (id bigint);\n"),
		"project/migrations/000002_audit.down.sql": text("DROP TABLE audit;\n"),
	})
	u := g.plan(newer, UpdateRequest{StarterVersion: "2.0"})
	want := map[string]Action{
		".starter.yaml": Replaced, "Makefile": Replaced, "Dockerfile": Deleted,
		"README.md": Merged, "internal/httpapi/routes.go": Merged,
		"internal/httpapi/version.go":    Added,
		"migrations/000003_audit.up.sql": Added, "migrations/000003_audit.down.sql": Added,
	}
	if got := actions(u); !mapsEqualAction(got, want) {
		t.Fatalf("plan:\n got %v\nwant %v", got, want)
	}
	if err := u.Apply(t.Context()); err != nil {
		t.Fatal(err)
	}
	for p, lines := range map[string][]string{
		"README.md":                      {"Our team runs it behind the gateway.", "See also docs/."},
		"internal/httpapi/routes.go":     {`api.GET("/ping"`, "// Routes added by tests"},
		"config/development.yaml":        {"log_level: info"},
		".starter.yaml":                  {"starter_version: 2.0", "migrations:\n  000002_audit: 000003_audit\n"},
		"migrations/000002_notes.up.sql": {"notes"},
	} {
		got := g.read(p)
		for _, l := range lines {
			if !strings.Contains(got, l) {
				t.Errorf("%s lacks %q:\n%s", p, l, got)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(g.dir, "Dockerfile")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Dockerfile: %v, want deleted", err)
	}
	if base := g.ref(BaseRef); base == oldBase || g.ref(PendingRef) != "" {
		t.Errorf("base %s (was %s), pending %q: want a moved base and no pending", base, oldBase, g.ref(PendingRef))
	}
	if parent := strings.TrimSpace(g.git("rev-parse", BaseRef+"^")); parent != oldBase {
		t.Errorf("new base's parent = %s, want the old base %s", parent, oldBase)
	}
	// The base is exactly the new rendering; the same templates again are up
	// to date, renamed migration included, once the owner commits.
	g.commit("upgrade")
	if u := g.plan(newer, UpdateRequest{StarterVersion: "2.0"}); !u.UpToDate {
		t.Errorf("second upgrade: %v, want up to date", actions(u))
	}
}

func mapsEqualAction(a, b map[string]Action) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// Templates that change the very lines the owner changed give a conflict:
// both versions between markers, the base left where it was and the new tree
// pending until the markers are gone.
func TestUpgradeConflictWaitsForResolution(t *testing.T) {
	t.Parallel()
	g := newGitProject(t)
	g.edit("internal/httpapi/routes.go", "\tapi.GET(\"/health/live\", s.handleLive)\n", "\tapi.GET(\"/health/live\", s.handleLiveOurs)\n")
	g.commit("ours")
	oldBase := g.ref(BaseRef)
	newer := newerTemplates(t, map[string]func(string) string{
		"project/internal/httpapi/routes.go": replace("s.handleLive)", "s.handleLiveness)"),
		"project/Makefile.tmpl":              func(s string) string { return s + "\n# newer\n" },
	})
	u := g.plan(newer, UpdateRequest{StarterVersion: "2.0"})
	if c := u.Conflicts(); len(c) != 1 || c[0].Path != "internal/httpapi/routes.go" || c[0].Conflicts != 1 {
		t.Fatalf("conflicts = %+v", c)
	}
	if err := u.Apply(t.Context()); err != nil {
		t.Fatal(err)
	}
	routes := g.read("internal/httpapi/routes.go")
	for _, l := range []string{"<<<<<<< yours", "s.handleLiveOurs)", "=======", "s.handleLiveness)", ">>>>>>> starter 2.0 (no features)"} {
		if !strings.Contains(routes, l) {
			t.Errorf("routes.go lacks %q:\n%s", l, routes)
		}
	}
	if !strings.Contains(g.read("Makefile"), "# newer") {
		t.Error("the clean part of the update was not written")
	}
	pending := g.ref(PendingRef)
	if g.ref(BaseRef) != oldBase || pending == "" {
		t.Fatalf("base moved or nothing pending")
	}
	// Another update waits for this one.
	g.commit("conflicted")
	if _, err := PlanUpdate(t.Context(), newer, UpdateRequest{Dir: g.dir}); !errors.Is(err, ErrUpdatePending) {
		t.Errorf("update while one is pending: %v", err)
	}
	remaining, err := ContinueUpdate(t.Context(), g.dir)
	if err != nil || !slices.Equal(remaining, []string{"internal/httpapi/routes.go"}) {
		t.Fatalf("continue with markers: %q, %v", remaining, err)
	}
	if g.ref(BaseRef) != oldBase {
		t.Fatal("continue moved the base while markers remain")
	}
	resolved := strings.NewReplacer("<<<<<<< yours\n", "", "=======\n", "", ">>>>>>> starter 2.0 (no features)\n", "",
		"\tapi.GET(\"/health/live\", s.handleLiveness)\n", "").Replace(routes)
	g.write("internal/httpapi/routes.go", resolved)
	if remaining, err := ContinueUpdate(t.Context(), g.dir); err != nil || remaining != nil {
		t.Fatalf("continue after resolving: %q, %v", remaining, err)
	}
	if g.ref(BaseRef) != pending || g.ref(PendingRef) != "" {
		t.Errorf("base = %s, pending = %q; want the pending tree as base", g.ref(BaseRef), g.ref(PendingRef))
	}
	g.commit("resolved")
	if u := g.plan(newer, UpdateRequest{StarterVersion: "2.0"}); !u.UpToDate {
		t.Errorf("after continue: %v, want up to date", actions(u))
	}
	if _, err := ContinueUpdate(t.Context(), g.dir); !errors.Is(err, ErrNoPendingUpdate) {
		t.Errorf("continue with nothing pending: %v", err)
	}
}

// An upgrade whose templates changed a migration the project already has
// leaves that file alone and says so: the databases that applied it would
// never see the change. The rest of the upgrade goes through.
func TestUpgradeKeepsChangedMigrations(t *testing.T) {
	t.Parallel()
	g := newGitProject(t)
	applied := g.read("migrations/000001_core.up.sql")
	newer := newerTemplates(t, map[string]func(string) string{
		"project/migrations/000001_core.up.sql": func(s string) string { return s + "CREATE TABLE audit (id bigint);\n" },
		"project/Makefile.tmpl":                 func(s string) string { return s + "\n# newer\n" },
	})
	u := g.plan(newer, UpdateRequest{StarterVersion: "2.0"})
	want := map[string]Action{".starter.yaml": Replaced, "Makefile": Replaced, "migrations/000001_core.up.sql": KeptMigration}
	if got := actions(u); !mapsEqualAction(got, want) {
		t.Fatalf("plan:\n got %v\nwant %v", got, want)
	}
	if err := u.Apply(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := g.read("migrations/000001_core.up.sql"); got != applied {
		t.Errorf("the applied migration was rewritten:\n%s", got)
	}
	if !strings.Contains(g.read("Makefile"), "# newer") {
		t.Error("the rest of the upgrade was not written")
	}
	if g.ref(PendingRef) != "" {
		t.Error("a kept migration left the update pending")
	}
}

// add numbers the feature's migrations after the owner's and records the
// renames, so that the next upgrade renders the same names and is up to date.
func TestAddNumbersMigrationsAfterTheProjects(t *testing.T) {
	t.Parallel()
	g := newGitProject(t)
	g.write("migrations/000002_notes.up.sql", "CREATE TABLE notes (id bigint);\n")
	g.write("migrations/000002_notes.down.sql", "DROP TABLE notes;\n")
	g.commit("a migration of ours")
	u := g.plan(realSources(), UpdateRequest{Add: []string{"auth"}, StarterVersion: "1.0"})
	got := actions(u)
	if got["migrations/000003_auth.up.sql"] != Added || got["migrations/000003_auth.down.sql"] != Added {
		t.Errorf("auth migrations: %v", got)
	}
	if _, ok := got["migrations/000002_auth.up.sql"]; ok {
		t.Error("auth's migration took the owner's version 2")
	}
	if err := u.Apply(t.Context()); err != nil {
		t.Fatal(err)
	}
	if cfg := g.read(".starter.yaml"); !strings.Contains(cfg, "features: [auth]") || !strings.Contains(cfg, "  000002_auth: 000003_auth\n") {
		t.Errorf(".starter.yaml:\n%s", cfg)
	}
	// go.mod, untouched by the owner, is the auth variant's pinned one (with
	// golang.org/x/crypto direct), and go mod tidy agrees.
	auth, err := NewPlan(t.Context(), realSources(), Options{Name: "demo", Module: "example.com/demo", Features: []string{"auth"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := g.read("go.mod"), auth.file(t, "go.mod"); got != want {
		t.Errorf("go.mod:\n%s\nwant the auth variant's:\n%s", got, want)
	}
	g.commit("add auth")
	if u := g.plan(realSources(), UpdateRequest{StarterVersion: "1.0"}); !u.UpToDate {
		t.Errorf("upgrade after add: %v, want up to date", actions(u))
	}
}

// Refusals write nothing and name the way out.
func TestUpdateRefusals(t *testing.T) {
	t.Parallel()
	g := newGitProject(t, "auth")
	check := func(name string, req UpdateRequest, want func(error) bool) {
		t.Helper()
		req.Dir = g.dir
		before := readTree(t, g.dir)
		_, err := PlanUpdate(t.Context(), realSources(), req)
		if !want(err) {
			t.Errorf("%s: err = %v", name, err)
		}
		if !mapsEqualString(before, readTree(t, g.dir)) {
			t.Errorf("%s: the project changed", name)
		}
	}
	inputErr := func(rule string) func(error) bool {
		return func(err error) bool { return IsInputError(err) && strings.Contains(err.Error(), rule) }
	}
	check("unknown feature", UpdateRequest{Add: []string{"billing"}}, inputErr(`invalid feature "billing": must be one of auth, tasks`))
	check("present feature", UpdateRequest{Add: []string{"auth"}}, inputErr(`invalid feature "auth": is already in this project`))
	g.write("README.md", "mine\n")
	check("dirty tree", UpdateRequest{Add: []string{"tasks"}}, func(err error) bool {
		var de *DirtyError
		return errors.As(err, &de) && slices.Equal(de.Paths, []string{"README.md"})
	})
	g.git("checkout", "--", "README.md")
	g.write("scratch.txt", "untracked\n")
	check("untracked file", UpdateRequest{}, func(err error) bool { var de *DirtyError; return errors.As(err, &de) })
	os.Remove(filepath.Join(g.dir, "scratch.txt"))
	g.git("update-ref", "-d", BaseRef)
	check("no base", UpdateRequest{}, func(err error) bool { return errors.Is(err, ErrNoBase) })

	minimal := newGitProject(t)
	req := UpdateRequest{Dir: minimal.dir, Add: []string{"tasks"}}
	if _, err := PlanUpdate(t.Context(), realSources(), req); !IsInputError(err) ||
		!strings.Contains(err.Error(), "requires auth, which this project does not have (starter add auth tasks)") {
		t.Errorf("tasks without auth: %v", err)
	}
	if err := os.RemoveAll(filepath.Join(minimal.dir, ".git")); err != nil {
		t.Fatal(err)
	}
	if _, err := PlanUpdate(t.Context(), realSources(), UpdateRequest{Dir: minimal.dir}); !errors.Is(err, ErrNoRepository) {
		t.Errorf("no repository: %v", err)
	}
}

func mapsEqualString(a, b map[string]string) bool { return mapsEqual(a, b) }

// InitBase gives a project made without git its merge base, once.
func TestInitBase(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "demo")
	opts := Options{Name: "demo", Module: "example.com/demo", StarterVersion: "1.0"}
	if err := Generate(t.Context(), realSources(), opts, dir); err != nil {
		t.Fatal(err)
	}
	g := gitProject{t, dir}
	if err := InitBase(t.Context(), realSources(), dir); !errors.Is(err, ErrNoRepository) {
		t.Errorf("without a repository: %v", err)
	}
	g.git("init", "--quiet")
	g.commit("initial")
	if err := InitBase(t.Context(), realSources(), dir); err != nil {
		t.Fatal(err)
	}
	if err := InitBase(t.Context(), realSources(), dir); !errors.Is(err, ErrHasBase) {
		t.Errorf("twice: %v", err)
	}
	if u := g.plan(realSources(), UpdateRequest{StarterVersion: "1.0"}); !u.UpToDate {
		t.Errorf("after init: %v, want up to date", actions(u))
	}
}

// The owner's own requirement survives an add that brings new ones, and the
// merged go.mod and go.sum are what go mod tidy would write.
func TestAddKeepsTheOwnersRequirements(t *testing.T) {
	t.Parallel()
	g := newGitProject(t)
	g.write("internal/size/size.go", `// Package size formats sizes for people.
package size

import "github.com/dustin/go-humanize"

// Bytes formats n bytes.
func Bytes(n uint64) string { return humanize.Bytes(n) }
`)
	// What the owner runs; the module is in the cache (starter's own go.sum
	// has it), so no network is needed.
	g.goCmd("GOSUMDB=off", "get", "github.com/dustin/go-humanize@v1.0.1")
	g.goCmd("", "mod", "tidy")
	g.commit("a dependency of ours")
	u := g.plan(realSources(), UpdateRequest{Add: []string{"auth"}, StarterVersion: "1.0"})
	if got, ok := actions(u)["go.mod"]; !ok || got != Merged {
		t.Errorf("go.mod: %v, want merged", actions(u))
	}
	if err := u.Apply(t.Context()); err != nil {
		t.Fatal(err)
	}
	gomod := g.read("go.mod")
	for _, l := range []string{"\tgithub.com/dustin/go-humanize v1.0.1\n", "\tgolang.org/x/crypto v"} {
		if !strings.Contains(gomod, l) {
			t.Errorf("go.mod lacks %q:\n%s", l, gomod)
		}
	}
	g.goCmd("", "mod", "tidy", "-diff")
}

// goCmd runs the go command in the project with one extra variable (or none).
func (g gitProject) goCmd(extra string, args ...string) {
	g.t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = g.dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	if extra != "" {
		cmd.Env = append(cmd.Env, extra)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		g.t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}
