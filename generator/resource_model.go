package generator

import (
	"fmt"
	"slices"
	"strings"
)

// resourceData is what the templates of templates/resource see: a validated
// resource and the project it goes into. Its methods and those of
// resourceField spell the Go, SQL and YAML the templates need.
type resourceData struct {
	// Module is the project's Go module.
	Module string
	// Name, Plural: product, products (Plural is also the table and the path).
	Name, Plural string
	// Access is AccessOwned, AccessPublic or AccessOpen.
	Access string
	Fields []*resourceField
	// Migration is the base name of the migration (000006_create_products).
	Migration string
}

func (r *resourceData) Owned() bool  { return r.Access == AccessOwned }
func (r *resourceData) Public() bool { return r.Access == AccessPublic }
func (r *resourceData) Open() bool   { return r.Access == AccessOpen }

// Auth: the routes need a session for something (owned or public).
func (r *resourceData) Auth() bool { return r.Access != AccessOpen }

// Package is the Go package and the directory under internal/.
func (r *resourceData) Package() string { return packageName(r.Plural) }

// Type is the Go type of a row: Product.
func (r *resourceData) Type() string { return goName(r.Name) }

// Types is the plural in Go: Products (operation ids).
func (r *resourceData) Types() string { return goName(r.Plural) }

// Var is a variable holding a row: product.
func (r *resourceData) Var() string { return lowerName(r.Name) }

// Human is the name in messages: "Product category".
func (r *resourceData) Human() string { return human(r.Name) }

// Words is the name inside sentences: "product category".
func (r *resourceData) Words() string { return strings.ReplaceAll(r.Name, "_", " ") }

// PluralWords is the plural inside sentences: "product categories".
func (r *resourceData) PluralWords() string { return strings.ReplaceAll(r.Plural, "_", " ") }

// Feature is the type internal/app registers: productsFeature.
func (r *resourceData) Feature() string { return lowerName(r.Plural) + "Feature" }

// Path is the collection's route.
func (r *resourceData) Path() string { return "/api/v1/" + r.Plural }

// Has reports whether a field of type t exists.
func (r *resourceData) Has(t string) bool {
	return slices.ContainsFunc(r.Fields, func(f *resourceField) bool { return f.Type == t })
}

// Parses reports whether a field of type t is parsed from a string: in a
// body (decimal, time, date, uuid, ref) or in a filter (any filterable type).
func (r *resourceData) Parses(t string) bool {
	return slices.ContainsFunc(r.Fields, func(f *resourceField) bool {
		return f.parseType() == t && (f.StringBody() || f.Filterable()) && f.Parser() != ""
	})
}

// StringBodies: a field whose JSON value is a string to parse, other than
// a date (decimal, time, uuid, ref).
func (r *resourceData) StringBodies() bool {
	return slices.ContainsFunc(r.Fields, func(f *resourceField) bool { return f.StringBody() && f.Type != "date" })
}

// Required are the fields a POST and a PUT must give.
func (r *resourceData) Required() []*resourceField { return r.filter((*resourceField).isRequired) }

// Filters are the fields a list filters on (?field=value).
func (r *resourceData) Filters() []*resourceField { return r.filter((*resourceField).Filterable) }

// Sorts are the fields a list sorts on (?sort=field).
func (r *resourceData) Sorts() []*resourceField { return r.filter((*resourceField).Sortable) }

// Uniques are the fields whose values are unique.
func (r *resourceData) Uniques() []*resourceField {
	return r.filter(func(f *resourceField) bool { return f.Unique })
}

// Refs are the fields that point to another resource.
func (r *resourceData) Refs() []*resourceField {
	return r.filter(func(f *resourceField) bool { return f.Ref != nil })
}

// Indexed are the fields with an index of their own (index, or a ref's
// foreign key); unique ones have the unique constraint's.
func (r *resourceData) Indexed() []*resourceField {
	return r.filter(func(f *resourceField) bool { return !f.Unique && (f.Index || f.Ref != nil) })
}

