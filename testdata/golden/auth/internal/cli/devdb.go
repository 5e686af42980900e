package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"example.com/demo/internal/config"
	"example.com/demo/internal/platform/pgembed"
)

// newDevDBCmd manages the data of the local PostgreSQL that serve starts without DATABASE_URL.
// As root that data lives outside the project (PostgreSQL does not run as root, and its user may
// not reach the project): these commands find it and remove it.
func newDevDBCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dev-db",
		Short: "Show or drop the data of the local PostgreSQL that serve starts (data_dir)",
		Args:  cobra.ArbitraryArgs,
		RunE:  groupRunE,
	}
	cmd.AddCommand(
		&cobra.Command{
			Use:   "status",
			Short: "Where the local database's data is, its size, and whether a server runs in it",
			Args:  usage(cobra.NoArgs),
			RunE: func(*cobra.Command, []string) error {
				cfg, err := e.loadConfig(nil)
				if err != nil {
					return err
				}
				c, err := pgembed.Inspect(cfg.DataDir)
				if err != nil {
					return err
				}
				e.printDevDB(cfg, c)
				return nil
			},
		},
		&cobra.Command{
			Use:   "drop",
			Short: "Delete the local database's data, wherever it lives (refused while serve runs)",
			Args:  usage(cobra.NoArgs),
			RunE: func(*cobra.Command, []string) error {
				cfg, err := e.loadConfig(nil)
				if err != nil {
					return err
				}
				c, err := pgembed.Remove(cfg.DataDir)
				if err != nil {
					return err
				}
				if !c.Exists {
					fmt.Fprintf(e.stdout, "no local database in %s\n", c.DataDir)
					return nil
				}
				fmt.Fprintf(e.stdout, "removed %s\n", c.DataDir)
				return nil
			},
		},
	)
	return cmd
}

func (e *env) printDevDB(cfg *config.Config, c pgembed.Cluster) {
	if !c.Exists {
		fmt.Fprintf(e.stdout, "no local database in %s\n", c.DataDir)
		return
	}
	fmt.Fprintf(e.stdout, "data:    %s\n", c.DataDir)
	if c.Relocated {
		fmt.Fprintf(e.stdout, "         (data_dir is %s: PostgreSQL does not run as root, so its data lives here)\n", cfg.DataDir)
	}
	fmt.Fprintf(e.stdout, "size:    %d MB\n", c.Bytes>>20)
	if c.PID != 0 {
		fmt.Fprintf(e.stdout, "server:  running (pid %d)\n", c.PID)
	} else {
		fmt.Fprintln(e.stdout, "server:  stopped")
	}
}
