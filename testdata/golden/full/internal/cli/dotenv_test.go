package cli

import (
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"example.com/demo/internal/buildinfo"
)

func TestDotEnvFillsInWhatTheEnvironmentLacks(t *testing.T) {
	t.Parallel()
	const file = "# local settings\nDATABASE_URL=postgres://file/db\nexport LOG_LEVEL=\"debug\" # quoted\nPORT=9001\n"
	cases := []struct {
		name  string
		file  string // "" for no file
		env   map[string]string
		want  map[string]string // variable → value seen
		added []string
		err   string
	}{
		{"no file", "", map[string]string{"PORT": "8081"},
			map[string]string{"PORT": "8081", "DATABASE_URL": ""}, nil, ""},
		{"file fills in", file, map[string]string{},
			map[string]string{"DATABASE_URL": "postgres://file/db", "LOG_LEVEL": "debug", "PORT": "9001"},
			[]string{"DATABASE_URL", "LOG_LEVEL", "PORT"}, ""},
		{"the environment wins", file, map[string]string{"PORT": "8081", "APP_ENV": "test"},
			map[string]string{"PORT": "8081", "APP_ENV": "test", "DATABASE_URL": "postgres://file/db"},
			[]string{"DATABASE_URL", "LOG_LEVEL"}, ""},
		{"never in production", file, map[string]string{"APP_ENV": "production"},
			map[string]string{"DATABASE_URL": "", "PORT": ""}, nil, ""},
		{"the file cannot choose production", "APP_ENV=production\n", map[string]string{},
			nil, nil, "APP_ENV=production: the file is read in development and test only"},
		{"the environment's APP_ENV wins over the file's", "APP_ENV=production\nPORT=9001\n", map[string]string{"APP_ENV": "development"},
			map[string]string{"APP_ENV": "development", "PORT": "9001"}, []string{"PORT"}, ""},
		{"malformed file", "PASSWORD=\"unterminated\n", map[string]string{}, nil, nil, ".env: "},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), ".env")
			if tc.file != "" {
				if err := os.WriteFile(path, []byte(tc.file), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			getenv, added, err := withDotEnv(path, func(k string) string { return tc.env[k] })
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for k, want := range tc.want {
				if got := getenv(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			if keys := slices.Sorted(maps.Keys(added)); !slices.Equal(keys, tc.added) {
				t.Errorf("added %v, want %v", keys, tc.added)
			}
		})
	}
}

// The binary reads .env from its working directory, under the real
// environment: run in a directory holding a .env, in a process of its own.
func TestMainReadsDotEnvOfTheWorkingDirectory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte("PORT=abc\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		env    []string
		stderr string
	}{
		{nil, `config: PORT: must be 1–65535, got "abc"`},
		{[]string{"PORT=8081"}, "DATABASE_URL is not set"},
	}
	for _, tc := range cases {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperMain$")
		cmd.Dir = dir
		cmd.Env = append(withoutVars(os.Environ(), "PORT", "DATABASE_URL", "APP_ENV", "CONFIG_DIR"),
			append(tc.env, "CLI_HELPER_MAIN=health-check")...)
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), tc.stderr) {
			t.Errorf("env %v: err %v, output %q; want a failure saying %q", tc.env, err, out, tc.stderr)
		}
	}
}

// TestHelperMain runs the command line named by CLI_HELPER_MAIN as the
// binary would, with this process's environment and working directory.
func TestHelperMain(t *testing.T) {
	args := os.Getenv("CLI_HELPER_MAIN")
	if args == "" {
		return
	}
	os.Exit(Main(t.Context(), append([]string{buildinfo.Name}, strings.Fields(args)...), os.Getenv,
		strings.NewReader(""), os.Stdout, os.Stderr))
}

func withoutVars(environ []string, keys ...string) []string {
	return slices.DeleteFunc(slices.Clone(environ), func(kv string) bool {
		k, _, _ := strings.Cut(kv, "=")
		return slices.Contains(keys, k)
	})
}

// test-db run hands the variables .env added to the command it runs.
func TestTestDBRunPassesDotEnvVariables(t *testing.T) {
	t.Parallel()
	var stdout, stderr strings.Builder
	e := &env{getenv: func(string) string { return "" }, stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
		dotenv: map[string]string{"TEST_DATABASE_URL": "postgres://from-dotenv/x", "DOTENV_ONLY": "seen"}}
	root := newRootCmd(e)
	root.SetArgs([]string{"test-db", "run", "--", "sh", "-c", `echo "$TEST_DATABASE_URL $DOTENV_ONLY"`})
	if err := root.ExecuteContext(t.Context()); err != nil {
		t.Fatalf("%v; stderr %s", err, stderr.String())
	}
	if got := strings.TrimSpace(stdout.String()); got != "postgres://from-dotenv/x seen" {
		t.Errorf("the command saw %q", got)
	}
}
