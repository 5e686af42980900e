package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/starter-go/starter/generator"
)

func newGenerateTaskCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "task NAME",
		Short: "Generate a task type: a handler with a typed payload, its registration and tests",
		Long: `Generate the task type NAME (snake_case, at most 64 characters) in a project
with the tasks feature: internal/tasks/handler_NAME.go (the payload, its
validation and the handler, a placeholder for the work), its line in
ownTypes() of internal/tasks/own_types.go, which registers it with the worker
and so with the types the API accepts (GET /api/v1/tasks/types), and
tests/NAME_task_test.go, which runs a task through the service's worker to
completed and shows that a bad payload fails at once.

NAME may be neither a built-in type nor one the project has, nor end in a
part that limits where Go builds a file (_test, _linux, _amd64…). Bad input
writes nothing (exit 2). When own_types.go no longer has its list, it prints
the line to add by hand and writes nothing.`,
		Example: `  starter generate task resize_image
  starter generate task send_invoice --dry-run`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			dryRun, _ := cmd.Flags().GetBool("dry-run")
			return e.generateTask(cmd, generator.TaskRequest{Name: args[0]}, dryRun)
		},
	}
	cmd.Flags().Bool("dry-run", false, "print the files it would write, write nothing")
	return cmd
}

func (e *env) generateTask(cmd *cobra.Command, req generator.TaskRequest, dryRun bool) error {
	p, err := e.findProject()
	if err != nil {
		return err
	}
	plan, err := generator.PlanTask(cmd.Context(), e.src, p.Root, req)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if dryRun {
		fmt.Fprintf(out, "would write (dry run, nothing written):\n")
		return plan.WriteSummary(out)
	}
	if err := plan.Write(cmd.Context()); err != nil {
		return err
	}
	if err := plan.WriteSummary(out); err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "\n%s: registered with the worker. Next: write its work in internal/tasks/handler_%s.go, "+
		"go test ./tests -run '%s', then make test\n", plan.Type, plan.Type, plan.TestPattern())
	return err
}
