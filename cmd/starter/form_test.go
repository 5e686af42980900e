package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/spf13/viper"

	"github.com/starter-go/starter/generator"
	startrt "github.com/starter-go/starter/runtime"
	"github.com/starter-go/starter/templates"
)

// testEnv is an env with a fixed environment, in-memory streams and forms
// in accessible mode, as if stdin were a terminal when interactive is set.
func testEnv(stdin io.Reader, interactive bool, vars map[string]string) (*env, *bytes.Buffer, *bytes.Buffer) {
	var stdout, stderr bytes.Buffer
	return &env{
		getenv: func(k string) string { return vars[k] },
		// huh's accessible prompts each scan stdin afresh: one byte per read
		// keeps one prompt from swallowing the next one's answer.
		stdin:       iotest.OneByteReader(stdin),
		stdout:      &stdout,
		stderr:      &stderr,
		interactive: interactive,
		accessible:  true,
		getwd:       func() (string, error) { return "/", nil },
		v:           viper.New(),
		src:         generator.Sources{Templates: templates.FS, Runtime: startrt.FS},
	}, &stdout, &stderr
}

// TestFormMatchesFlags drives the form with typed answers and checks that it
// produces exactly what the equivalent flags produce (the dry-run output
// prints every option and the file tree).
func TestFormMatchesFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string // besides new --dry-run --dir
		answers string
		flags   []string
	}{
		{"defaults", nil, "demo\n\n0\n\n\ny\n", []string{"demo", "-y"}},
		{"every value typed", nil,
			"shop\ngithub.com/acme/shop\n2\n0\nshop_db\n9000\ny\n",
			[]string{"shop", "--module", "github.com/acme/shop", "--features", "auth", "--db-name", "shop_db", "--port", "9000"}},
		{"bad answers are asked again with the flags' rules", nil,
			"My-App\nshop\nnot a module\ngithub.com/acme/shop\n1\n0\n1\n0\nBad-DB\nshop_db\n0\n70000\n9000\ny\n",
			[]string{"shop", "--module", "github.com/acme/shop", "--features", "auth,tasks", "--db-name", "shop_db", "--port", "9000"}},
		{"only the missing values are asked", []string{"api", "--features", "auth", "--port", "9100"},
			"example.org/api\napi_db\ny\n",
			[]string{"api", "--module", "example.org/api", "--features", "auth", "--db-name", "api_db", "--port", "9100"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "out")
			common := []string{"new", "--dry-run", "--dir", dir}

			e, formOut, prompts := testEnv(strings.NewReader(tt.answers), true, nil)
			if err := e.execute(context.Background(), append(common, tt.args...)); err != nil {
				t.Fatalf("form: %v\nprompts:\n%s", err, prompts)
			}
			e, flagsOut, _ := testEnv(strings.NewReader(""), false, nil)
			if err := e.execute(context.Background(), append(common, tt.flags...)); err != nil {
				t.Fatalf("flags: %v", err)
			}
			if formOut.String() != flagsOut.String() {
				t.Errorf("form and flags differ\nform:\n%s\nflags:\n%s\nprompts:\n%s", head(formOut), head(flagsOut), prompts)
			}
			if !strings.Contains(prompts.String(), "Create ") {
				t.Errorf("no confirmation shown:\n%s", prompts)
			}
		})
	}
}

func head(b *bytes.Buffer) string {
	lines := strings.SplitAfter(b.String(), "\n")
	return strings.Join(lines[max(0, len(lines)-3):], "")
}

func TestFormDeclined(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "demo")
	e, out, _ := testEnv(strings.NewReader("demo\n\n0\n\n\nn\n"), true, nil)
	err := e.execute(context.Background(), []string{"new", "--no-git", "--dir", dir})
	if !errors.Is(err, errCancelled) || err.Error() != "cancelled: nothing was written" {
		t.Fatalf("err = %v, want errCancelled", err)
	}
	if code := exitCode(err, io.Discard); code != 130 {
		t.Errorf("exit code %d, want 130", code)
	}
	if out.Len() != 0 {
		t.Errorf("stdout: %s", out)
	}
}

func TestBadFlagFailsBeforeAsking(t *testing.T) {
	t.Parallel()
	e, _, prompts := testEnv(strings.NewReader("demo\n"), true, nil)
	err := e.execute(context.Background(), []string{"new", "--dry-run", "--port", "http"})
	if err == nil || err.Error() != `invalid port "http" (--port): must be an integer between 1 and 65535` {
		t.Fatalf("err = %v", err)
	}
	if prompts.Len() != 0 {
		t.Errorf("asked before failing: %s", prompts)
	}
}

func TestNoPromptWithoutTerminal(t *testing.T) {
	t.Parallel()
	// Answers are available but stdin is not a terminal: they must not be read.
	e, _, prompts := testEnv(strings.NewReader("demo\n"), false, nil)
	err := e.execute(context.Background(), []string{"new", "--dry-run"})
	if code := exitCode(err, io.Discard); code != 2 || !strings.Contains(err.Error(), "missing NAME") {
		t.Fatalf("err = %v (exit %d), want missing NAME with exit 2", err, code)
	}
	if prompts.Len() != 0 {
		t.Errorf("prompted without a terminal: %s", prompts)
	}
}

func TestEnvironmentBelowFlags(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"STARTER_MODULE": "example.net/x", "STARTER_PORT": "7001", "STARTER_FEATURES": "auth", "STARTER_DB_NAME": "envdb"}
	e, out, _ := testEnv(strings.NewReader(""), false, vars)
	err := e.execute(context.Background(), []string{"new", "x", "--dry-run", "--port", "7002", "--dir", filepath.Join(t.TempDir(), "x")})
	if err != nil {
		t.Fatal(err)
	}
	if want := "x (module example.net/x, features auth, database envdb, port 7002)"; !strings.Contains(out.String(), want) {
		t.Errorf("summary lacks %q:\n%s", want, head(out))
	}
}

func TestExitCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		code int
	}{
		{nil, 0},
		{errors.New("boom"), 1},
		{usageError{errors.New("bad flag")}, 2},
		{&generator.InputError{Field: "name", Value: "X", Rule: "r"}, 2},
		{context.Canceled, 130},
		{errCancelled, 130},
		{errNothingWritten, 130},
		{exitError{3}, 3},
	}
	for _, tt := range tests {
		var stderr bytes.Buffer
		if got := exitCode(tt.err, &stderr); got != tt.code {
			t.Errorf("exitCode(%v) = %d, want %d", tt.err, got, tt.code)
		}
		if lines := strings.Count(stderr.String(), "\n"); (tt.err == nil || tt.code == 3) != (lines == 0) || lines > 1 {
			t.Errorf("exitCode(%v) printed %q", tt.err, stderr.String())
		}
	}
}

func TestProgressOnTerminal(t *testing.T) {
	t.Parallel()
	e, out, _ := testEnv(strings.NewReader(""), false, nil)
	e.progress = true
	dir := filepath.Join(t.TempDir(), "demo")
	if err := e.execute(context.Background(), []string{"new", "demo", "-y", "--no-git", "--dir", dir}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(out.String(), "\n")
	for i, step := range []string{"render", "format", "go.mod", "write"} {
		if i >= len(lines) || !strings.HasPrefix(strings.TrimSpace(lines[i]), step+" ") {
			t.Errorf("line %d = %q, want the %s step", i, lines[min(i, len(lines)-1)], step)
		}
	}
	if !strings.Contains(out.String(), "Next:\n  cd "+dir+"\n  starter serve") {
		t.Errorf("no next steps:\n%s", out)
	}
}
