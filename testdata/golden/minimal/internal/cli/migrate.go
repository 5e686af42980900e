package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"example.com/demo/internal/database"
)

func newMigrateCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply, revert and create database migrations",
		Long: "Manage the schema with the migrations embedded in the binary (golang-migrate).\n" +
			"The database is DATABASE_URL, or the local PostgreSQL of `serve` when it is unset.",
		Args: cobra.ArbitraryArgs,
		RunE: groupRunE,
	}
	cmd.AddCommand(
		&cobra.Command{
			Use:   "up",
			Short: "Apply every pending migration",
			Args:  usage(cobra.NoArgs),
			RunE: func(cmd *cobra.Command, _ []string) error {
				return e.withMigrator(cmd.Context(), func(ctx context.Context, m *database.Migrator, dsn string) error {
					if err := m.Up(ctx, dsn); err != nil {
						return err
					}
					return e.printStatus(ctx, m, dsn)
				})
			},
		},
		&cobra.Command{
			Use:   "down [N]",
			Short: "Revert the last N migrations (default 1)",
			Args:  usage(cobra.MaximumNArgs(1)),
			RunE: func(cmd *cobra.Command, args []string) error {
				n := 1
				if len(args) == 1 {
					v, err := strconv.Atoi(args[0])
					if err != nil || v < 1 {
						return usageError{fmt.Errorf("migrate down: N must be a positive integer, got %q", args[0])}
					}
					n = v
				}
				return e.withMigrator(cmd.Context(), func(ctx context.Context, m *database.Migrator, dsn string) error {
					if err := m.Down(ctx, dsn, n); err != nil {
						return err
					}
					return e.printStatus(ctx, m, dsn)
				})
			},
		},
		&cobra.Command{
			Use:   "status",
			Short: "Show the applied version and the pending migrations",
			Args:  usage(cobra.NoArgs),
			RunE: func(cmd *cobra.Command, _ []string) error {
				return e.withMigrator(cmd.Context(), e.printStatus)
			},
		},
		newMigrateCreateCmd(e),
		&cobra.Command{
			Use:   "force V",
			Short: "Record version V as applied and clean (after fixing a failed migration by hand)",
			Args:  usage(cobra.ExactArgs(1)),
			RunE: func(cmd *cobra.Command, args []string) error {
				v, err := strconv.Atoi(args[0])
				if err != nil || v < -1 {
					return usageError{fmt.Errorf("migrate force: V must be a version number, got %q", args[0])}
				}
				return e.withMigrator(cmd.Context(), func(ctx context.Context, m *database.Migrator, dsn string) error {
					if err := m.Force(ctx, dsn, v); err != nil {
						return err
					}
					return e.printStatus(ctx, m, dsn)
				})
			},
		},
	)
	return cmd
}

func newMigrateCreateCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Write the next numbered pair of empty migrations into the migrations directory",
		Args:  usage(cobra.ExactArgs(1)),
	}
	dir := cmd.Flags().String("dir", "migrations", "migrations directory")
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		up, down, err := database.Create(*dir, args[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "created %s\ncreated %s\n", up, down)
		return nil
	}
	return cmd
}

// withMigrator runs fn on the configured database, starting the local one when needed.
func (e *env) withMigrator(ctx context.Context, fn func(context.Context, *database.Migrator, string) error) (err error) {
	cfg, err := e.loadConfig(nil)
	if err != nil {
		return err
	}
	m, err := database.NewMigrator()
	if err != nil {
		return err
	}
	dsn, stop, err := database.DefaultDatabase(ctx, cfg, e.stderr)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, stop(context.WithoutCancel(ctx))) }()
	cfg.DatabaseURL = dsn
	return fn(ctx, m, database.EndpointsOf(cfg).Migrations())
}

func (e *env) printStatus(ctx context.Context, m *database.Migrator, dsn string) error {
	st, err := m.Status(ctx, dsn)
	if err != nil {
		return err
	}
	state := "clean"
	if st.Dirty {
		state = "DIRTY: fix the schema by hand, then `migrate force V`"
	}
	fmt.Fprintf(e.stdout, "version %d of %d (%s)\n", st.Version, st.Latest, state)
	for _, p := range st.Pending {
		fmt.Fprintf(e.stdout, "pending %06d_%s\n", p.Version, p.Name)
	}
	return nil
}