// OwnedRefs: refs to owned resources, whose rows a user may not see.
func (r *resourceData) OwnedRefs() bool {
	return slices.ContainsFunc(r.Refs(), func(f *resourceField) bool { return f.Ref.Access == AccessOwned })
}

// ScopedRefs: the refs' visibility depends on the caller (an owned resource
// pointing to owned rows); a public resource is written by moderators, who
// see every row.
func (r *resourceData) ScopedRefs() bool { return r.Owned() && r.OwnedRefs() }

func (r *resourceData) filter(keep func(*resourceField) bool) []*resourceField {
	var out []*resourceField
	for _, f := range r.Fields {
		if keep(f) {
			out = append(out, f)
		}
	}
	return out
}

// SortKeys are the values ?sort= takes, in order: created_at, then each
// sortable field, then updated_at; each also with "-".
func (r *resourceData) SortKeys() []string {
	keys := []string{"created_at"}
	for _, f := range r.Sorts() {
		keys = append(keys, f.Name)
	}
	keys = append(keys, "updated_at")
	var out []string
	for _, k := range keys {
		out = append(out, k, "-"+k)
	}
	return out
}

// ColumnWidth is the width of the widest column name, for aligned SQL.
func (r *resourceData) ColumnWidth() int {
	w := len("created_at")
	for _, f := range r.Fields {
		w = max(w, len(f.Name))
	}
	return w
}

// TypeWidth is the width of the widest SQL type, for aligned SQL.
func (r *resourceData) TypeWidth() int {
	w := len("timestamptz")
	for _, f := range r.Fields {
		w = max(w, len(f.SQLType()))
	}
	return w
}

// Columns is every column in the order the store scans them.
func (r *resourceData) Columns() []string { return strings.Split(r.ColumnList(), ", ") }

// ScanTargets are the arguments of Scan, in the order of Columns.
func (r *resourceData) ScanTargets() []string {
	var out []string
	for _, c := range r.Columns() {
		out = append(out, "&"+r.Var()+"."+goName(c))
	}
	return out
}

// InsertColumns, InsertParams and InsertArgs are the columns, parameters
// and arguments of the INSERT of Create.
func (r *resourceData) InsertColumns() []string {
	var out []string
	for _, f := range r.Fields {
		out = append(out, f.Name)
	}
	if r.Owned() {
		out = append(out, "created_by")
	}
	return out
}

func (r *resourceData) InsertParams() []string {
	var out []string
	for i, f := range r.Fields {
		out = append(out, fmt.Sprintf("$%d::%s", i+1, f.Cast()))
	}
	if r.Owned() {
		out = append(out, fmt.Sprintf("$%d::uuid", len(r.Fields)+1))
	}
	return out
}

func (r *resourceData) InsertArgs() []string {
	var out []string
	for _, f := range r.Fields {
		out = append(out, "in."+f.GoName())
	}
	if r.Owned() {
		out = append(out, "createdBy")
	}
	return out
}

// ColumnDefs are the column definitions of CREATE TABLE, aligned.
func (r *resourceData) ColumnDefs() []string {
	nw, tw := r.ColumnWidth(), r.TypeWidth()
	def := func(name, typ, rest string) string {
		if rest == "" {
			return fmt.Sprintf("%-*s %s", nw, name, typ)
		}
		return fmt.Sprintf("%-*s %-*s %s", nw, name, tw, typ, rest)
	}
	out := []string{def("id", "uuid", "PRIMARY KEY DEFAULT gen_random_uuid()")}
	for _, f := range r.Fields {
		out = append(out, def(f.Name, f.SQLType(), strings.TrimSpace(f.ColumnConstraints(r.Plural))))
	}
	if r.Owned() {
		out = append(out, def("created_by", "uuid", "CONSTRAINT "+r.Plural+"_created_by_fkey REFERENCES users (id) ON DELETE SET NULL"))
	}
	return append(out, def("created_at", "timestamptz", "NOT NULL DEFAULT now()"), def("updated_at", "timestamptz", "NOT NULL DEFAULT now()"))
}

