package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"example.com/demo/internal/chaos"
)

func newChaosCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "chaos",
		Short: "Break real processes of this service on purpose and check that nothing is lost",
		Long: "Start this binary as API servers (and, with tasks, workers) on one PostgreSQL, drive load through\n" +
			"the HTTP API and inject faults, each level adding to the ones before: 1 a baseline, 2 the database\n" +
			"stopped hard and started again, 3 workers killed with SIGKILL, 4 a task flood, 5 a failing webhook\n" +
			"target, 6 all of it at random with more processes. Exit 1 when a task was lost or ran twice, a request\n" +
			"failed with a 5xx other than 503, or readiness was not back within 5s of the database.\n" +
			"The database is a throw-away PostgreSQL unless DATABASE_URL names one (its outages are then simulated).",
		Args: usage(cobra.NoArgs),
	}
	level := cmd.Flags().Int("level", 1, fmt.Sprintf("1 (baseline) to %d (everything at random)", chaos.Levels()))
	duration := cmd.Flags().Duration("duration", time.Minute, "how long the load runs, faults included (the drain follows)")
	jsonFile := cmd.Flags().String("json", "", "also write the report as JSON to this file")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		switch {
		case *level > chaos.Levels() && *level <= chaos.MaxLevel:
			return usageError{fmt.Errorf("--level %d: levels 3–%d break what the tasks feature adds (workers, a queue "+
				"to flood, a webhook breaker); this service has levels 1–%d", *level, chaos.MaxLevel, chaos.Levels())}
		case *level < 1 || *level > chaos.Levels():
			return usageError{fmt.Errorf("--level must be 1–%d, got %d", chaos.Levels(), *level)}
		}
		bin, err := os.Executable()
		if err != nil {
			return fmt.Errorf("chaos: %w", err)
		}
		rep, err := chaos.Run(cmd.Context(), chaos.Options{
			Level: *level, Duration: *duration, Binary: bin, Env: e.environ(os.Environ()),
			DatabaseURL: e.getenv("DATABASE_URL"), Progress: e.stdout,
		})
		if err != nil {
			return err
		}
		if *jsonFile != "" {
			if err := writeReport(*jsonFile, rep); err != nil {
				return err
			}
		}
		if !rep.Passed {
			return exitError{1}
		}
		return nil
	}
	return cmd
}

func writeReport(path string, rep *chaos.Report) error {
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("chaos: %w", err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("chaos: %w", err)
	}
	return nil
}
