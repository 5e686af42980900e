package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/starter-go/starter/templates/project/internal/app"
	"github.com/starter-go/starter/templates/project/internal/config"
	"github.com/starter-go/starter/templates/project/internal/database"
	"github.com/starter-go/starter/templates/project/internal/telemetry"
)

func newWorkerCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run the task worker alone (scale it out as separate processes)",
		Long: "Claim and run background tasks until SIGINT or SIGTERM; then stop claiming, let running\n" +
			"tasks finish within tasks.shutdown_grace and put the rest back in the queue.",
		Args: usage(cobra.NoArgs),
	}
	concurrency := cmd.Flags().Int("concurrency", 0, "tasks run at once (overrides TASKS_CONCURRENCY)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		flags := map[string]any{}
		if cmd.Flags().Changed("concurrency") {
			flags["tasks.concurrency"] = *concurrency
		}
		return e.withDatabase(cmd.Context(), flags, awaitDatabase, func(ctx context.Context, cfg *config.Config, pool *pgxpool.Pool, tr *telemetry.Tracing) error {
			e.logger(cfg).Info("database connections", database.EndpointsOf(cfg).LogAttrs()...)
			svc, err := app.NewTaskService(pool, cfg, tr.Logger(e.logger(cfg)), prometheus.NewRegistry(), tr.Tracer())
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "worker %s running %d tasks at once\n", svc.Worker.ID(), cfg.Tasks.Concurrency)
			return svc.Worker.Run(ctx)
		})
	}
	return cmd
}

// noWorkerFlag is serve's --no-worker, for when workers run as processes of
// their own.
func noWorkerFlag(serve *cobra.Command) func(keys map[string]any) {
	noWorker := serve.Flags().Bool("no-worker", false, "do not run the task worker in this process")
	return func(keys map[string]any) {
		if *noWorker {
			keys["tasks.worker"] = false
		}
	}
}

// How withDatabase meets a database it cannot reach.
const (
	// failFast reports it: an operator command should say so at once.
	failFast = false
	// awaitDatabase waits for it, as serve does: a worker started with its
	// database (a reboot, a deploy) must not exit because it came up first.
	awaitDatabase = true
)

// withDatabase loads the configuration, connects (starting the local
// PostgreSQL in development when DATABASE_URL is unset), migrates when
// auto_migrate is on, and runs fn with a pool whose statements are traced
// when the OTEL_* variables turn tracing on (tr is nil when they do not).
// With awaitDatabase it waits for a database that cannot be reached yet,
// until ctx ends.
func (e *env) withDatabase(ctx context.Context, flags map[string]any, await bool,
	fn func(ctx context.Context, cfg *config.Config, pool *pgxpool.Pool, tr *telemetry.Tracing) error) (err error) {
	cfg, err := e.loadConfig(flags)
	if err != nil {
		return err
	}
	url, stopDB, err := database.DefaultDatabase(ctx, cfg, e.stderr)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, stopDB(context.WithoutCancel(ctx))) }()
	cfg.DatabaseURL = url
	tr, err := app.NewTracing(ctx, cfg.Tracing, e.logger(cfg))
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, tr.Shutdown(context.WithoutCancel(ctx))) }()
	opts := append(database.EndpointsOf(cfg).PoolOptions(), database.WithConfig(tr.ConfigurePool))
	pool, err := database.NewPool(ctx, url, opts...)
	if err != nil {
		return err
	}
	defer pool.Close()
	startup := func(ctx context.Context) error { return e.startup(ctx, cfg, pool) }
	if await {
		waited := false
		err = database.Await(ctx, startup, func(err error) {
			if !waited {
				fmt.Fprintf(e.stderr, "database unavailable (%v); waiting for it\n", err)
				waited = true
			}
		})
	} else {
		err = startup(ctx)
	}
	if err != nil {
		return err
	}
	return fn(ctx, cfg, pool, tr)
}

// startup migrates when auto_migrate is on and checks that the database answers.
func (e *env) startup(ctx context.Context, cfg *config.Config, pool *pgxpool.Pool) error {
	if cfg.AutoMigrate {
		m, err := database.NewMigrator()
		if err != nil {
			return err
		}
		if err := m.Up(ctx, database.EndpointsOf(cfg).Migrations()); err != nil {
			return err
		}
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		return fmt.Errorf("database: ping: %w", err)
	}
	return nil
}

// logger is the service logger on stderr at the configured level.
func (e *env) logger(cfg *config.Config) *slog.Logger {
	return app.NewLogger(e.stderr, cfg.LogLevel)
}
