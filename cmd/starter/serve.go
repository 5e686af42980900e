package main

import "github.com/spf13/cobra"

func newServeCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve [flags]",
		Short: "Inside a generated project: run its API (./cmd/NAME serve)",
		Long: `Run the service of the generated project around the working directory:
builds ./cmd/NAME and runs NAME serve, every flag passed through (--port N,
--no-worker…) and its exit code returned as ours.
Without DATABASE_URL it starts its own PostgreSQL from the installed binaries.`,
	}
	cmd.RunE = e.passThrough(cmd, "serve")
	return cmd
}
