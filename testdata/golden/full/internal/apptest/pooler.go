package apptest

import (
	"net/url"
	"os"
	"testing"

	"example.com/demo/internal/config"
)

// A run of the suite may put a connection pooler in transaction mode
// between the services under test and their databases: `test-db run
// --pgbouncer` starts a PgBouncer and hands its URL to the tests as
// TEST_DATABASE_POOLER_URL. Every TestApp then reaches its database through
// it, configured as behind a transaction pooler without a direct URL (so it
// polls where it would LISTEN), as a service deployed behind PgBouncer is.

// runPooler is the pooler of this run, empty when there is none.
func runPooler() string { return os.Getenv("TEST_DATABASE_POOLER_URL") }

// WithPooler configures the service as behind a connection pooler in
// transaction mode (database.pooler: transaction) with no direct URL: it
// polls for revocations and new tasks instead of listening, and sends
// queries in the exec mode. Its database is reached through the run's
// pooler when there is one, else directly: the service cannot tell, it
// follows its configuration. Every TestApp of a run with a pooler has it.
func WithPooler() Option {
	return func(s *settings) { s.pooler = true }
}

// WithDirectURL configures the service as behind a transaction pooler,
// like WithPooler, and gives it DATABASE_DIRECT_URL, the test's database
// itself, for what needs a session of its own (LISTEN, migrations).
func WithDirectURL() Option {
	return func(s *settings) { s.pooler, s.directURL = true, true }
}

// configurePooler sets the database section of cfg for WithPooler and
// WithDirectURL, and the query exec mode TEST_QUERY_EXEC_MODE names, if any
// (to run the whole suite in one mode).
func (s settings) configurePooler(cfg *config.Config, direct string) {
	if s.pooler {
		cfg.Database.Pooler = config.PoolerTransaction
	}
	if s.directURL {
		cfg.Database.DirectURL = direct
	}
	if mode := os.Getenv("TEST_QUERY_EXEC_MODE"); mode != "" {
		cfg.Database.QueryExecMode = mode
	}
}

// throughPooler turns the DSN of a test database into its URL through the
// run's pooler, in the exec mode (also for what a test connects itself);
// without a pooler it is dsn itself.
func throughPooler(t testing.TB, dsn string) string {
	t.Helper()
	pooler := runPooler()
	if pooler == "" {
		return dsn
	}
	db, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("apptest: database URL: %v", err)
	}
	u, err := url.Parse(pooler)
	if err != nil {
		t.Fatalf("apptest: TEST_DATABASE_POOLER_URL: %v", err)
	}
	u.Path = db.Path
	q := u.Query()
	q.Set("default_query_exec_mode", "exec")
	u.RawQuery = q.Encode()
	return u.String()
}
