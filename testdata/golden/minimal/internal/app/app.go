// Package app wires the service together: configuration, logger, database
// pool, migrations, health checks, metrics, feature services and the HTTP
// server, and runs them until the context ends.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"example.com/demo/internal/buildinfo"
	"example.com/demo/internal/config"
	"example.com/demo/internal/database"
	"example.com/demo/internal/health"
	"example.com/demo/internal/httpapi"
)

// App is the running service.
type App struct {
	cfg    *config.Config
	logger *slog.Logger
	pool   *pgxpool.Pool
	http   *http.Server
	// background runs beside the HTTP server until shutdown (the task worker, …).
	background []func(ctx context.Context) error
	// closers release what New acquired, last first.
	closers []func()
	// startup holds the start-up steps that need the database (migrations,
	// the initial admin) when it was unreachable in New; Serve retries them
	// in the background and starts the background jobs once they succeed.
	startup func(ctx context.Context) error
}

// Option adjusts New.
type Option func(*options)

type options struct {
	routes    func(*gin.RouterGroup)
	directURL string
	spans     sdktrace.SpanExporter
}

// WithRoutes adds routes under /api/v1 besides those of routes.go (for tests).
func WithRoutes(fn func(api *gin.RouterGroup)) Option {
	return func(o *options) { o.routes = fn }
}

// WithDirectURL takes the connections that cannot come from the pool (see
// directConnector) from url instead of the configured database URL (tests
// put a proxy there to cut them alone).
func WithDirectURL(url string) Option {
	return func(o *options) { o.directURL = url }
}

// New builds the service on cfg.DatabaseURL: the core (pool, metrics, health
// checks), then each feature of features(). With cfg.AutoMigrate it first
// applies pending migrations. A database that cannot be reached is not fatal:
// the service starts, readiness answers 503, and Serve retries the start-up
// steps until the database answers. Any other start-up error is.
func New(ctx context.Context, cfg *config.Config, logger *slog.Logger, opts ...Option) (_ *App, err error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	a := &App{cfg: cfg, logger: logger}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	tracing, err := a.startTracing(ctx, o)
	if err != nil {
		return nil, err
	}
	logger = a.logger // with trace ids when tracing is on
	migrator, err := database.NewMigrator()
	if err != nil {
		return nil, err
	}
	ep := database.EndpointsOf(cfg)
	logger.Info("database connections", ep.LogAttrs()...)
	poolOpts := append(ep.PoolOptions(), database.WithConfig(tracing.ConfigurePool))
	if a.pool, err = database.NewPool(ctx, cfg.DatabaseURL, poolOpts...); err != nil {
		return nil, err
	}
	a.closers = append(a.closers, a.pool.Close)
	w := a.core(migrator, o)
	w.tracing, w.deps.Tracing = tracing, tracing
	for _, f := range features() {
		if err := f.wire(w); err != nil {
			return nil, err
		}
	}
	w.checks.Register("schema", health.Startup, health.Schema(a.pool, append([]string{"schema_migrations"}, w.tables...)...))
	a.background = w.background
	if err := a.start(ctx, migrator, w.startup); err != nil {
		return nil, err
	}
	srv, err := httpapi.New(*w.deps)
	if err != nil {
		return nil, err
	}
	a.http = &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		// Headers get 10s, the body at most the request timeout more.
		ReadTimeout: 10*time.Second + cfg.RequestTimeout,
		IdleTimeout: 2 * time.Minute,
		ErrorLog:    slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	return a, nil
}

