package generator

import (
	"cmp"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// migrationsDir holds the SQL migrations of a project.
const migrationsDir = "migrations/"

// migrationRE matches golang-migrate's file names: VERSION_TITLE.up.sql and
// VERSION_TITLE.down.sql; the base name is VERSION_TITLE.
var migrationRE = regexp.MustCompile(`^([0-9]+)_([A-Za-z0-9_.-]+?)\.(up|down)\.sql$`)

var migrationBaseRE = regexp.MustCompile(`^[0-9]+_[A-Za-z0-9_.-]+$`)

// migration is one file name of migrations/ split into its parts.
type migration struct {
	base    string // VERSION_TITLE
	version uint64
	digits  int    // width of VERSION, kept when renumbering
	title   string // TITLE
	dir     string // "up" or "down"
}

// parseMigration splits a path under migrations/; ok is false for any other file.
func parseMigration(p string) (migration, bool) {
	name, ok := strings.CutPrefix(p, migrationsDir)
	if !ok || strings.Contains(name, "/") {
		return migration{}, false
	}
	m := migrationRE.FindStringSubmatch(name)
	if m == nil {
		return migration{}, false
	}
	v, err := strconv.ParseUint(m[1], 10, 64)
	if err != nil {
		return migration{}, false
	}
	return migration{base: m[1] + "_" + m[2], version: v, digits: len(m[1]), title: m[2], dir: m[3]}, true
}

// isMigration reports whether p is a migration file of the project.
func isMigration(p string) bool {
	_, ok := parseMigration(p)
	return ok
}

func (m migration) path() string { return migrationsDir + m.base + "." + m.dir + ".sql" }

// renamedMigration applies Options.Migrations to a project path.
func renamedMigration(p string, renames map[string]string) string {
	m, ok := parseMigration(p)
	if !ok {
		return p
	}
	if to, ok := renames[m.base]; ok {
		m.base = to
	}
	return m.path()
}

func validateMigrationRenames(renames map[string]string) error {
	for _, from := range slices.Sorted(maps.Keys(renames)) {
		to := renames[from]
		if !migrationBaseRE.MatchString(from) || !migrationBaseRE.MatchString(to) {
			return &InputError{"migration rename", from + ": " + to, "both sides must be migration names like 000003_tasks"}
		}
	}
	return nil
}

// migrationRename is one entry of .starter.yaml's migrations map, for templates.
type migrationRename struct{ From, To string }

func sortedRenames(renames map[string]string) []migrationRename {
	var out []migrationRename
	for _, from := range slices.Sorted(maps.Keys(renames)) {
		out = append(out, migrationRename{from, renames[from]})
	}
	return out
}

// renumberMigrations returns the renames under which the migrations new to a
// project (in next, not in base) follow the project's latest migration.
// golang-migrate only applies versions above the database's current one, so a
// feature added after the owner's own migrations must come after them, and a
// version must never be taken twice. Migrations the project already has keep
// their names, and so do new ones already numbered after the latest. renames
// is what next was rendered with; project lists the paths under migrations/
// of the project as it is now.
func renumberMigrations(next []File, base map[string][]byte, project []string, renames map[string]string) map[string]string {
	latest := uint64(0)
	for _, p := range append(slices.Collect(maps.Keys(base)), project...) {
		if m, ok := parseMigration(p); ok {
			latest = max(latest, m.version)
		}
	}
	fresh := map[string]migration{}
	for _, f := range next {
		if m, ok := parseMigration(f.Path); ok && !inBase(base, m.base) {
			fresh[m.base] = m
		}
	}
	out := maps.Clone(renames)
	if out == nil {
		out = map[string]string{}
	}
	for _, m := range slices.SortedFunc(maps.Values(fresh), func(a, b migration) int {
		return cmp.Or(cmp.Compare(a.version, b.version), cmp.Compare(a.base, b.base))
	}) {
		if m.version > latest {
			latest = m.version
			continue
		}
		latest++
		to := fmt.Sprintf("%0*d_%s", m.digits, latest, m.title)
		out[templateMigration(renames, m.base)] = to
	}
	return out
}

// inBase reports whether base has the migration named base (up or down).
func inBase(base map[string][]byte, name string) bool {
	_, up := base[migrationsDir+name+".up.sql"]
	_, down := base[migrationsDir+name+".down.sql"]
	return up || down
}

// templateMigration maps a rendered migration name back to the templates' name.
func templateMigration(renames map[string]string, rendered string) string {
	for from, to := range renames {
		if to == rendered {
			return from
		}
	}
	return rendered
}
