package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/spf13/cobra"
)

func newHealthCheckCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "health-check",
		Short: "Exit 0 when the database answers (for container health checks)",
		Args:  usage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := e.loadConfig(nil)
			if err != nil {
				return err
			}
			if cfg.DatabaseURL == "" {
				return errors.New("health-check: DATABASE_URL is not set")
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), cfg.HealthCheckTimeout)
			defer cancel()
			conn, err := pgx.Connect(ctx, cfg.DatabaseURL)
			if err != nil {
				return fmt.Errorf("health-check: database unreachable: %w", err)
			}
			defer conn.Close(context.WithoutCancel(ctx))
			if err := conn.Ping(ctx); err != nil {
				return fmt.Errorf("health-check: database does not answer: %w", err)
			}
			fmt.Fprintln(e.stdout, "ok")
			return nil
		},
	}
}
