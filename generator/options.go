package generator

import (
	"errors"
	"fmt"
	"go/token"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/mod/module"
)

// Options are the user's choices for one generated project. The zero value is
// not valid: Name and Module are required; Normalize fills the derived defaults.
type Options struct {
	// Name is the service, directory, binary and cmd/ package name.
	Name string
	// Module is the Go module path of the generated project.
	Module string
	// DBName is the default PostgreSQL database name. Default:
	// DefaultDBName(Name), that is Name, or Name_db when Name is a reserved word.
	DBName string
	// Port is the default HTTP port. Default: 8080.
	Port int
	// Features lists the optional parts to include (see KnownFeatures).
	Features []string
	// StarterVersion is recorded in the generated project. Default: "dev".
	StarterVersion string
	// Migrations renames migrations of the templates in this project, by base
	// name: {"000003_tasks": "000004_tasks"}. `starter add` numbers a feature's
	// migrations after the project's own and records the renames in
	// .starter.yaml, so that later renderings keep them. Nil: the templates'
	// names.
	Migrations map[string]string
	// Resources are the resources `starter generate resource` added to the
	// project, recorded in .starter.yaml (a ref:NAME field finds its target
	// there). Nil: none.
	Resources []ProjectResource
	// Force allows writing into a non-empty target directory.
	Force bool
	// Report, when set, is told about each step as it completes. Nil: silent.
	Report func(step, detail string)
}

// DefaultPort is the HTTP port used when none is given.
const DefaultPort = 8080

// DefaultFeatures is the feature list of `starter new` when none is given: the
// whole service. "none" asks for the core alone.
const DefaultFeatures = "auth,tasks"

// KnownFeatures lists the optional features in their canonical order.
var KnownFeatures = []string{"auth", "tasks"} //nolint:gochecknoglobals // read-only; exported for the CLI's help and checks

// featureRequires says which features another one needs.
var featureRequires = map[string][]string{"tasks": {"auth"}} //nolint:gochecknoglobals // a table that is never written

// InputError is a bad user-supplied value: the CLI reports it as a usage error.
type InputError struct {
	Field string // "name", "module", "features", "port", "db name", "directory"
	Value string
	Rule  string
}

func (e *InputError) Error() string {
	return fmt.Sprintf("invalid %s %q: %s", e.Field, e.Value, e.Rule)
}

// IsInputError reports whether err is (or wraps) an *InputError.
func IsInputError(err error) bool {
	var ie *InputError
	return errors.As(err, &ie)
}

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// ValidateName checks a project name: it becomes a directory, a binary and a
// Go package name, so it must be a lowercase Go identifier and not a keyword.
func ValidateName(name string) error {
	switch {
	case !nameRE.MatchString(name):
		return &InputError{"name", name, "must be a lowercase Go identifier ([a-z][a-z0-9_]*)"}
	case token.IsKeyword(name):
		return &InputError{"name", name, "must not be a Go keyword"}
	case len(name) > 63:
		return &InputError{"name", name, "must be at most 63 characters"}
	}
	return nil
}

// ValidateModule checks a Go module path with golang.org/x/mod/module.CheckPath.
func ValidateModule(path string) error {
	if err := module.CheckPath(path); err != nil {
		rule := err.Error()
		var me *module.InvalidPathError
		if errors.As(err, &me) && me.Err != nil {
			rule = me.Err.Error()
		}
		return &InputError{"module", path, "not a valid Go module path: " + rule}
	}
	return nil
}

var dbNameRE = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// ValidateDBName checks that name is usable unquoted as a PostgreSQL identifier.
func ValidateDBName(name string) error {
	switch {
	case !dbNameRE.MatchString(name):
		return &InputError{"db name", name, "must be a PostgreSQL identifier ([a-z_][a-z0-9_]*)"}
	case len(name) > 63:
		return &InputError{"db name", name, "must be at most 63 characters (PostgreSQL's NAMEDATALEN)"}
	case slices.Contains(pgReserved, name):
		return &InputError{"db name", name, "must not be a PostgreSQL reserved word"}
	}
	return nil
}

// DefaultDBName is the database name of a project that was given none: its
// name, which is always a valid identifier except when PostgreSQL reserves it
// (full, user, order…); those get the suffix _db (full_db), so that every
// valid project name has a default that works. "" stays "".
func DefaultDBName(name string) string {
	if name == "" || ValidateDBName(name) == nil {
		return name
	}
	return name + "_db"
}

