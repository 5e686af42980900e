package main

import "github.com/spf13/cobra"

func newDBCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "db reset|status|clean",
		Short: "Inside a generated project: manage its test databases (./cmd/NAME test-db …)",
		Args:  usageArgs(cobra.NoArgs),
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	subs := []struct{ name, short string }{
		{"reset", "Drop and rebuild the test template database (./cmd/NAME test-db reset)"},
		{"status", "Show the template databases and the clones left on the test server (./cmd/NAME test-db status)"},
		{"clean", "Drop unused clones, unfinished builds and all but the newest template (./cmd/NAME test-db clean)"},
	}
	for _, s := range subs {
		sub := &cobra.Command{Use: s.name, Short: s.short}
		sub.RunE = e.passThrough(sub, "test-db", s.name)
		cmd.AddCommand(sub)
	}
	return cmd
}
