package main

import "github.com/spf13/cobra"

func newServeCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve [flags]",
		Short: "Inside a generated project: run its API (go run ./cmd/NAME serve)",
		Long: `Run the service of the generated project around the working directory:
go run ./cmd/NAME serve, with every flag passed through (--port N, --no-worker…).
Without DATABASE_URL it starts its own PostgreSQL from the installed binaries.`,
	}
	cmd.RunE = e.passThrough(cmd, "serve")
	return cmd
}
