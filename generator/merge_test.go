package generator

import (
	"io/fs"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/starter-go/starter/templates"
)

// gitMerge is planMerge's three-way merge through the real git merge-file,
// in a directory of its own: parallel tests each need theirs.
func gitMerge(t *testing.T) mergeFunc {
	t.Helper()
	gitPath, err := exec.LookPath("git")
	if err != nil {
		t.Fatalf("git is needed to merge: %v", err)
	}
	r := &gitRepo{git: gitPath}
	return r.mergeFile(t.Context(), t.TempDir(), [3]string{"yours", "base", "starter"})
}

// lines makes a file of numbered lines with some replaced: lines(5, 2, "x")
// is "1\nx\n3\n4\n5\n".
func lines(n int, repl ...any) []byte {
	out := make([]string, n)
	for i := range out {
		out[i] = string(rune('1' + i))
	}
	for i := 0; i+1 < len(repl); i += 2 {
		out[repl[i].(int)-1] = repl[i+1].(string)
	}
	return []byte(strings.Join(out, "\n") + "\n")
}

func TestPlanMerge(t *testing.T) {
	t.Parallel()
	file := func(b []byte) string { return string(b) }
	tests := []struct {
		name                string
		base, next, current []byte // nil: absent
		action              Action // -1: no change at all
		want                string // the written content, or a part of it for conflicts
	}{
		{"untouched, unchanged upstream", lines(3), lines(3), lines(3), -1, ""},
		{"edited, unchanged upstream", lines(3), lines(3), lines(3, 2, "mine"), -1, ""},
		{"untouched, changed upstream", lines(3), lines(3, 2, "new"), lines(3), Replaced, file(lines(3, 2, "new"))},
		{"edited elsewhere, changed upstream", lines(9), lines(9, 8, "new"), lines(9, 2, "mine"), Merged, file(lines(9, 2, "mine", 8, "new"))},
		{"edited the same way as upstream", lines(3), lines(3, 2, "new"), lines(3, 2, "new"), -1, ""},
		{"edited the same lines as upstream", lines(3), lines(3, 2, "new"), lines(3, 2, "mine"), Conflicted,
			"1\n<<<<<<< yours\nmine\n=======\nnew\n>>>>>>> starter\n3\n"},
		{"added upstream", nil, lines(2), nil, Added, file(lines(2))},
		{"added upstream and by the owner the same", nil, lines(2), lines(2), -1, ""},
		{"added upstream and by the owner differently", nil, lines(2), []byte("mine\n"), Conflicted, "<<<<<<< yours\nmine\n"},
		{"untouched, deleted upstream", lines(3), nil, lines(3), Deleted, ""},
		{"edited, deleted upstream", lines(3), nil, lines(3, 1, "mine"), KeptEdited, ""},
		{"deleted by the owner, deleted upstream", lines(3), nil, nil, -1, ""},
		{"deleted by the owner, unchanged upstream", lines(3), lines(3), nil, -1, ""},
		{"deleted by the owner, changed upstream", lines(3), lines(3, 1, "new"), nil, LeftDeleted, ""},
		{"empty file added upstream", nil, []byte{}, nil, Added, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tree := func(data []byte) map[string][]byte {
				if data == nil {
					return map[string][]byte{}
				}
				return map[string][]byte{"f.txt": data}
			}
			changes, err := planMerge(tree(tt.base), tree(tt.next), tree(tt.current), gitMerge(t))
			if err != nil {
				t.Fatal(err)
			}
			if tt.action == -1 {
				if len(changes) != 0 {
					t.Fatalf("changes = %+v, want none", changes)
				}
				return
			}
			if len(changes) != 1 || changes[0].Path != "f.txt" || changes[0].Action != tt.action {
				t.Fatalf("changes = %+v, want one %s of f.txt", changes, tt.action)
			}
			c := changes[0]
			switch got := string(c.Data); {
			case tt.action == Conflicted && (!strings.Contains(got, tt.want) || c.Conflicts != 1):
				t.Errorf("%d conflicts, content %q, want one, containing %q", c.Conflicts, got, tt.want)
			case tt.action != Conflicted && got != tt.want:
				t.Errorf("content %q, want %q", got, tt.want)
			case !c.Action.Writes() && c.Data != nil:
				t.Errorf("%s carries data", c.Action)
			}
		})
	}
}

// A migration the project has is never rewritten by an update: databases
// that applied it would not run it again, and new ones would get another
// schema. Upstream changing one is reported, and the file stays as it is.
func TestPlanMergeKeepsChangedMigrations(t *testing.T) {
	t.Parallel()
	const up, down = "migrations/000003_tasks.up.sql", "migrations/000003_tasks.down.sql"
	tests := []struct {
		name                string
		path                string
		base, next, current []byte // nil: absent
		action              Action // -1: no change at all
	}{
		{"untouched, changed upstream", up, lines(3), lines(3, 2, "new"), lines(3), KeptMigration},
		{"edited, changed upstream", down, lines(3), lines(3, 3, "new"), lines(3, 1, "mine"), KeptMigration},
		{"already as upstream has it", up, lines(3), lines(3, 2, "new"), lines(3, 2, "new"), -1},
		{"unchanged upstream", up, lines(3), lines(3), lines(3), -1},
		{"new upstream", "migrations/000004_more.up.sql", nil, lines(2), nil, Added},
		{"deleted by the owner, changed upstream", up, lines(3), lines(3, 2, "new"), nil, LeftDeleted},
		{"not a migration", "migrations/embed.go", lines(3), lines(3, 2, "new"), lines(3), Replaced},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tree := func(data []byte) map[string][]byte {
				if data == nil {
					return map[string][]byte{}
				}
				return map[string][]byte{tt.path: data}
			}
			changes, err := planMerge(tree(tt.base), tree(tt.next), tree(tt.current), gitMerge(t))
			switch {
			case err != nil:
				t.Fatal(err)
			case tt.action == -1 && len(changes) != 0:
				t.Fatalf("changes = %+v, want none", changes)
			case tt.action != -1 && (len(changes) != 1 || changes[0].Action != tt.action):
				t.Fatalf("changes = %+v, want one %s", changes, tt.action)
			case tt.action == KeptMigration && changes[0].Data != nil:
				t.Errorf("%s carries data", changes[0].Action)
			}
		})
	}
}