// core is what every service has, for the features to build on: the
// metrics registry, the database and migration checks, the handlers' deps.
func (a *App) core(migrator *database.Migrator, o options) *wiring {
	metrics := prometheus.NewRegistry()
	metrics.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		database.NewPoolCollector(a.pool),
	)
	checks := health.NewRegistry(a.cfg.HealthCheckTimeout)
	checks.Register("database", health.Detailed|health.Ready|health.Startup, health.Database(a.pool))
	checks.Register("migrations", health.Ready, health.Migrations(a.pool, migrator.Latest()))
	direct, listening := directConnector(database.EndpointsOf(a.cfg), o.directURL, "listener")
	return &wiring{
		cfg: a.cfg, logger: a.logger, pool: a.pool, metrics: metrics, checks: checks,
		direct: direct, listening: listening,
		deps: &httpapi.Deps{
			Config:      a.cfg,
			Logger:      a.logger,
			DB:          a.pool,
			Health:      checks,
			Metrics:     metrics,
			Version:     buildinfo.Version,
			Started:     time.Now(),
			ExtraRoutes: o.routes,
		},
	}
}

// start runs the start-up steps: the migrations (with auto_migrate), then
// the features' steps. While the database cannot be reached it leaves them
// to Serve, which retries them in the background.
func (a *App) start(ctx context.Context, migrator *database.Migrator, steps []func(context.Context) error) error {
	startup := func(ctx context.Context) error {
		if a.cfg.AutoMigrate {
			if err := migrator.Up(ctx, database.EndpointsOf(a.cfg).Migrations()); err != nil {
				return err
			}
		}
		for _, step := range steps {
			if err := step(ctx); err != nil {
				return err
			}
		}
		return nil
	}
	err := startup(ctx)
	if err == nil || !database.IsUnavailable(err) {
		return err
	}
	a.logger.Warn("database unavailable at start-up: serving, and retrying the start-up steps in the background",
		slog.Any("error", err))
	a.startup = startup
	return nil
}

// Pool is the database pool of the service.
func (a *App) Pool() *pgxpool.Pool { return a.pool }

// Handler is the HTTP handler of the whole API.
func (a *App) Handler() http.Handler { return a.http.Handler }

// Run listens on the configured port and serves until ctx ends.
func (a *App) Run(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", a.cfg.Addr())
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	return a.Serve(ctx, ln)
}

// Serve serves HTTP on ln, and runs the background jobs, until ctx ends; then
// it stops taking requests and lets those in flight finish within the
// shutdown timeout. A background job that fails is logged and the API keeps
// serving (its health check reports it); only a failing listener ends Serve
// early. It does not close the pool: Close does.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	bgCtx, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBackground()
	var wg sync.WaitGroup
	wg.Go(func() {
		if !a.awaitStartup(bgCtx) {
			return
		}
		for _, run := range a.background {
			wg.Go(func() {
				if err := run(bgCtx); err != nil && !errors.Is(err, context.Canceled) {
					a.logger.Error("background job stopped", slog.Any("error", err))
				}
			})
		}
	})
	served := make(chan error, 1)
	go func() { served <- a.http.Serve(ln) }()

	var err error
	select {
	case err = <-served:
	case <-ctx.Done():
	}
	a.logger.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.cfg.ShutdownTimeout)
	defer cancel()
	shutErr := a.http.Shutdown(shutCtx)
	if shutErr != nil {
		// Requests still running after the shutdown timeout are cut off.
		shutErr = errors.Join(fmt.Errorf("shutdown: %w", shutErr), a.http.Close())
	}
	stopBackground()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return errors.Join(err, shutErr)
}

// awaitStartup retries the start-up steps New could not finish until they
// succeed, fail for another reason than an unreachable database, or ctx
// ends (database.Await). It reports whether they succeeded.
func (a *App) awaitStartup(ctx context.Context) bool {
	if a.startup == nil {
		return true
	}
	err := database.Await(ctx, a.startup, func(error) {})
	switch {
	case err == nil:
		a.logger.Info("database available: start-up steps done")
		return true
	case ctx.Err() == nil:
		a.logger.Error("start-up steps failed; the service stays not ready", slog.Any("error", err))
	}
	return false
}

// Close releases the pool and whatever else New acquired.
func (a *App) Close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
	a.closers = nil
}
