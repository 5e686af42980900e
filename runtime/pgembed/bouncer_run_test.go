//go:build pgbouncer

// The tests that run a PgBouncer: `go test -tags pgbouncer` (starter's make test, a project's
// make test-pgbouncer), since PgBouncer is optional for a project.

package pgembed

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// startBouncer starts a PgBouncer in front of s for one test and stops it in Cleanup; without
// pgbouncer the test fails, saying how to install it.
func startBouncer(t *testing.T, s *Server, opts BouncerOptions) *Bouncer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b, err := StartBouncer(ctx, s.DSN("postgres"), opts)
	if err != nil {
		t.Fatalf("StartBouncer: %v", err)
	}
	t.Cleanup(func() {
		if err := b.Stop(context.Background()); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return b
}

// Every database of the server is reachable through the bouncer, also one created after it
// started, with the server's password; a query of the exec mode, which a transaction pooler
// serves, runs there.
//
// Not parallel, like TestBouncerStopLeavesNothing: their forks must not overlap the copy of the
// test binary that TestAnotherAccountCannotConnect runs (an exec of a file another process
// inherited open for writing fails with ETXTBSY).
func TestBouncerReachesEveryDatabase(t *testing.T) {
	s := start(t, Options{})
	b := startBouncer(t, s, BouncerOptions{})
	ctx := context.Background()
	if err := s.CreateDatabase(ctx, "later"); err != nil {
		t.Fatal(err)
	}
	cfg, err := pgx.ParseConfig(b.DSN("later"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeExec
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("connect through the bouncer: %v", err)
	}
	defer conn.Close(ctx)
	var db string
	var n int
	if err := conn.QueryRow(ctx, "SELECT current_database(), $1::int + 1", 41).Scan(&db, &n); err != nil {
		t.Fatal(err)
	}
	if db != "later" || n != 42 {
		t.Fatalf("got %s %d, want later 42", db, n)
	}
	bad := strings.Replace(b.DSN("later"), ":"+s.Password()+"@", ":wrong@", 1)
	if c, err := pgx.Connect(ctx, bad); err == nil {
		c.Close(ctx)
		t.Fatal("the bouncer let in a client with a wrong password")
	}
}

// Stop ends the bouncer and removes its directory, credentials included.
func TestBouncerStopLeavesNothing(t *testing.T) {
	s := start(t, Options{})
	b := startBouncer(t, s, BouncerOptions{})
	dir := b.runDir
	if err := b.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("%s is still there: %v", dir, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if c, err := pgx.Connect(ctx, b.DSN("postgres")); err == nil {
		c.Close(ctx)
		t.Fatal("the bouncer still answers after Stop")
	}
}