// A conflict keeps every line of both sides: nothing the owner wrote is lost.
func TestPlanMergeConflictKeepsBothSides(t *testing.T) {
	t.Parallel()
	base := lines(6)
	current := lines(6, 2, "mine-a", 3, "mine-b")
	next := lines(6, 2, "new-a", 3, "new-b", 6, "new-c")
	changes, err := planMerge(map[string][]byte{"f": base}, map[string][]byte{"f": next}, map[string][]byte{"f": current}, gitMerge(t))
	if err != nil || len(changes) != 1 {
		t.Fatalf("changes = %+v, %v", changes, err)
	}
	got := string(changes[0].Data)
	for _, l := range []string{"mine-a", "mine-b", "new-a", "new-b", "new-c", "4", "5"} {
		if !slices.Contains(strings.Split(got, "\n"), l) {
			t.Errorf("line %q lost:\n%s", l, got)
		}
	}
}

func TestRenumberMigrations(t *testing.T) {
	t.Parallel()
	mig := func(names ...string) []File {
		var out []File
		for _, n := range names {
			out = append(out, File{Path: "migrations/" + n + ".up.sql"}, File{Path: "migrations/" + n + ".down.sql"})
		}
		return out
	}
	tree := func(names ...string) map[string][]byte {
		return fileMap(mig(names...))
	}
	paths := func(names ...string) []string {
		var out []string
		for _, f := range mig(names...) {
			out = append(out, f.Path)
		}
		return append(out, "migrations/embed.go")
	}
	tests := []struct {
		name    string
		next    []File
		base    map[string][]byte
		project []string
		renames map[string]string
		want    map[string]string
	}{
		{"nothing new", mig("000001_core", "000002_auth"), tree("000001_core", "000002_auth"),
			paths("000001_core", "000002_auth"), nil, map[string]string{}},
		{"new, already after the latest", mig("000001_core", "000002_auth", "000003_tasks"), tree("000001_core", "000002_auth"),
			paths("000001_core", "000002_auth"), nil, map[string]string{}},
		{"new, after the owner's own", mig("000001_core", "000002_auth", "000003_tasks"), tree("000001_core", "000002_auth"),
			paths("000001_core", "000002_auth", "000003_products", "000004_orders"), nil, map[string]string{"000003_tasks": "000005_tasks"}},
		{"two new keep their order", mig("000001_core", "000002_auth", "000003_tasks"), tree("000001_core"),
			paths("000001_core", "000002_notes"), nil, map[string]string{"000002_auth": "000003_auth", "000003_tasks": "000004_tasks"}},
		{"recorded renames stay", mig("000001_core", "000002_auth", "000005_tasks"), tree("000001_core", "000002_auth", "000005_tasks"),
			paths("000001_core", "000002_auth", "000003_x", "000004_y", "000005_tasks", "000006_z"),
			map[string]string{"000003_tasks": "000005_tasks"}, map[string]string{"000003_tasks": "000005_tasks"}},
		{"a later template migration follows everything", mig("000001_core", "000002_auth", "000005_tasks", "000004_core_more"),
			tree("000001_core", "000002_auth", "000005_tasks"), paths("000001_core", "000002_auth", "000003_x", "000005_tasks", "000006_z"),
			map[string]string{"000003_tasks": "000005_tasks"},
			map[string]string{"000003_tasks": "000005_tasks", "000004_core_more": "000007_core_more"}},
		{"timestamps keep their width", mig("000001_core", "000003_tasks"), tree("000001_core"),
			paths("000001_core", "20240101120000_x"), nil, map[string]string{"000003_tasks": "20240101120001_tasks"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := renumberMigrations(tt.next, tt.base, tt.project, tt.renames)
			if !mapsEqual(got, tt.want) {
				t.Errorf("renames = %v, want %v", got, tt.want)
			}
		})
	}
}

func mapsEqual(a, b map[string]string) bool {
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

// The renames apply to the rendered files and are recorded in .starter.yaml.
func TestMigrationRenamesRender(t *testing.T) {
	t.Parallel()
	b := setup(t)
	data, err := fs.ReadFile(templates.FS, "project/.starter.yaml.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	b.src.Templates.(fstest.MapFS)["project/.starter.yaml.tmpl"] = &fstest.MapFile{Data: data}
	o := b.opts
	o.Features = []string{"auth"}
	o.Migrations = map[string]string{"000002_users": "000007_users"}
	p, err := NewPlan(t.Context(), b.src, o)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.paths(); slices.Contains(got, "migrations/000002_users.up.sql") || !slices.Contains(got, "migrations/000007_users.up.sql") {
		t.Errorf("files: %q", got)
	}
	cfg := p.file(t, ".starter.yaml")
	if !strings.Contains(cfg, "\nmigrations:\n  000002_users: 000007_users\n") {
		t.Errorf(".starter.yaml:\n%s", cfg)
	}
	o.Migrations = map[string]string{"000002_users": "../x"}
	if _, err := NewPlan(t.Context(), b.src, o); err == nil || !IsInputError(err) {
		t.Errorf("bad rename: err = %v, want an input error", err)
	}
}
