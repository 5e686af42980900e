package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/starter-go/starter/generator"
)

func newAddCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "add FEATURE...",
		Short: "Add an optional part (auth, tasks) to this project, merging into your edits",
		Long: `Add optional parts to the generated project around the working directory:
the templates are rendered again with the features added, and the difference
from the project's pristine generated tree (the git ref refs/starter/base) is
merged into your files, three-way, file by file. See starter upgrade --help for
how files are merged and what to do with conflicts.

The features' migrations are numbered after the project's latest one, and the
new names recorded in .starter.yaml. A feature that needs another the project
lacks is refused (tasks requires auth: starter add auth tasks).`,
		Example: `  starter add tasks --dry-run
  starter add tasks`,
		Args: usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			var features []string
			for _, a := range args {
				for f := range strings.SplitSeq(a, ",") {
					if f = strings.TrimSpace(f); f != "" {
						features = append(features, f)
					}
				}
			}
			dryRun, _ := cmd.Flags().GetBool("dry-run")
			return e.update(cmd.Context(), generator.UpdateRequest{Add: features, DryRun: dryRun})
		},
	}
	cmd.Flags().Bool("dry-run", false, "print the plan (files added, replaced, merged, conflicting, deleted), write nothing")
	return cmd
}
