package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"example.com/demo/internal/buildinfo"
	"example.com/demo/internal/database"
	"example.com/demo/internal/platform/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

type result struct {
	code           int
	stdout, stderr string
}

// run runs the command line with env as the whole environment.
func run(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	getenv := func(k string) string { return env[k] }
	if _, ok := env["CONFIG_DIR"]; !ok {
		env["CONFIG_DIR"] = t.TempDir()
	}
	code := Main(context.Background(), append([]string{buildinfo.Name}, args...), getenv, strings.NewReader(""), &stdout, &stderr)
	return result{code, stdout.String(), stderr.String()}
}

func TestExitCodes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		env    map[string]string
		args   []string
		code   int
		stderr string
	}{
		{"help", map[string]string{}, nil, 0, ""},
		{"unknown command", map[string]string{}, []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"unknown subcommand", map[string]string{}, []string{"migrate", "sideways"}, 2, `unknown command "sideways"`},
		{"unknown flag", map[string]string{}, []string{"serve", "--nope"}, 2, "unknown flag: --nope"},
		{"extra argument", map[string]string{}, []string{"version", "extra"}, 2, "unknown command"},
		{"bad down count", map[string]string{}, []string{"migrate", "down", "zero"}, 2, `N must be a positive integer, got "zero"`},
		{"bad config", map[string]string{"PORT": "abc"}, []string{"serve"}, 1, `config: PORT: must be 1–65535, got "abc"`},
		{"health-check without database", map[string]string{}, []string{"health-check"}, 1, "DATABASE_URL is not set"},
		{"test-db status without server", map[string]string{}, []string{"test-db", "status"}, 1, "TEST_DATABASE_URL is not set"},
		{"test-db run without command", map[string]string{}, []string{"test-db", "run"}, 2, "requires a command"},
		{"test-db run with only the separator", map[string]string{}, []string{"test-db", "run", "--"}, 2, "requires a command"},
		{"chaos level out of range", map[string]string{}, []string{"chaos", "--level", "7"}, 2, "--level must be 1–"},
		{"chaos too short", map[string]string{}, []string{"chaos", "--duration", "1s"}, 1, "--duration must be at least 5s"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := run(t, tc.env, tc.args...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.stderr) {
				t.Fatalf("exit %d, stderr %q; want exit %d with %q", r.code, r.stderr, tc.code, tc.stderr)
			}
			if tc.code != 0 && strings.Count(r.stderr, tc.stderr) != 1 {
				t.Fatalf("error printed more than once: %q", r.stderr)
			}
		})
	}
}

// test-db run hands the command its own flags, with or without "--", and
// exits with the command's exit code.
func TestTestDBRunPassesFlagsAndExitCode(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"test-db", "run", "--", "sh", "-c", "exit 3"},
		{"test-db", "run", "sh", "-c", "exit 3"},
	} {
		if r := run(t, map[string]string{}, args...); r.code != 3 || r.stderr != "" {
			t.Errorf("%v: exit %d, stderr %q; want 3 and nothing printed", args, r.code, r.stderr)
		}
	}
}

func TestVersionPrintsBuildInfo(t *testing.T) {
	t.Parallel()
	r := run(t, map[string]string{}, "version")
	want := buildinfo.Name + " " + buildinfo.Version + " (commit " + buildinfo.Commit + ", built " + buildinfo.BuildTime + ")\n"
	if r.code != 0 || r.stdout != want {
		t.Fatalf("exit %d, stdout %q, want %q", r.code, r.stdout, want)
	}
}

func TestMigrateCreateWritesNextPair(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, name := range []string{"000001_core.up.sql", "000001_core.down.sql", "000007_later.up.sql"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	r := run(t, map[string]string{}, "migrate", "create", "--dir", dir, "add_widgets")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, name := range []string{"000008_add_widgets.up.sql", "000008_add_widgets.down.sql"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s not written: %v", name, err)
		}
	}
	if r := run(t, map[string]string{}, "migrate", "create", "--dir", dir, "Bad-Name"); r.code != 1 || !strings.Contains(r.stderr, `NAME "Bad-Name"`) {
		t.Fatalf("bad name: exit %d, %s", r.code, r.stderr)
	}
}

func TestMigrateDownStatusUpOnRealDatabase(t *testing.T) {
	t.Parallel()
	m, err := database.NewMigrator()
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"DATABASE_URL": pgtest.NewDatabase(t, m)}
	latest := m.Latest()
	previous := uint(0) // versions may skip numbers
	if all := m.All(); len(all) > 1 {
		previous = all[len(all)-2].Version
	}
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"migrate", "status"}, "version " + itoa(latest) + " of " + itoa(latest) + " (clean)"},
		{[]string{"migrate", "down"}, "version " + itoa(previous) + " of " + itoa(latest) + " (clean)"},
		{[]string{"migrate", "status"}, "pending " + pad(latest)},
		{[]string{"migrate", "up"}, "version " + itoa(latest) + " of " + itoa(latest) + " (clean)"},
		{[]string{"health-check"}, "ok"},
	}
	for _, s := range steps {
		r := run(t, env, s.args...)
		if r.code != 0 || !strings.Contains(r.stdout, s.want) {
			t.Fatalf("%v: exit %d, stdout %q, stderr %q; want %q", s.args, r.code, r.stdout, r.stderr, s.want)
		}
	}
}

func itoa(v uint) string { return strconv.FormatUint(uint64(v), 10) }

func pad(v uint) string { return fmt.Sprintf("%06d", v) }
