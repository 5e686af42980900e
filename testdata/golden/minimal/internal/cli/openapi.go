package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"example.com/demo/internal/httpapi/openapi"
)

// newOpenAPICmd prints the OpenAPI document the service serves at
// /api/v1/openapi.json, for client generators and reviews; it needs no
// database and no configuration.
func newOpenAPICmd(e *env) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "openapi",
		Short: "Print the OpenAPI document of the HTTP API (--format json or yaml)",
		Args:  usage(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error {
			if format != "json" && format != "yaml" {
				return usageError{fmt.Errorf("--format must be json or yaml, got %q", format)}
			}
			doc, err := openapi.Load()
			if err != nil {
				return err
			}
			out := doc.IndentedJSON()
			if format == "yaml" {
				out = doc.YAML()
			}
			_, err = e.stdout.Write(out)
			return err
		},
	}
	cmd.Flags().StringVar(&format, "format", "json", "json or yaml")
	return cmd
}
