package pgtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"example.com/demo/internal/platform/pgembed"
)

// Run runs a command (typically `go test ./...`) against one PostgreSQL shared by all the test
// binaries it starts, and returns the command's exit code. When TEST_DATABASE_URL is set, that
// server is used and Run only runs the command. Otherwise Run starts a throw-away embedded server,
// hands its admin DSN to the command as TEST_DATABASE_URL, and stops and removes it afterwards,
// with whatever databases failed tests kept: it says so on stderr, since the names logged by those
// tests then lead nowhere. The command inherits this process's environment and has no stdin.
//
// err is non-nil only when the command could not be run; a command that ran and failed returns its
// exit code and nil. When ctx ends, the command gets an interrupt and, 10 seconds later, a kill.
func Run(ctx context.Context, stdout, stderr io.Writer, name string, args ...string) (exitCode int, err error) {
	return RunEnv(ctx, os.Environ(), stdout, stderr, name, args...)
}

// RunEnv is Run with env ("KEY=value" pairs, the last of a key winning) as the command's environment
// instead of this process's: TEST_DATABASE_URL is looked up there too.
func RunEnv(ctx context.Context, env []string, stdout, stderr io.Writer, name string, args ...string) (exitCode int, err error) {
	return RunWith(ctx, RunOptions{Env: env, Stdout: stdout, Stderr: stderr}, name, args...)
}

// RunOptions configure RunWith.
type RunOptions struct {
	// Env is the command's environment ("KEY=value" pairs, the last of a key winning), where
	// TEST_DATABASE_URL is looked up too. Default: nil, an empty environment.
	Env []string
	// Stdout and Stderr receive the command's output. Default: nil, discarded.
	Stdout, Stderr io.Writer
	// Pooler puts a PgBouncer in transaction mode (pgembed.StartBouncer) in front of the server
	// and hands its URL to the command as TEST_DATABASE_POOLER_URL: the services under test then
	// reach their databases through it (the harness itself still uses TEST_DATABASE_URL). Default
	// false.
	Pooler bool
}

// RunWith is Run with options: the environment, the output, and a connection pooler.
func RunWith(ctx context.Context, o RunOptions, name string, args ...string) (exitCode int, err error) {
	env, stdout, stderr := slices.Clone(o.Env), o.Stdout, o.Stderr
	var srv *pgembed.Server
	if lookupEnv(env, "TEST_DATABASE_URL") == "" {
		srv, err = pgembed.Start(ctx, pgembed.Options{})
		if err != nil {
			return 1, fmt.Errorf("pgtest: run: %w; %s", err, howToProvide)
		}
		defer func() {
			stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			defer cancel()
			err = errors.Join(err, srv.Stop(stopCtx))
		}()
		env = append(env, "TEST_DATABASE_URL="+srv.DSN("postgres"))
	}
	if o.Pooler {
		var b *pgembed.Bouncer
		if b, err = pgembed.StartBouncer(ctx, lookupEnv(env, "TEST_DATABASE_URL"), pgembed.BouncerOptions{}); err != nil {
			return 1, fmt.Errorf("pgtest: run: %w", err)
		}
		defer func() {
			if exited, log := b.Exited(); exited {
				err = errors.Join(err, fmt.Errorf("pgtest: run: PgBouncer exited while %s ran:\n%s", name, log))
			}
			err = errors.Join(err, b.Stop(context.WithoutCancel(ctx)))
		}()
		filter, ferr := startCancelFilter(filteredTarget(b.Port))
		if ferr != nil {
			return 1, fmt.Errorf("pgtest: run: %w", ferr)
		}
		defer filter.Close()
		env = append(env, "TEST_DATABASE_POOLER_URL="+withPort(b.DSN("postgres"), filter.Port()))
	}
	exitCode, err = runCommand(ctx, env, stdout, stderr, name, args)
	if srv != nil && exitCode != 0 {
		reportKept(ctx, stderr, srv.DSN("postgres"))
	}
	return exitCode, err
}

func runCommand(ctx context.Context, env []string, stdout, stderr io.Writer, name string, args []string) (int, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, stdout, stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr) && exitErr.ExitCode() >= 0:
		return exitErr.ExitCode(), nil
	case err != nil:
		return 1, fmt.Errorf("pgtest: run %s: %w", name, err)
	}
	return 0, nil
}

// reportKept tells that the databases kept by failed tests go away with the throw-away server.
// Test binaries of any module may have run, so every pgtest database counts, not only this
// project's.
func reportKept(ctx context.Context, stderr io.Writer, adminDSN string) {
	a, err := openAdmin(ctx, adminDSN, "pgtest_")
	if err != nil {
		return
	}
	defer a.close()
	st, err := a.status(ctx)
	if err != nil || len(st.Clones) == 0 {
		return
	}
	fmt.Fprintf(stderr, "pgtest: %d database(s) kept by failed tests were on a throw-away server and are gone; "+
		"to inspect them, run the tests with TEST_DATABASE_URL set to a server you keep\n", len(st.Clones))
}

// lookupEnv returns the value of key in env, the last one when it is set more than once (as exec does).
func lookupEnv(env []string, key string) string {
	for _, kv := range slices.Backward(env) {
		if v, ok := strings.CutPrefix(kv, key+"="); ok {
			return v
		}
	}
	return ""
}

// withPort is dsn with its port replaced.
func withPort(dsn string, port int) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	u.Host = net.JoinHostPort(u.Hostname(), strconv.Itoa(port))
	return u.String()
}