// ColumnList is every column in the order the store scans them.
func (r *resourceData) ColumnList() string {
	cols := []string{"id"}
	for _, f := range r.Fields {
		cols = append(cols, f.Name)
	}
	if r.Owned() {
		cols = append(cols, "created_by")
	}
	return strings.Join(append(cols, "created_at", "updated_at"), ", ")
}

// identifiers are the names of the table's constraints, indexes and trigger,
// which PostgreSQL would cut beyond 63 characters.
func (r *resourceData) identifiers() []string {
	ids := []string{r.Plural + "_pkey", r.Plural + "_created_at_idx", r.Plural + "_updated_at"}
	if r.Owned() {
		ids = append(ids, r.Plural+"_created_by_idx", r.Plural+"_created_by_fkey")
	}
	for _, f := range r.Fields {
		ids = append(ids, f.Constraints(r.Plural)...)
	}
	return ids
}

// GoName is the field's exported Go name: category_id → CategoryID.
func (f *resourceField) GoName() string { return goName(f.Name) }

// Human is the field's name in messages.
func (f *resourceField) Human() string { return human(f.Name) }

func (f *resourceField) isRequired() bool { return f.Required }

// Nullable: the column takes NULL (the field is not required).
func (f *resourceField) Nullable() bool { return !f.Required }

// Filterable: ?field= filters the list (index and unique fields, and refs,
// whose foreign key is indexed).
func (f *resourceField) Filterable() bool { return f.Index || f.Unique || f.Ref != nil }

// Sortable: ?sort=field orders the list (any field but a JSON document).
func (f *resourceField) Sortable() bool { return f.Type != "json" }

// StringBody: the JSON value is a string the service parses (400 when it
// does not parse).
func (f *resourceField) StringBody() bool {
	return slices.Contains([]string{"decimal", "time", "date", "uuid", "ref"}, f.Type)
}

// parseType is the parser a value of the field goes through (refs are UUIDs).
func (f *resourceField) parseType() string {
	if f.Type == "ref" {
		return "uuid"
	}
	return f.Type
}

// SQLType is the column's type.
func (f *resourceField) SQLType() string {
	return map[string]string{"string": "varchar(255)", "text": "text", "int": "bigint", "float": "double precision",
		"decimal": "numeric", "bool": "boolean", "time": "timestamptz", "date": "date", "uuid": "uuid",
		"json": "jsonb", "ref": "uuid"}[f.Type]
}

// Cast is the type a query parameter of the field is cast to: explicit, so
// that the query works in every pgx query mode (the simple protocol and
// exec modes send untyped text).
func (f *resourceField) Cast() string {
	return map[string]string{"string": "text", "text": "text", "int": "bigint", "float": "float8",
		"decimal": "numeric", "bool": "boolean", "time": "timestamptz", "date": "date", "uuid": "uuid",
		"json": "jsonb", "ref": "uuid"}[f.Type]
}

// base is the Go type of a value of the field.
func (f *resourceField) base() string {
	return map[string]string{"string": "string", "text": "string", "int": "int64", "float": "float64",
		"decimal": "string", "bool": "bool", "time": "time.Time", "date": "pgtype.Date", "uuid": "uuid.UUID",
		"json": "json.RawMessage", "ref": "uuid.UUID"}[f.Type]
}

// nilable: the Go type has its own null (pgtype.Date's Valid, a nil RawMessage).
func (f *resourceField) nilable() bool { return f.Type == "date" || f.Type == "json" }

// RowType is the field's type in the row: a pointer when it may be null.
func (f *resourceField) RowType() string {
	if f.Required || f.nilable() {
		return f.base()
	}
	return "*" + f.base()
}

// InputType is the field's type in a validated body: nil is NULL.
func (f *resourceField) InputType() string {
	if f.nilable() {
		return f.base()
	}
	return "*" + f.base()
}

