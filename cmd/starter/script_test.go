package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

var updateScripts = flag.Bool("update", false, "rewrite the cmp files of testdata/script and the pages of docs/cli from the actual output")

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"starter": main})
}

// TestScript runs the CLI scripts of testdata/script (cue's cmd/cue/cmd/script_test.go
// is the model). Extra commands: `status N prog args…` runs prog and requires
// exit code N; `tree DIR` prints every path under DIR, sorted, dot-files included.
// Extra conditions: [debianpg], [otherfs].
func TestScript(t *testing.T) {
	t.Parallel()
	goEnv := realGoEnv(t)
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("..", "..", "testdata", "script"),
		UpdateScripts:       *updateScripts,
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Cmds: map[string]func(*testscript.TestScript, bool, []string){"status": cmdStatus, "tree": cmdTree,
			"replace": cmdReplace, "unconflict": cmdUnconflict},
		Condition: condition,
		Setup: func(env *testscript.Env) error {
			env.Setenv("XDG_CONFIG_HOME", filepath.Join(env.WorkDir, ".config"))
			// testscript puts the starter command first on PATH; scripts that
			// hide the other tools set PATH=$STARTER_BIN.
			env.Setenv("STARTER_BIN", filepath.SplitList(os.Getenv("PATH"))[0])
			for k, v := range goEnv {
				env.Setenv(k, v)
			}
			return setupOtherFS(env)
		},
	})
}

// realGoEnv keeps the scripts' go commands on the real build and module
// caches (testscript sets HOME to /no-home).
func realGoEnv(t *testing.T) map[string]string {
	names := []string{"GOCACHE", "GOMODCACHE", "GOPATH"}
	out, err := exec.Command("go", append([]string{"env"}, names...)...).Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	env := map[string]string{}
	for i, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		env[names[i]] = line
	}
	return env
}

// otherFS is a tmpfs on Linux, a filesystem other than the one of the
// scripts' work directories.
const otherFS = "/dev/shm"

// setupOtherFS gives a script $OTHERFS, a fresh directory on otherFS (when
// there is one), removed at the end.
func setupOtherFS(env *testscript.Env) error {
	if fi, err := os.Stat(otherFS); err != nil || !fi.IsDir() {
		return nil
	}
	dir, err := os.MkdirTemp(otherFS, "starter-script-")
	if err != nil {
		return err
	}
	env.Defer(func() { os.RemoveAll(dir) })
	env.Setenv("OTHERFS", dir)
	return nil
}

// condition adds [debianpg]: PostgreSQL is installed under /usr/lib/postgresql,
// and [otherfs]: $OTHERFS is set.
func condition(cond string) (bool, error) {
	switch cond {
	case "debianpg":
		matches, err := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
		return len(matches) > 0, err
	case "otherfs":
		fi, err := os.Stat(otherFS)
		return err == nil && fi.IsDir(), nil
	}
	return false, fmt.Errorf("unknown condition %q", cond)
}

func cmdStatus(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: status N prog [args...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var xe *exec.ExitError
	switch {
	case errors.As(err, &xe):
		got = xe.ExitCode()
	case err != nil:
		ts.Fatalf("%s: %v", args[1], err)
	}
	if got != want {
		ts.Fatalf("%s exited with %d, want %d", args[1], got, want)
	}
}

func cmdTree(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: tree DIR")
	}
	root := ts.MkAbs(args[0])
	out := ts.Stdout() // taken first, so that an empty tree prints nothing
	ts.Check(filepath.WalkDir(root, func(name string, d fs.DirEntry, err error) error {
		if err != nil || name == root {
			return err
		}
		if d.Name() == ".tmp" { // testscript's TMPDIR
			return filepath.SkipDir
		}
		rel, _ := filepath.Rel(root, name)
		if d.IsDir() {
			rel += "/"
		}
		_, err = fmt.Fprintln(out, filepath.ToSlash(rel))
		return err
	}))
}
