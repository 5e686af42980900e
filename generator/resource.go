package generator

import (
	"fmt"
	"go/token"
	"slices"
	"strings"
)

// Who may reach the rows of a generated resource (ProjectResource.Access).
const (
	// AccessOwned: rows belong to their creator; users see and change their
	// own, moderators and admins everyone's. The default with auth.
	AccessOwned = "owned"
	// AccessPublic: anyone reads; moderators and admins write.
	AccessPublic = "public"
	// AccessOpen: anyone reads and writes; the only choice without auth.
	AccessOpen = "open"
)

// ResourceRequest is what `starter generate resource` is asked for.
type ResourceRequest struct {
	// Name is the resource's singular name, snake_case (product).
	Name string
	// Fields are NAME:TYPE[:MODIFIER…] as typed (title:string:required,
	// category_id:ref:category).
	Fields []string
	// Owned and Public choose the access (at most one). Neither: owned when
	// the project has auth, else open.
	Owned, Public bool
	// Plural overrides the plural of Name (package, table and path).
	Plural string
	// Force rewrites the files of a resource that exists.
	Force bool
	// StarterVersion is recorded nowhere yet; it names the generator in
	// messages. Default: "dev".
	StarterVersion string
}

// FieldTypes are the types of a resource's fields, as typed on the command
// line (ref is written ref:OTHER).
var FieldTypes = []string{"string", "text", "int", "float", "decimal", "bool", "time", "date", "uuid", "json", "ref"} //nolint:gochecknoglobals // a table that is never written

// FieldModifiers are the modifiers a field may carry after its type.
var FieldModifiers = []string{"required", "unique", "index", "optional"} //nolint:gochecknoglobals // a table that is never written

// implicitColumns are every resource's own columns (created_by when owned).
var implicitColumns = []string{"id", "created_at", "updated_at", "created_by"} //nolint:gochecknoglobals // a table that is never written

// listParams are the query parameters of every list; a filter cannot take
// their names.
var listParams = []string{"limit", "offset", "sort"} //nolint:gochecknoglobals // a table that is never written

// fieldMethods are the exported methods of the generated types that hold a
// field per column: a field of that Go name would clash with them.
var fieldMethods = []string{"Rules"} //nolint:gochecknoglobals // a table that is never written

// generatedImports are the package names the generated files import: a
// resource package of the same name would shadow one of them.
//
//nolint:gochecknoglobals // a table that is never written
var generatedImports = strings.Fields(`apperr app apptest auth config context errors fmt gin health http httpapi
	json math pgconn pgtype pgx pgxpool rand regexp slices slog strconv strings testing time utf8 uuid url`)

// maxIdentifier is PostgreSQL's longest identifier (NAMEDATALEN - 1), which
// the names of a resource's constraints and indexes must fit.
const maxIdentifier = 63

// resourceField is one validated field of a resource.
type resourceField struct {
	// Name is the field as on the command line: its JSON key and column.
	Name string
	// Type is one of FieldTypes.
	Type string
	// Ref is the resource a ref field points to.
	Ref                     *refTarget
	Required, Unique, Index bool
}

// refTarget is the resource a ref field points to.
type refTarget struct {
	ProjectResource
	Package, GoType, Human string
}

// parseField reads NAME:TYPE[:MODIFIER…]; ref:OTHER takes two parts.
func parseField(spec string, resources []ProjectResource) (*resourceField, error) {
	parts := strings.Split(spec, ":")
	if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
		return nil, &InputError{"field", spec, "must be NAME:TYPE[:MODIFIER…], e.g. title:string:required"}
	}
	f := &resourceField{Name: parts[0], Type: parts[1]}
	if err := checkIdentifier("field", f.Name); err != nil {
		return nil, err
	}
	if !slices.Contains(FieldTypes, f.Type) {
		return nil, &InputError{"type", f.Type, fmt.Sprintf("must be one of %s (field %s)", typeList(), spec)}
	}
	mods := parts[2:]
	if f.Type == "ref" {
		if len(mods) == 0 || mods[0] == "" {
			return nil, &InputError{"field", spec, "a ref names the resource it points to: NAME:ref:OTHER"}
		}
		target, err := findRef(mods[0], spec, resources)
		if err != nil {
			return nil, err
		}
		f.Ref, mods = target, mods[1:]
	}
	return f, f.applyModifiers(spec, mods)
}

func typeList() string {
	return strings.Join(FieldTypes[:len(FieldTypes)-1], ", ") + ", ref:OTHER"
}