// BodyType is the type of the field's JSON value in a request.
func (f *resourceField) BodyType() string {
	if f.StringBody() {
		return "string"
	}
	return f.base()
}

// FilterType is the type of the field's filter (nil: no filter).
func (f *resourceField) FilterType() string { return "*" + f.base() }

// Parser is the function that reads the field's filter, or its value in a
// body when the JSON value is a string to parse.
func (f *resourceField) Parser() string {
	return map[string]string{"int": "parseInt", "float": "parseFloat",
		"decimal": "parseDecimal", "bool": "parseBool", "time": "parseTime", "date": "parseDate",
		"uuid": "parseUUID", "ref": "parseUUID"}[f.Type]
}

// Rule is the rule of the field's string format, in error messages.
func (f *resourceField) Rule() string {
	return map[string]string{"int": "ruleInt", "float": "ruleFloat",
		"decimal": "ruleDecimal", "bool": "ruleBool", "time": "ruleTime", "date": "ruleDate",
		"uuid": "ruleUUID", "ref": "ruleUUID"}[f.Type]
}

// Constraints are the names of the field's constraints and index.
func (f *resourceField) Constraints(table string) []string {
	var out []string
	if f.Unique {
		out = append(out, f.UniqueName(table))
	}
	if f.Ref != nil {
		out = append(out, f.FKName(table))
	}
	if !f.Unique && (f.Index || f.Ref != nil) {
		out = append(out, f.IndexName(table))
	}
	return out
}

func (f *resourceField) UniqueName(table string) string { return table + "_" + f.Name + "_key" }
func (f *resourceField) FKName(table string) string     { return table + "_" + f.Name + "_fkey" }
func (f *resourceField) IndexName(table string) string  { return table + "_" + f.Name + "_idx" }

// Schema is the field's OpenAPI schema in flow style; nullable adds null.
func (f *resourceField) Schema(nullable bool) string {
	s := map[string]string{
		"string":  "type: string, maxLength: 255",
		"text":    "type: string",
		"int":     "type: integer, format: int64",
		"float":   "type: number, format: double",
		"decimal": `type: string, pattern: '^-?[0-9]+(\.[0-9]+)?$', description: 'An exact decimal number, as a string.', example: '19.99'`,
		"bool":    "type: boolean",
		"time":    "type: string, format: date-time",
		"date":    "type: string, format: date",
		"uuid":    "type: string, format: uuid",
		"json":    "description: 'Any JSON value.'",
		"ref":     "type: string, format: uuid",
	}[f.Type]
	if f.Ref != nil {
		s += fmt.Sprintf(", description: 'The id of a %s.'", strings.ReplaceAll(f.Ref.Name, "_", " "))
	}
	if nullable {
		s += ", nullable: true"
	}
	return "{" + s + "}"
}

// FilterSchema is the schema of the field's query parameter.
func (f *resourceField) FilterSchema() string {
	if f.Type == "json" {
		return ""
	}
	return f.Schema(false)
}

// HumanPlural is the plural in messages: "Product categories".
func (r *resourceData) HumanPlural() string { return human(r.Plural) }

// SortNames lists the fields ?sort= takes, for its error message.
func (r *resourceData) SortNames() string {
	names := []string{"created_at"}
	for _, f := range r.Sorts() {
		names = append(names, f.Name)
	}
	return strings.Join(append(names, "updated_at"), ", ")
}

// ParsedFilters: a filter whose value is parsed (anything but text).
func (r *resourceData) ParsedFilters() bool {
	return slices.ContainsFunc(r.Filters(), func(f *resourceField) bool { return f.Parser() != "" })
}

// RequiredRefs are the refs a body must give.
func (r *resourceData) RequiredRefs() []*resourceField {
	return r.filter(func(f *resourceField) bool { return f.Ref != nil && f.Required })
}

