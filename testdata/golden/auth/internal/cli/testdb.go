package cli

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"example.com/demo/internal/database"
	"example.com/demo/internal/platform/pgtest"
)

// errNoTestServer: reset, status and clean act on a server that outlives the command.
var errNoTestServer = errors.New("TEST_DATABASE_URL is not set: without it the test server is a throw-away one " +
	"that lives only during `test-db run`; set TEST_DATABASE_URL to an admin DSN to manage its test databases")

func newTestDBCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "test-db",
		Short: "Manage the test databases (template and clones) and run tests against one server",
		Args:  cobra.ArbitraryArgs,
		RunE:  groupRunE,
	}
	cmd.AddCommand(
		&cobra.Command{
			Use:   "reset",
			Short: "Drop and rebuild the template database of the current migrations",
			Args:  usage(cobra.NoArgs),
			RunE: func(cmd *cobra.Command, _ []string) error {
				dsn, m, err := e.testServer()
				if err != nil {
					return err
				}
				if err := pgtest.Reset(cmd.Context(), dsn, m); err != nil {
					return err
				}
				fmt.Fprintln(e.stdout, "template database rebuilt")
				return nil
			},
		},
		&cobra.Command{
			Use:   "status",
			Short: "Show the template databases and the clones left on the test server",
			Args:  usage(cobra.NoArgs),
			RunE: func(cmd *cobra.Command, _ []string) error {
				dsn, _, err := e.testServer()
				if err != nil {
					return err
				}
				st, err := pgtest.Status(cmd.Context(), dsn)
				if err != nil {
					return err
				}
				e.printTestDBs("template", st.Templates)
				e.printTestDBs("clone", st.Clones)
				e.printTestDBs("building", st.Building)
				return nil
			},
		},
		&cobra.Command{
			Use:   "clean",
			Short: "Drop clones no one uses, unfinished builds and all but the newest template",
			Args:  usage(cobra.NoArgs),
			RunE: func(cmd *cobra.Command, _ []string) error {
				dsn, _, err := e.testServer()
				if err != nil {
					return err
				}
				dropped, err := pgtest.Clean(cmd.Context(), dsn)
				for _, name := range dropped {
					fmt.Fprintf(e.stdout, "dropped %s\n", name)
				}
				return err
			},
		},
		&cobra.Command{
			Use:   "run [--pgbouncer] -- CMD [ARG...]",
			Short: "Run a command (go test ./...) against one test PostgreSQL shared by all test binaries",
			Long: "Run a command (go test ./...) against one test PostgreSQL shared by all test binaries.\n" +
				"--pgbouncer puts a PgBouncer in transaction mode in front of it (TEST_DATABASE_POOLER_URL):\n" +
				"the services under test then reach their databases through it, as behind a pooler in production.",
			// CMD's own flags (go test -count=1) are not ours: everything after run is CMD.
			DisableFlagParsing: true,
			RunE: func(cmd *cobra.Command, args []string) error {
				pooler := len(args) > 0 && args[0] == "--pgbouncer"
				if pooler {
					args = args[1:]
				}
				if len(args) > 0 && args[0] == "--" {
					args = args[1:]
				}
				if len(args) == 0 {
					return usageError{errors.New("test-db run: requires a command (test-db run -- go test ./...)")}
				}
				if args[0] == "-h" || args[0] == "--help" {
					return cmd.Help()
				}
				code, err := pgtest.RunWith(cmd.Context(), pgtest.RunOptions{Env: e.environ(os.Environ()),
					Stdout: e.stdout, Stderr: e.stderr, Pooler: pooler}, args[0], args[1:]...)
				if err != nil {
					return err
				}
				if code != 0 {
					return exitError{code}
				}
				return nil
			},
		},
	)
	return cmd
}

func (e *env) testServer() (string, *database.Migrator, error) {
	dsn := e.getenv("TEST_DATABASE_URL")
	if dsn == "" {
		return "", nil, errNoTestServer
	}
	m, err := database.NewMigrator()
	return dsn, m, err
}

func (e *env) printTestDBs(kind string, dbs []pgtest.Database) {
	for _, d := range dbs {
		fmt.Fprintf(e.stdout, "%-8s %s  (%d kB)\n", kind, d.Name, d.Bytes/1024)
	}
}
