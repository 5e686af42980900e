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
			ctx, host := cmd.Context(), hostPlatform()
			checks := []check{checkGo(ctx), e.checkPostgres(ctx, host), checkGit(ctx, host)}
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

func checkGit(ctx context.Context, host platform) check {
	out, err := commandOutput(ctx, "git", "--version")
	if err != nil {
		return check{name: "git", optional: true,
			detail: "not found: install it (" + host.installGit() + ") or use starter new --no-git"}
	}
	return check{name: "git", ok: true, detail: out}
}

// checkPostgres accepts a reachable DATABASE_URL, else the server binaries the
// generated projects start themselves (initdb, pg_ctl, postgres).
func (e *env) checkPostgres(ctx context.Context, host platform) check {
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
		path, ok := host.findPostgresBinary(bin)
		if !ok {
			missing = append(missing, bin)
			continue
		}
		dir = filepath.Dir(path)
	}
	if len(missing) > 0 {
		return check{name: "postgresql", detail: fmt.Sprintf("%s not found on PATH%s: install PostgreSQL (%s) or set DATABASE_URL",
			strings.Join(missing, ", "), orUnder(host.postgresDirs()), host.installPostgres())}
	}
	out, _ := commandOutput(ctx, filepath.Join(dir, "postgres"), "--version")
	return check{name: "postgresql", ok: true, detail: strings.TrimSpace(out + " in " + dir)}
}

// orUnder completes "not found on PATH" with the other places looked in.
func orUnder(dirs []string) string {
	if len(dirs) == 0 {
		return ""
	}
	return " or under " + strings.Join(dirs, ", ")
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