// FirstNullable is the first field that may be null, if any.
func (r *resourceData) FirstNullable() *resourceField {
	if n := r.filter((*resourceField).Nullable); len(n) > 0 {
		return n[0]
	}
	return nil
}

// Suite, Setup, PathConst and PathFunc name the test file's helpers.
func (r *resourceData) Suite() string     { return lowerName(r.Plural) + "API" }
func (r *resourceData) Setup() string     { return "setup" + goName(r.Plural) }
func (r *resourceData) PathConst() string { return lowerName(r.Plural) + "Path" }
func (r *resourceData) PathFunc() string {
	if r.Name == r.Plural {
		return lowerName(r.Name) + "ItemPath"
	}
	return lowerName(r.Name) + "Path"
}

// RefToken is the argument a factory passes to the factory of a ref's
// resource: the caller's token, a moderator's when only moderators write
// that resource, nothing when it takes none.
func (r *resourceData) RefToken(f *resourceField) string {
	switch {
	case f.Ref.Access == AccessOpen:
		return ""
	case f.Ref.Access == AccessPublic && r.Owned():
		return "ta.CreateAuthUser(auth.RoleModerator).Token, "
	}
	return "token, "
}

// TestRefToken is RefToken in the test file, where the suite has a moderator.
func (r *resourceData) TestRefToken(f *resourceField) string {
	switch f.Ref.Access {
	case AccessOpen:
		return ""
	case AccessPublic:
		return "a.moderator.Token, "
	}
	return "a.writer, "
}

// RefDelete is the call that deletes the row target of a ref's resource in
// the test file, as a moderator (who may delete any row) when it has auth.
func (r *resourceData) RefDelete(f *resourceField) string {
	path := `"/api/v1/` + f.Ref.Plural + `/"+target.ID.String()`
	if f.Ref.Access == AccessOpen {
		return "Delete(" + path + ")"
	}
	return "DeleteAuth(" + path + ", a.moderator.Token)"
}

// typeTest is the validation test of the fields of one type.
type typeTest struct {
	Type, Title string
	Fields      []*resourceField
	Bad         []badValue
}

// badValue is a value a field of some type refuses, and the answer.
type badValue struct {
	Value  string // a Go expression
	Status int
	Code   string
}

// TypeTests are the validation tests, one per type of the resource's fields.
func (r *resourceData) TypeTests() []typeTest {
	var out []typeTest
	for _, t := range FieldTypes {
		fields := r.filter(func(f *resourceField) bool { return f.Type == t })
		if len(fields) > 0 {
			out = append(out, typeTest{Type: t, Title: typeTitles[t], Fields: fields, Bad: badValues(t)})
		}
	}
	return out
}

var typeTitles = map[string]string{"string": "String", "text": "Text", "int": "Int", "float": "Float", //nolint:gochecknoglobals // a table that is never written
	"decimal": "Decimal", "bool": "Bool", "time": "Time", "date": "Date", "uuid": "UUID", "json": "JSON", "ref": "Ref"}

func badValues(t string) []badValue {
	const (
		invalid = "VALIDATION_FAILED"
		shape   = "UNPROCESSABLE_ENTITY"
	)
	bad := func(v string) badValue { return badValue{v, 400, invalid} }
	wrongType := func(v string) badValue { return badValue{v, 422, shape} }
	return map[string][]badValue{
		"string":  {bad(`strings.Repeat("é", 256)`), wrongType("42")},
		"text":    {wrongType("42"), wrongType(`[]string{"a"}`)},
		"int":     {wrongType(`"12"`), wrongType("1.5")},
		"float":   {wrongType(`"1.5"`), wrongType("true")},
		"decimal": {bad(`"12,50"`), bad(`"1e5"`), wrongType("12.5")},
		"bool":    {wrongType(`"true"`), wrongType("1")},
		"time":    {bad(`"2030-01-02"`), bad(`"yesterday"`), wrongType("42")},
		"date":    {bad(`"2030-02-30"`), bad(`"2030-01-02T00:00:00Z"`), wrongType("20300102")},
		"uuid":    {bad(`"not-a-uuid"`), bad(`"{" + uuid.NewString() + "}"`), wrongType("42")},
		"ref":     {bad("uuid.NewString()"), bad(`"nope"`), wrongType("42")},
	}[t]
}

