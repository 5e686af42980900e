package main

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// check is one line of `starter doctor`.
type check struct {
	name     string
	ok       bool
	optional bool   // missing is a warning, not a failure
	detail   string // what was found, or how to get it
}

func newDoctorCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "doctor",
		Short: "Check that Go, PostgreSQL and git are ready for generated projects",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			checks := []check{checkGo(cmd.Context()), e.checkPostgres(cmd.Context()), checkGit(cmd.Context())}
			return report(cmd, checks)
		},
	}
}

func report(cmd *cobra.Command, checks []check) error {
	failed := 0
	for _, c := range checks {
		status := "ok"
		switch {
		case !c.ok && c.optional:
			status = "warn"
		case !c.ok:
			status = "MISSING"
			failed++
		}
		fmt.Fprintf(cmd.OutOrStdout(), "%-8s %-11s %s\n", status, c.name, c.detail)
	}
	if failed > 0 {
		return fmt.Errorf("doctor: %d of %d checks failed", failed, len(checks))
	}
	return nil
}

func checkGo(ctx context.Context) check {
	out, err := commandOutput(ctx, "go", "version")
	if err != nil {
		return check{name: "go", detail: "not found: install Go 1.26 or later from https://go.dev/dl/"}
	}
	return check{name: "go", ok: true, detail: out}
}

func checkGit(ctx context.Context) check {
	out, err := commandOutput(ctx, "git", "--version")
	if err != nil {
		return check{name: "git", optional: true,
			detail: "not found: install it (sudo apt-get install git) or use starter new --no-git"}
	}
	return check{name: "git", ok: true, detail: out}
}

// checkPostgres accepts a reachable DATABASE_URL, else the server binaries the
// generated projects start themselves (initdb, pg_ctl, postgres).
func (e *env) checkPostgres(ctx context.Context) check {
	if dsn := e.getenv("DATABASE_URL"); dsn != "" {
		addr, err := dsnAddr(dsn)
		if err == nil {
			err = dial(ctx, addr)
		}
		if err != nil {
			return check{name: "postgresql", detail: fmt.Sprintf("DATABASE_URL is set but not reachable: %v", err)}
		}
		return check{name: "postgresql", ok: true, detail: "DATABASE_URL reachable at " + addr}
	}
	var missing []string
	dir := ""
	for _, bin := range []string{"initdb", "pg_ctl", "postgres"} {
		path, err := findPGBinary(bin)
		if err != nil {
			missing = append(missing, bin)
			continue
		}
		dir = filepath.Dir(path)
	}
	if len(missing) > 0 {
		return check{name: "postgresql", detail: fmt.Sprintf("%s not found on PATH or under /usr/lib/postgresql/*/bin: "+
			"install PostgreSQL (sudo apt-get install postgresql) or set DATABASE_URL", strings.Join(missing, ", "))}
	}
	out, _ := commandOutput(ctx, filepath.Join(dir, "postgres"), "--version")
	return check{name: "postgresql", ok: true, detail: strings.TrimSpace(out + " in " + dir)}
}

// findPGBinary looks on PATH, then where Debian installs PostgreSQL.
func findPGBinary(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
	if len(matches) == 0 {
		return "", exec.ErrNotFound
	}
	return matches[len(matches)-1], nil
}

// dsnAddr is host:port of a postgres:// URL (localhost:5432 by default).
func dsnAddr(dsn string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", fmt.Errorf("DATABASE_URL is not a postgres:// URL")
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		host = "localhost"
	}
	if port == "" {
		port = "5432"
	}
	return net.JoinHostPort(host, port), nil
}

func dial(ctx context.Context, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	return conn.Close()
}

func commandOutput(ctx context.Context, name string, args ...string) (string, error) {
	out, err := exec.CommandContext(ctx, name, args...).Output()
	return strings.TrimSpace(string(out)), err
}
