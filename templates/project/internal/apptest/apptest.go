// Package apptest starts the real service for integration tests: the HTTP
// server on 127.0.0.1:0 with a database of its own, cloned from the migrated
// template by pgtest, and an HTTP client with helpers for the API's envelopes.
package apptest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5/pgxpool"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/starter-go/starter/runtime/pgtest"
	"github.com/starter-go/starter/templates/project/internal/app"
	"github.com/starter-go/starter/templates/project/internal/config"
	"github.com/starter-go/starter/templates/project/internal/database"
)

// TestApp is a running service with its own database.
type TestApp struct {
	// URL is the server's base URL, e.g. http://127.0.0.1:41234.
	URL string
	// DB is the service's pool, for assertions on the database.
	DB *pgxpool.Pool
	// Config is the configuration the service runs with.
	Config *config.Config
	// DSN is the URL of the test's database as the service sees it: through
	// the run's pooler when there is one (see WithPooler).
	DSN string
	// DirectDSN reaches the test's database itself, never a pooler: for a
	// test's own session (LISTEN) or administration.
	DirectDSN string
	// Proxy sits between the service and its database when WithDBProxy was given.
	Proxy *DBProxy
	// ListenerProxy sits between the service's dedicated connections (the
	// revocation listener) and the database when WithListenerProxy was given.
	ListenerProxy *DBProxy

	t      testing.TB
	client *http.Client
	logs   *syncBuffer
	// invalid: the requests break the document on purpose (Invalid).
	invalid bool
	// seq numbers the values factories make unique (Unique); shared by
	// the copies Invalid makes.
	seq *atomic.Int64
}

// Unique returns a number no earlier call on this service returned: the
// factories make the values of unique fields from it. Each test's service
// has a database of its own, so a number per service is enough.
func (ta *TestApp) Unique() int64 { return ta.seq.Add(1) }

// Option adjusts New.
type Option func(*settings)

type settings struct {
	configure []func(*config.Config)
	routes    func(*gin.RouterGroup)
	proxy     bool
	// downAtStart cuts the proxy before the service starts.
	downAtStart bool
	// listenerProxy and emptyDatabase: see cluster.go.
	listenerProxy bool
	emptyDatabase bool
	// pooler and directURL: see pooler.go.
	pooler    bool
	directURL bool
	// spans receives the service's spans (WithSpanExporter).
	spans sdktrace.SpanExporter
}

// WithConfig changes the configuration before the service starts.
func WithConfig(fn func(*config.Config)) Option {
	return func(s *settings) { s.configure = append(s.configure, fn) }
}

// WithRoutes adds test-only routes under /api/v1. Mount them under
// TestRoutesPrefix (/api/v1/_test/): the client does not hold requests there
// to the API's document, since they are not the API's.
func WithRoutes(fn func(api *gin.RouterGroup)) Option {
	return func(s *settings) { s.routes = fn }
}

// WithDBProxy puts a DBProxy between the service and its database, so the
// test can stall or cut the database (TestApp.Proxy).
func WithDBProxy() Option {
	return func(s *settings) { s.proxy = true }
}

// WithDatabaseDownAtStart starts the service while its database is cut off
// (behind a DBProxy); TestApp.Proxy.Restore brings the database back.
func WithDatabaseDownAtStart() Option {
	return func(s *settings) { s.proxy, s.downAtStart = true, true }
}

// WithSpanExporter turns tracing on, with every span sent to exp as it
// ends (tracetest.NewInMemoryExporter() keeps them for the test to read).
func WithSpanExporter(exp sdktrace.SpanExporter) Option {
	return func(s *settings) { s.spans = exp }
}

// New starts the service for t. Everything stops in t.Cleanup: the server
// first, then the pool, then (registered first, so run last) the database.
func New(t testing.TB, opts ...Option) *TestApp {
	t.Helper()
	s := collect(opts)
	ta, err := launch(t, newDatabase(t, s), s)
	if err != nil {
		t.Fatal(err)
	}
	return ta
}

