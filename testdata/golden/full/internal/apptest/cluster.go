package apptest

import (
	"context"
	"sync"
	"testing"
)

// NewCluster starts n instances of the service on one database, as n
// replicas behind a load balancer run: each has its own pool, HTTP server,
// caches and background jobs, and only the database is shared. They start
// at the same time, so their start-up steps (migrations, the initial admin,
// the first clean-up) race as in a rollout. opts apply to every instance.
// Everything stops in t.Cleanup, the database last.
func NewCluster(t testing.TB, n int, opts ...Option) []*TestApp {
	t.Helper()
	s := collect(opts)
	dsn := newDatabase(t, s)
	apps := make([]*TestApp, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { apps[i], errs[i] = launch(t, dsn, s) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil || apps[i] == nil {
			t.Fatalf("apptest: instance %d of %d: %v", i, n, err)
		}
	}
	return apps
}

// WithListenerProxy puts a DBProxy (TestApp.ListenerProxy) between the
// service's dedicated connections, those that cannot come from the pool (the
// revocation listener), and the database, so that a test can cut or stall
// them alone.
func WithListenerProxy() Option {
	return func(s *settings) { s.listenerProxy = true }
}

// WithEmptyDatabase gives the service a database without any schema, for
// tests of the migrations applied at start-up (turn Config.AutoMigrate on).
func WithEmptyDatabase() Option {
	return func(s *settings) { s.emptyDatabase = true }
}

// emptySchema hands out databases with nothing in them.
type emptySchema struct{}

func (emptySchema) Hash() string                          { return "empty" }
func (emptySchema) Migrate(context.Context, string) error { return nil }
