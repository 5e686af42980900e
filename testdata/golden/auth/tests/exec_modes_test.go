package tests

import (
	"net/http"
	"os"
	"testing"

	"example.com/demo/internal/apptest"
	"example.com/demo/internal/config"
)

// Every query of the service works in each of pgx's query exec modes: the
// modes that ask PostgreSQL for the parameter types first, and exec and
// simple_protocol, which pick them from the Go types alone (behind a
// transaction pooler, a prepared statement would not outlive its
// transaction). Each feature's file runs its representative requests in
// every mode through forEachExecMode; a run of the whole suite in one mode
// is TEST_QUERY_EXEC_MODE=NAME go test ./tests/.

// execModes are the modes a service may run in here: with the run's
// pooler, those a transaction pooler serves (PgBouncer before 1.21 keeps no
// prepared statement, and describe_exec's two steps may reach two server
// sessions).
func execModes() []string {
	if os.Getenv("TEST_DATABASE_POOLER_URL") != "" {
		return []string{"cache_describe", "exec", "simple_protocol"}
	}
	return []string{"cache_statement", "cache_describe", "describe_exec", "exec", "simple_protocol"}
}

// forEachExecMode runs fn against a service in each mode, in parallel.
func forEachExecMode(t *testing.T, fn func(t *testing.T, app *apptest.TestApp), opts ...apptest.Option) {
	t.Helper()
	for _, mode := range execModes() {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			mode := apptest.WithConfig(func(c *config.Config) { c.Database.QueryExecMode = mode })
			fn(t, newApp(t, append(opts, mode)...))
		})
	}
}

func TestExecModesCore(t *testing.T) {
	t.Parallel()
	forEachExecMode(t, func(t *testing.T, app *apptest.TestApp) {
		for _, path := range []string{"/api/v1/health/ready", "/api/v1/health/startup", "/api/v1/health/detailed"} {
			wantStatus(t, app.Get(path), http.StatusOK)
		}
	})
}
