package main

import "github.com/spf13/cobra"

func newDBCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "db",
		Short: "Inside a generated project: manage its test databases",
		Args:  usageArgs(cobra.NoArgs),
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	reset := &cobra.Command{
		Use:   "reset",
		Short: "Drop and rebuild the test template database (./cmd/NAME test-db reset)",
	}
	reset.RunE = e.passThrough(reset, "test-db", "reset")
	cmd.AddCommand(reset)
	return cmd
}