func (f *resourceField) applyModifiers(spec string, mods []string) error {
	optional := false
	for i, m := range mods {
		switch {
		case !slices.Contains(FieldModifiers, m):
			return &InputError{"modifier", m, fmt.Sprintf("must be one of %s (field %s)", strings.Join(FieldModifiers, ", "), spec)}
		case slices.Contains(mods[:i], m):
			return &InputError{"modifier", m, fmt.Sprintf("given twice (field %s)", spec)}
		}
		switch m {
		case "required":
			f.Required = true
		case "unique":
			f.Unique = true
		case "index":
			f.Index = true
		case "optional":
			optional = true
		}
	}
	switch {
	case f.Required && optional:
		return &InputError{"field", spec, "required and optional contradict each other"}
	case (f.Unique || f.Index) && f.Type == "json":
		return &InputError{"field", spec, "a json field can be neither unique nor indexed (its values are documents, not keys)"}
	case f.Unique && f.Type == "bool":
		return &InputError{"field", spec, "a bool field cannot be unique (it has two values)"}
	}
	return nil
}

// findRef finds the resource named other among the project's.
func findRef(other, spec string, resources []ProjectResource) (*refTarget, error) {
	i := slices.IndexFunc(resources, func(r ProjectResource) bool { return r.Name == other })
	if i < 0 {
		return nil, &InputError{"ref", other, fmt.Sprintf("no resource of that name in this project (field %s; "+
			"generate it first: starter generate resource %s …)", spec, other)}
	}
	r := resources[i]
	return &refTarget{ProjectResource: r, Package: packageName(r.Plural), GoType: goName(r.Name), Human: human(r.Name)}, nil
}

// checkIdentifier checks a resource's name, plural or field: each becomes a
// Go name, a JSON key, and an unquoted PostgreSQL identifier.
func checkIdentifier(what, name string) error {
	switch {
	case !nameRE.MatchString(name) || strings.Contains(name, "__") || strings.HasSuffix(name, "_"):
		return &InputError{what, name, "must be lowercase snake_case ([a-z][a-z0-9_]*, no __, no trailing _)"}
	case token.IsKeyword(name):
		return &InputError{what, name, "must not be a Go keyword"}
	case slices.Contains(pgReserved, name):
		return &InputError{what, name, "must not be a PostgreSQL reserved word"}
	case len(name) > maxIdentifier:
		return &InputError{what, name, fmt.Sprintf("must be at most %d characters", maxIdentifier)}
	}
	return nil
}

// checkFieldName refuses the names a field cannot take beyond the
// identifier rules: the implicit columns, the list parameters, and the Go
// names of the generated types' methods.
func checkFieldName(name string) error {
	switch {
	case slices.Contains(implicitColumns, name):
		return &InputError{"field", name, "every resource has it already (id, created_at, updated_at, and created_by when owned)"}
	case slices.Contains(listParams, name):
		return &InputError{"field", name, "is a query parameter of the list (limit, offset, sort)"}
	case slices.Contains(fieldMethods, goName(name)):
		return &InputError{"field", name, "its Go name " + goName(name) + " is a method of the generated types"}
	}
	return nil
}

// Plural returns the plural of a snake_case noun by the rules of regular
// English nouns: box → boxes, category → categories, product → products.
// Irregular ones are given with --plural.
func Plural(name string) string {
	switch {
	case hasAnySuffix(name, "s", "x", "z", "ch", "sh"):
		return name + "es"
	case strings.HasSuffix(name, "y") && len(name) > 1 && !strings.ContainsAny(name[len(name)-2:len(name)-1], "aeiou"):
		return name[:len(name)-1] + "ies"
	}
	return name + "s"
}

func hasAnySuffix(s string, suffixes ...string) bool {
	return slices.ContainsFunc(suffixes, func(x string) bool { return strings.HasSuffix(s, x) })
}

// packageName is a resource's Go package (and directory under internal/):
// its plural without underscores, as Go package names go.
func packageName(plural string) string { return strings.ReplaceAll(plural, "_", "") }

// initialisms are written in capitals in Go names (Go's own naming rules).
//
//nolint:gochecknoglobals // a table that is never written
var initialisms = strings.Fields(`acl api ascii cpu css dns eof guid html http https id ip json lhs qps ram rhs rpc
	sla smtp sql ssh tcp tls ttl udp ui uid uuid uri url utf8 vm xml xmpp xsrf xss`)

// goName is the exported Go name of a snake_case name: category_id → CategoryID.
func goName(name string) string {
	var b strings.Builder
	for part := range strings.SplitSeq(name, "_") {
		if slices.Contains(initialisms, part) {
			b.WriteString(strings.ToUpper(part))
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// lowerName is the unexported Go name of a snake_case name: category_id → categoryID.
func lowerName(name string) string {
	first, rest, _ := strings.Cut(name, "_")
	if rest == "" {
		return first
	}
	return first + goName(rest)
}

// human is a snake_case name as words for messages: product_category →
// "Product category".
func human(name string) string {
	s := strings.ReplaceAll(name, "_", " ")
	return strings.ToUpper(s[:1]) + s[1:]
}

// GoName is the exported Go name of a snake_case name (category_id →
// CategoryID), as the generated code spells it.
func GoName(name string) string { return goName(name) }
