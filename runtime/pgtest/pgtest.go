// Package pgtest gives every test its own PostgreSQL database, cloned in milliseconds from a
// template database that holds the migrated schema.
//
// One template exists per migration set, named by a hash of the migration files, built once under a
// PostgreSQL advisory lock (so parallel test binaries do not race) and marked as a template only
// after the migrations succeed; a changed migration set gets a new template, and the templates of
// the project's older sets are dropped then. Each test gets a clone (CREATE DATABASE
// … TEMPLATE …), dropped when the test ends, or kept and logged when it failed. A clone holds the
// same lock shared and copies only a finished template: PostgreSQL would copy a template's
// database as it is, before its migrations have run.
//
// The server is TEST_DATABASE_URL when set (an admin DSN: a user allowed to create databases), else
// a throw-away embedded server (package pgembed) started by the first test that needs it and
// stopped by [Main]. [Run] starts one embedded server for a whole `go test ./...`, so that all test
// binaries share it. Without TEST_DATABASE_URL and without PostgreSQL binaries, tests are skipped,
// unless CI is set: then they fail, saying how to provide a database.
//
// [RunWith] with Pooler also starts a PgBouncer in transaction mode in front of the server and hands
// its URL to the command as TEST_DATABASE_POOLER_URL, for the services under test to reach their
// clones through. The harness itself never uses it: building a template takes a session advisory
// lock, and creating and dropping databases needs the server itself.
//
// Database names start with "pgtest_" and 8 hex digits of a hash of the main module's path, so
// projects sharing a server never touch each other's databases.
//
// [Reset], [Status] and [Clean] (behind a project's `test-db reset|status|clean`) act on the server
// of the admin DSN they are given, which should be TEST_DATABASE_URL: without it every run gets a
// throw-away server, so there is nothing between runs to reset or clean. DATABASE_URL's server is
// deliberately not a fallback: tests never run there.
package pgtest

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"
)

// Migrator builds the schema of a template database.
type Migrator interface {
	// Hash identifies the migration set, typically a hash of the migration files' names and
	// contents: a different Hash means a different template.
	Hash() string
	// Migrate applies all migrations to the (empty) database at dsn. It must close its connections
	// before returning: a template with connections cannot be cloned.
	Migrate(ctx context.Context, dsn string) error
}

// howToProvide ends every "no database" message.
const howToProvide = "set TEST_DATABASE_URL to an admin DSN of a PostgreSQL server " +
	"(e.g. postgres://postgres:PASSWORD@127.0.0.1:5432/postgres?sslmode=disable), " +
	"or install the PostgreSQL server binaries (initdb, postgres) so that a local one can be started"

// NewDatabase returns the DSN of a fresh database for this test, migrated by m.
//
// The database is dropped in a Cleanup registered here. Cleanups run last-registered first, so
// close the test's pools and connections in a Cleanup registered after NewDatabase returns (as
// t.Cleanup(pool.Close) right after opening the pool does); connections still open when the
// database is dropped are terminated. When the test failed, the database is kept and its name
// logged, for inspection.
func NewDatabase(t testing.TB, m Migrator) string {
	t.Helper()
	a, err := shared.open()
	if err != nil {
		t.Fatal(err)
	}
	name, err := shared.clone(context.Background(), a, m)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	dsn := a.dsnFor(name)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("pgtest: kept database %s of the failed test: %s", name, redacted(dsn))
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := a.drop(ctx, name); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	return dsn
}

// defaultSpares is how many clones per template are prepared ahead when Main is in use.
const defaultSpares = 2

// Main runs the tests, then drops the clones prepared ahead and stops the embedded server this
// process started, if any. Call it from TestMain: func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }.
//
// Only under Main are clones prepared ahead (a test then gets its database without waiting):
// without it nothing would drop the spares when the process ends.
func Main(m *testing.M) int {
	shared.mu.Lock()
	shared.spares = defaultSpares
	shared.mu.Unlock()
	code := m.Run()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := shared.close(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if code == 0 {
			code = 1
		}
	}
	return code
}
