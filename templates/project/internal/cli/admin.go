package cli

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/spf13/cobra"

	"github.com/starter-go/starter/templates/project/internal/config"
	"github.com/starter-go/starter/templates/project/internal/tasks"
	"github.com/starter-go/starter/templates/project/internal/telemetry"
)

func newAdminCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "admin",
		Short: "Operator commands straight on the database",
		Args:  cobra.ArbitraryArgs,
		RunE:  groupRunE,
	}
	cmd.AddCommand(newTaskStatsCmd(e), newListTasksCmd(e), newClearCompletedCmd(e))
	return cmd
}

func newTaskStatsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "task-stats",
		Short: "Count tasks by status",
		Args:  usage(cobra.NoArgs),
	}
	tag := cmd.Flags().String("tag", "", `count only tasks whose metadata has "tag": T or a "tags" array holding T`)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		return e.withDatabase(cmd.Context(), nil, failFast, func(ctx context.Context, _ *config.Config, pool *pgxpool.Pool, _ *telemetry.Tracing) error {
			st, err := tasks.NewStore(pool).Stats(ctx, *tag)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			for _, row := range []struct {
				name string
				n    int64
			}{{"pending", st.Pending}, {"running", st.Running}, {"retrying", st.Retrying}, {"completed", st.Completed},
				{"failed", st.Failed}, {"cancelled", st.Cancelled}, {"total", st.Total}} {
				fmt.Fprintf(tw, "%s\t%d\n", row.name, row.n)
			}
			return tw.Flush()
		})
	}
	return cmd
}

func newListTasksCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list-tasks",
		Short: "List the newest tasks",
		Args:  usage(cobra.NoArgs),
	}
	status := cmd.Flags().String("status", "", "only tasks in this status")
	limit := cmd.Flags().Int("limit", 50, "how many tasks, 1–1000")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		f := tasks.Filter{Limit: *limit}
		if *status != "" {
			st, ok := tasks.ParseStatus(*status)
			if !ok {
				return usageError{fmt.Errorf("--status %q: must be one of pending, running, retrying, completed, failed, cancelled", *status)}
			}
			f.Status = st
		}
		if *limit < 1 || *limit > 1000 {
			return usageError{fmt.Errorf("--limit %d: must be 1–1000", *limit)}
		}
		return e.withDatabase(cmd.Context(), nil, failFast, func(ctx context.Context, _ *config.Config, pool *pgxpool.Pool, _ *telemetry.Tracing) error {
			list, err := tasks.NewStore(pool).List(ctx, f)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tTYPE\tSTATUS\tPRIORITY\tATTEMPT\tCREATED\tLAST ERROR")
			for _, t := range list {
				lastErr := ""
				if t.LastError != nil {
					lastErr = *t.LastError
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d/%d\t%s\t%s\n", t.ID, t.TaskType, t.Status, t.Priority,
					t.CurrentAttempt, t.MaxAttempts, t.CreatedAt.UTC().Format(time.RFC3339), lastErr)
			}
			return tw.Flush()
		})
	}
	return cmd
}

// maxAgeDays bounds clear-completed's age: a hundred years.
const maxAgeDays = 36500

func newClearCompletedCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "clear-completed",
		Short: "Delete completed tasks that finished more than N days ago",
		Args:  usage(cobra.NoArgs),
	}
	days := cmd.Flags().Int("older-than-days", 7, fmt.Sprintf("age in days of the completed tasks to delete, 0–%d (0: all)", maxAgeDays))
	dryRun := cmd.Flags().Bool("dry-run", false, "count them and delete nothing")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		// Unbounded, days × 24h overflows time.Duration and wraps to an age
		// in the past or future: "older than 200000 days" deleted everything.
		if *days < 0 || *days > maxAgeDays {
			return usageError{fmt.Errorf("--older-than-days %d: must be at least 0 and at most %d", *days, maxAgeDays)}
		}
		return e.withDatabase(cmd.Context(), nil, failFast, func(ctx context.Context, _ *config.Config, pool *pgxpool.Pool, _ *telemetry.Tracing) error {
			age := time.Duration(*days) * 24 * time.Hour
			n, err := tasks.NewStore(pool).ClearCompleted(ctx, age, *dryRun)
			if err != nil {
				return err
			}
			if *dryRun {
				fmt.Fprintf(e.stdout, "would delete %d completed task(s) older than %d day(s)\n", n, *days)
				return nil
			}
			fmt.Fprintf(e.stdout, "deleted %d completed task(s) older than %d day(s)\n", n, *days)
			return nil
		})
	}
	return cmd
}
