package main

import "github.com/spf13/cobra"

func newMigrateCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "migrate up|down [N]|status|create NAME|force V",
		Short: "Inside a generated project: run its migrations (./cmd/NAME migrate …)",
		Long: `Run the migrations of the generated project around the working directory:
builds ./cmd/NAME and runs NAME migrate …, every argument and flag passed through.`,
	}
	cmd.RunE = e.passThrough(cmd, "migrate")
	return cmd
}
