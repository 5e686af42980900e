package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/starter-go/starter/generator"
)

func newGenerateCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "generate",
		Short: "Grow this project with generated code: a CRUD resource, a task type",
		Long: `Add code to the generated project around the working directory, as files
of its own registered by one line each, with its tests: the project builds,
vets and passes make test right after.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(
		newGenerateResourceCmd(e),
		newGenerateTaskCmd(e),
	)
	return cmd
}

func newGenerateResourceCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "resource NAME FIELD:TYPE[:MODIFIER]...",
		Short: "Generate a CRUD resource: table, store, routes, OpenAPI part, factory and tests",
		Long: `Generate the resource NAME (singular, snake_case) with the fields given as
NAME:TYPE[:MODIFIER]...:

  types      string (varchar 255), text, int (bigint), float (double), decimal
             (numeric, exact, a JSON string), bool, time (timestamptz, RFC 3339),
             date, uuid, json (jsonb), ref:OTHER (a foreign key to the resource
             OTHER: category_id:ref:category:required)
  modifiers  required (NOT NULL; given on create and PUT), unique, index,
             optional (the default: may be left out, then null)

It writes the next migration, the package internal/<plural> (types,
validation, a pgx store, handlers, routes), the OpenAPI part
internal/httpapi/openapi/<plural>.yaml, internal/app/feature_<plural>.go and
its line in features(), a factory in internal/apptest and the integration
tests tests/<plural>_test.go. The routes are /api/v1/<plural> (POST, GET with
limit, offset, sort and filters on the indexed fields) and
/api/v1/<plural>/{id} (GET, PUT, PATCH, DELETE).

Who reaches the rows: --owned (the default with auth) gives each row to its
creator, whom users see and change alone, moderators and admins every row;
--public lets anyone read and moderators write. Without auth, resources are
public and writable. Bad input writes nothing (exit 2).`,
		Example: `  starter generate resource category name:string:required:unique --public
  starter generate resource product title:string:required price:decimal \
    in_stock:bool:index released_on:date category_id:ref:category --dry-run`,
		Args: usageArgs(cobra.MinimumNArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			f := cmd.Flags()
			req := generator.ResourceRequest{Name: args[0], Fields: args[1:]}
			req.Owned, _ = f.GetBool("owned")
			req.Public, _ = f.GetBool("public")
			req.Plural, _ = f.GetString("plural")
			req.Force, _ = f.GetBool("force")
			dryRun, _ := f.GetBool("dry-run")
			if req.Owned && req.Public {
				return usageError{errors.New("--owned and --public contradict each other")}
			}
			return e.generateResource(cmd, req, dryRun)
		},
	}
	f := cmd.Flags()
	f.Bool("owned", false, "rows belong to their creator (the default when the project has auth)")
	f.Bool("public", false, "anyone reads; moderators and admins write")
	f.String("plural", "", "the plural (package, table and path) when NAME's regular one is wrong (default NAME+s, +es, y→ies)")
	f.Bool("dry-run", false, "print the files it would write, write nothing")
	f.Bool("force", false, "rewrite the files of a resource that exists (its migration included)")
	return cmd
}

func (e *env) generateResource(cmd *cobra.Command, req generator.ResourceRequest, dryRun bool) error {
	p, err := e.findProject()
	if err != nil {
		return err
	}
	plan, err := generator.PlanResource(cmd.Context(), e.src, p.Root, req)
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
	r := plan.Resource
	_, err = fmt.Fprintf(out, "\n%s: /api/v1/%s (%s). Next: go test ./tests -run %s, then make test\n",
		r.Name, r.Plural, r.Access, "'"+testPrefix(r)+"'")
	return err
}

// testPrefix matches the tests of a resource (TestProduct…, TestProducts…).
func testPrefix(r generator.ProjectResource) string {
	return "Test" + generator.GoName(r.Name)
}