// ValidatePort checks an HTTP port number.
func ValidatePort(port int) error {
	if port < 1 || port > 65535 {
		return &InputError{"port", strconv.Itoa(port), "must be an integer between 1 and 65535"}
	}
	return nil
}

// ParsePort parses and checks a port given as text (a flag, a prompt, the environment).
func ParsePort(s string) (int, error) {
	p, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, &InputError{"port", s, "must be an integer between 1 and 65535"}
	}
	return p, ValidatePort(p)
}

// ParseFeatures splits a comma-separated list ("auth, tasks") and validates it.
// The result is deduplicated and in canonical order; "" and "none" mean no
// features.
func ParseFeatures(list string) ([]string, error) {
	if strings.TrimSpace(list) == "none" {
		return nil, nil
	}
	var fs []string
	for f := range strings.SplitSeq(list, ",") {
		if f = strings.TrimSpace(f); f != "" {
			fs = append(fs, f)
		}
	}
	return NormalizeFeatures(fs)
}

// NormalizeFeatures validates features, deduplicates them and sorts them in
// canonical order.
func NormalizeFeatures(features []string) ([]string, error) {
	if err := ValidateFeatures(features); err != nil {
		return nil, err
	}
	var out []string
	for _, k := range KnownFeatures {
		if slices.Contains(features, k) {
			out = append(out, k)
		}
	}
	return out, nil
}

// ValidateFeatures checks that every feature is known and has what it requires.
func ValidateFeatures(features []string) error {
	list := strings.Join(features, ",")
	for _, f := range features {
		if !slices.Contains(KnownFeatures, f) {
			return &InputError{"feature", f, "must be one of " + strings.Join(KnownFeatures, ", ")}
		}
	}
	for _, f := range features {
		for _, req := range featureRequires[f] {
			if !slices.Contains(features, req) {
				return &InputError{"features", list,
					fmt.Sprintf("%s requires %s (use --features %s)", f, req, strings.Join(withFeature(features, req), ","))}
			}
		}
	}
	return nil
}

func withFeature(features []string, add string) []string {
	all := append(slices.Clone(features), add)
	out, _ := NormalizeFeatures(slices.DeleteFunc(all, func(f string) bool { return !slices.Contains(KnownFeatures, f) }))
	return out
}

// Normalize fills the defaults (DBName, Port, StarterVersion), puts the
// features in canonical order and validates every field. It returns the first
// problem found, as an *InputError.
func (o Options) Normalize() (Options, error) {
	if o.DBName == "" {
		o.DBName = DefaultDBName(o.Name)
	}
	if o.Port == 0 {
		o.Port = DefaultPort
	}
	if o.StarterVersion == "" {
		o.StarterVersion = "dev"
	}
	if err := ValidateName(o.Name); err != nil {
		return o, err
	}
	if err := ValidateModule(o.Module); err != nil {
		return o, err
	}
	fs, err := NormalizeFeatures(o.Features)
	if err != nil {
		return o, err
	}
	o.Features = fs
	if err := ValidateDBName(o.DBName); err != nil {
		return o, err
	}
	if err := validateMigrationRenames(o.Migrations); err != nil {
		return o, err
	}
	return o, ValidatePort(o.Port)
}

// Has reports whether feature f is selected.
func (o Options) Has(f string) bool { return slices.Contains(o.Features, f) }

// pgReserved are PostgreSQL's reserved key words (Appendix C, "reserved" and
// "reserved (can be function or type)"): they cannot be unquoted identifiers.
//
//nolint:gochecknoglobals // a table that is never written
var pgReserved = strings.Fields(`all analyse analyze and any array as asc asymmetric authorization binary both
case cast check collate collation column concurrently constraint create cross current_catalog current_date
current_role current_schema current_time current_timestamp current_user default deferrable desc distinct do
else end except false fetch for foreign freeze from full grant group having ilike in initially inner intersect
into is isnull join lateral leading left like limit localtime localtimestamp natural not notnull null offset on
only or order outer overlaps placing primary references returning right select session_user similar some
symmetric system_user table tablesample then to trailing true union unique user using variadic verbose when
where window with`)