// BadFilter is a value the field's filter refuses ("" for text, which takes any).
func (f *resourceField) BadFilter() string {
	return map[string]string{"int": "x", "float": "x", "decimal": "1,5", "bool": "maybe", "time": "yesterday",
		"date": "2030-02-30", "uuid": "nope", "ref": "nope"}[f.Type]
}

// Sample is the i-th (0 or 1) of two values of the field for the tests, the
// first below the second in the field's order (refs are made by the tests).
func (f *resourceField) Sample(i int) string {
	return map[string][2]string{
		"string":  {`"alpha"`, `"bravo"`},
		"text":    {`"alpha"`, `"bravo"`},
		"int":     {"int64(1)", "int64(2)"},
		"float":   {"1.5", "2.5"},
		"decimal": {`"1.50"`, `"2.50"`},
		"bool":    {"false", "true"},
		"time":    {`"2030-01-01T00:00:00Z"`, `"2030-06-01T12:30:00Z"`},
		"date":    {`"2030-01-01"`, `"2030-06-01"`},
		"uuid":    {`"00000000-0000-4000-8000-000000000001"`, `"ffffffff-ffff-4fff-bfff-ffffffffffff"`},
		"json":    {`map[string]any{"a": 1.0}`, `[]any{"b", 2.0}`},
	}[f.Type][i]
}

// RefVars, RefLo and RefHi name the test's two rows of a ref's resource.
func (f *resourceField) RefLo() string   { return lowerName(f.Name) + "Lo" }
func (f *resourceField) RefHi() string   { return lowerName(f.Name) + "Hi" }
func (f *resourceField) RefVars() string { return f.RefLo() + ", " + f.RefHi() }

// FactoryValue is the value a factory gives a required or unique field:
// fresh for a unique one (TestApp.Unique), far from the tests' samples.
func (f *resourceField) FactoryValue() string {
	if f.Unique {
		return map[string]string{
			"string":  fmt.Sprintf(`fmt.Sprintf("%s %%d", ta.Unique())`, f.Name),
			"text":    fmt.Sprintf(`fmt.Sprintf("%s %%d", ta.Unique())`, f.Name),
			"int":     "1_000_000 + ta.Unique()",
			"float":   "float64(1_000_000 + ta.Unique())",
			"decimal": `fmt.Sprintf("%d.50", 1_000_000+ta.Unique())`,
			"time":    "time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(ta.Unique()) * time.Hour).Format(time.RFC3339)",
			"date":    "time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(ta.Unique())).Format(time.DateOnly)",
			"uuid":    "uuid.NewString()",
		}[f.Type]
	}
	return map[string]string{
		"string": fmt.Sprintf("%q", "sample "+strings.ReplaceAll(f.Name, "_", " ")), "text": `"Some text."`,
		"int": "int64(42)", "float": "1.5", "decimal": `"19.99"`, "bool": "true", "time": `"2030-01-02T15:04:05Z"`,
		"date": `"2030-01-02"`, "uuid": "uuid.NewString()", "json": `map[string]any{"key": "value"}`,
	}[f.Type]
}

// ColumnConstraints follow the column's type in CREATE TABLE.
func (f *resourceField) ColumnConstraints(table string) string {
	var b strings.Builder
	if f.Required {
		b.WriteString(" NOT NULL")
	}
	if f.Unique {
		fmt.Fprintf(&b, " CONSTRAINT %s UNIQUE", f.UniqueName(table))
	}
	if f.Ref != nil {
		fmt.Fprintf(&b, " CONSTRAINT %s REFERENCES %s (id)", f.FKName(table), f.Ref.Plural)
	}
	return b.String()
}
