package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"example.com/demo/internal/buildinfo"
)

func newVersionCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and build time",
		Args:  usage(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprintf(e.stdout, "%s %s (commit %s, built %s)\n",
				buildinfo.Name, buildinfo.Version, buildinfo.Commit, buildinfo.BuildTime)
			return nil
		},
	}
}
