package generator

import (
	"strconv"
	"strings"
	"testing"
)

func TestValidateName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, rule string // rule "" means valid
	}{
		{"demo", ""},
		{"my_app2", ""},
		{"a", ""},
		{"My-App", "must be a lowercase Go identifier"},
		{"my-app", "must be a lowercase Go identifier"},
		{"2app", "must be a lowercase Go identifier"},
		{"", "must be a lowercase Go identifier"},
		{"app.v2", "must be a lowercase Go identifier"},
		{"func", "must not be a Go keyword"},
		{"package", "must not be a Go keyword"},
		{strings.Repeat("a", 64), "at most 63"},
	}
	for _, tt := range tests {
		checkRule(t, "name", tt.name, ValidateName(tt.name), tt.rule)
	}
}

func TestValidateModule(t *testing.T) {
	t.Parallel()
	tests := []struct{ path, rule string }{
		{"example.com/demo", ""},
		{"github.com/acme/demo/v2", ""},
		{"demo", "missing dot in first path element"},
		{"", "not a valid Go module path"},
		{"example.com/de mo", "not a valid Go module path"},
		{"/abs/path", "not a valid Go module path"},
		{"example.com/demo/", "not a valid Go module path"},
	}
	for _, tt := range tests {
		checkRule(t, "module", tt.path, ValidateModule(tt.path), tt.rule)
	}
}

func TestValidateDBName(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, rule string }{
		{"demo", ""},
		{"_demo_1", ""},
		{"Demo", "must be a PostgreSQL identifier"},
		{"demo-db", "must be a PostgreSQL identifier"},
		{"1demo", "must be a PostgreSQL identifier"},
		{"", "must be a PostgreSQL identifier"},
		{"user", "reserved word"},
		{"select", "reserved word"},
		{strings.Repeat("d", 64), "at most 63"},
	}
	for _, tt := range tests {
		checkRule(t, "db name", tt.name, ValidateDBName(tt.name), tt.rule)
	}
}

func TestParsePort(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int
		rule string
	}{
		{"8080", 8080, ""},
		{"1", 1, ""},
		{"65535", 65535, ""},
		{"0", 0, "between 1 and 65535"},
		{"65536", 0, "between 1 and 65535"},
		{"-1", 0, "between 1 and 65535"},
		{"http", 0, "between 1 and 65535"},
		{"", 0, "between 1 and 65535"},
	}
	for _, tt := range tests {
		got, err := ParsePort(tt.in)
		checkRule(t, "port", tt.in, err, tt.rule)
		if err == nil && got != tt.want {
			t.Errorf("ParsePort(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestParseFeatures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want, err string
	}{
		{"", "", ""},
		{"auth", "auth", ""},
		{"tasks,auth", "auth,tasks", ""},
		{" auth , tasks ,auth", "auth,tasks", ""},
		{"tasks", "", `invalid features "tasks": tasks requires auth (use --features auth,tasks)`},
		{"auth,billing", "", `invalid feature "billing": must be one of auth, tasks`},
	}
	for _, tt := range tests {
		got, err := ParseFeatures(tt.in)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err || !IsInputError(err) {
				t.Errorf("ParseFeatures(%q) error = %v, want input error %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || strings.Join(got, ",") != tt.want {
			t.Errorf("ParseFeatures(%q) = %v, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestNormalizeDefaults(t *testing.T) {
	t.Parallel()
	o, err := Options{Name: "demo", Module: "example.com/demo", Features: []string{"tasks", "auth"}}.Normalize()
	if err != nil {
		t.Fatal(err)
	}
	if o.DBName != "demo" || o.Port != DefaultPort || o.StarterVersion != "dev" || strings.Join(o.Features, ",") != "auth,tasks" {
		t.Errorf("Normalize = %+v", o)
	}
	// The default db name comes from the name; a reserved one gets a suffix.
	o, err = Options{Name: "full", Module: "example.com/full"}.Normalize()
	if err != nil || o.DBName != "full_db" {
		t.Errorf("Normalize(full) = %q, %v; want database full_db", o.DBName, err)
	}
	// A db name that is given is taken as it is, and checked.
	_, err = Options{Name: "demo", Module: "example.com/demo", DBName: "user"}.Normalize()
	checkRule(t, "db name", "user", err, "reserved word")
}

// TestDefaultDBName: every valid project name has a valid default database
// name, its own unless PostgreSQL reserves it.
func TestDefaultDBName(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, want string }{
		{"demo", "demo"},
		{"my_app2", "my_app2"},
		{"full", "full_db"},
		{"user", "user_db"},
		{"order", "order_db"},
		{"table", "table_db"},
		{"", ""},
	}
	for _, tt := range tests {
		got := DefaultDBName(tt.name)
		if got != tt.want {
			t.Errorf("DefaultDBName(%q) = %q, want %q", tt.name, got, tt.want)
		}
		if got != "" {
			if err := ValidateDBName(got); err != nil {
				t.Errorf("DefaultDBName(%q) = %q: %v", tt.name, got, err)
			}
		}
	}
	for _, word := range pgReserved {
		if ValidateName(word) != nil {
			continue // not a project name either (a Go keyword)
		}
		if err := ValidateDBName(DefaultDBName(word)); err != nil {
			t.Errorf("project %q: default database: %v", word, err)
		}
	}
}

// checkRule asserts that err is nil when rule is "", and otherwise a one-line
// *InputError naming the field, quoting the value and stating the rule.
func checkRule(t *testing.T, field, value string, err error, rule string) {
	t.Helper()
	if rule == "" {
		if err != nil {
			t.Errorf("%s %q: unexpected error %v", field, value, err)
		}
		return
	}
	if err == nil {
		t.Errorf("%s %q: no error, want one with %q", field, value, rule)
		return
	}
	msg := err.Error()
	prefix := "invalid " + field + " " + strconv.Quote(value) + ": "
	if !IsInputError(err) || !strings.HasPrefix(msg, prefix) || !strings.Contains(msg, rule) || strings.Contains(msg, "\n") {
		t.Errorf("%s %q: error %q, want %q…%q on one line", field, value, msg, prefix, rule)
	}
}