func collect(opts []Option) settings {
	var s settings
	s.pooler = runPooler() != ""
	for _, opt := range opts {
		opt(&s)
	}
	return s
}

// newDatabase returns the DSN of a fresh database for t: migrated, or
// empty with WithEmptyDatabase.
func newDatabase(t testing.TB, s settings) string {
	t.Helper()
	if s.emptyDatabase {
		return pgtest.NewDatabase(t, emptySchema{})
	}
	m, err := database.NewMigrator()
	if err != nil {
		t.Fatal(err)
	}
	return pgtest.NewDatabase(t, m)
}

// launch starts one instance of the service on the database at dsn.
func launch(t testing.TB, dsn string, s settings) (*TestApp, error) {
	ta := &TestApp{t: t, DSN: dsn, DirectDSN: dsn, seq: new(atomic.Int64)}
	if s.pooler {
		ta.DSN = throughPooler(t, dsn)
	}
	var direct []app.Option
	if s.listenerProxy {
		ta.ListenerProxy = newDBProxy(t, dsn)
		direct = append(direct, app.WithDirectURL(ta.ListenerProxy.DSN()))
	}
	if s.proxy {
		ta.Proxy = newDBProxy(t, ta.DSN)
		ta.DSN = ta.Proxy.DSN()
		if s.downAtStart {
			ta.Proxy.Cut()
		}
	}
	cfg := testConfig(ta.DSN)
	s.configurePooler(&cfg, ta.DirectDSN)
	for _, fn := range s.configure {
		fn(&cfg)
	}
	if err := app.CheckConfig(&cfg); err != nil {
		return nil, err
	}
	ta.Config = &cfg
	return ta, ta.start(s, direct...)
}

// testConfig is the test environment's defaults on dsn, already migrated by pgtest.
func testConfig(dsn string) config.Config {
	cfg := config.Defaults(config.EnvTest)
	cfg.DatabaseURL = dsn
	cfg.AutoMigrate = false
	cfg.LogLevel = "debug"
	cfg.ShutdownTimeout = 5 * time.Second
	return cfg
}

func (ta *TestApp) start(s settings, opts ...app.Option) error {
	t := ta.t
	logs := &syncBuffer{}
	ta.logs = logs
	logger := app.NewLogger(logs, ta.Config.LogLevel)
	ctx := context.Background()
	opts = append(opts, app.WithRoutes(s.routes))
	if s.spans != nil {
		opts = append(opts, app.WithSpanExporter(s.spans))
	}
	a, err := app.New(ctx, ta.Config, logger, opts...)
	if err != nil {
		return fmt.Errorf("apptest: start: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		a.Close()
		return fmt.Errorf("apptest: listen: %w", err)
	}
	serveCtx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- a.Serve(serveCtx, ln) }()
	ta.URL = "http://" + ln.Addr().String()
	ta.DB = a.Pool()
	transport := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 16}
	ta.client = &http.Client{
		Transport: transport,
		Timeout:   30 * time.Second,
		// Redirects are answers to check, not to follow: the API never redirects.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	t.Cleanup(func() {
		// The client's idle connections go first: net/http's Shutdown waits
		// for a connection that never carried a request until it is 5 s old
		// (a transport may dial one and then use another), as long as the
		// shutdown timeout here.
		transport.CloseIdleConnections()
		stop()
		if err := <-served; err != nil {
			t.Errorf("apptest: serve: %v", err)
		}
		transport.CloseIdleConnections()
		if ta.Proxy != nil {
			ta.Proxy.Close()
		}
		if ta.ListenerProxy != nil {
			ta.ListenerProxy.Close()
		}
		a.Close()
		if t.Failed() {
			t.Logf("service log:\n%s", logs.String())
		}
	})
	return nil
}

// Logs returns what the service logged so far (JSON lines). They are also
// shown when the test fails.
func (ta *TestApp) Logs() string { return ta.logs.String() }

// syncBuffer keeps the logs in memory.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
