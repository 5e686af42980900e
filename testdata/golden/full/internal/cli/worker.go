package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"example.com/demo/internal/config"
	"example.com/demo/internal/database"
	"example.com/demo/internal/tasks"
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
		return e.withDatabase(cmd.Context(), flags, func(ctx context.Context, cfg *config.Config, pool *pgxpool.Pool) error {
			svc, err := tasks.NewService(pool, cfg.Tasks, e.logger(cfg), prometheus.NewRegistry())
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "worker %s running %d tasks at once\n", svc.Worker.ID(), cfg.Tasks.Concurrency)
			return svc.Worker.Run(ctx)
		})
	}
	return cmd
}

// withDatabase loads the configuration, connects (starting the local
// PostgreSQL in development when DATABASE_URL is unset), migrates when
// auto_migrate is on, and runs fn with a pool.
func (e *env) withDatabase(ctx context.Context, flags map[string]any, fn func(context.Context, *config.Config, *pgxpool.Pool) error) (err error) {
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
	if cfg.AutoMigrate {
		m, err := database.NewMigrator()
		if err != nil {
			return err
		}
		if err := m.Up(ctx, url); err != nil {
			return err
		}
	}
	pool, err := database.Open(ctx, url)
	if err != nil {
		return err
	}
	defer pool.Close()
	return fn(ctx, cfg, pool)
}
