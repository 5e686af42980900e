// Package cli is the command line of the service. The cobra tree is built by
// constructor functions from an env holding the process's arguments,
// environment and streams, so commands run the same in tests.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/gin-gonic/gin"
	"github.com/spf13/cobra"

	"example.com/demo/internal/app"
	"example.com/demo/internal/buildinfo"
	"example.com/demo/internal/config"
)

// env is what commands may use of the process.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// dotenv holds what .env added to the environment (dotenv.go).
	dotenv map[string]string
}

// Main runs the command line and returns the exit code: 0 success, 1 failure,
// 2 usage error, 130 interrupted. SIGINT and SIGTERM cancel the context.
func Main(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := Run(ctx, args, getenv, stdin, stdout, stderr)
	var exit exitError
	if err != nil && !errors.As(err, &exit) {
		fmt.Fprintf(stderr, "%s: %v\n", buildinfo.Name, err)
		var usage usageError
		if errors.As(err, &usage) {
			fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", buildinfo.Name)
		}
	}
	return exitCode(err)
}

// Run executes the command line args (args[0] is the program name). Outside
// production, the variables of .env in the working directory fill in those
// the environment does not set. gin runs in release mode: the service logs
// its requests itself, and gin's debug output would only add noise.
func Run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	gin.SetMode(gin.ReleaseMode)
	getenv, dotenv, err := withDotEnv(dotEnvFile, getenv)
	if err != nil {
		return err
	}
	e := &env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr, dotenv: dotenv}
	root := newRootCmd(e)
	if len(args) > 0 {
		args = args[1:]
	}
	root.SetArgs(args)
	return root.ExecuteContext(ctx)
}

func newRootCmd(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:           buildinfo.Name,
		Short:         buildinfo.Name + " service",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.ArbitraryArgs,
		RunE:          groupRunE,
	}
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(
		newServeCmd(e),
		newMigrateCmd(e),
		newTestDBCmd(e),
		newDevDBCmd(e),
		newHealthCheckCmd(e),
		newOpenAPICmd(e),
		newVersionCmd(e),
		newDevCmd(e),
		newChaosCmd(e),
	)
	root.AddCommand(featureCommands(e)...)
	return root
}

// groupRunE is the RunE of commands that only group subcommands: help when
// called alone, a usage error for an unknown subcommand.
func groupRunE(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Errorf("unknown command %q for %q", args[0], cmd.CommandPath())}
	}
	return cmd.Help()
}

// loadConfig loads the configuration with the flags given on the command line.
func (e *env) loadConfig(flags map[string]any) (*config.Config, error) {
	return app.LoadConfig(e.getenv, flags)
}

// usageError is a mistake in the command line (exit code 2).
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

// usage wraps an argument validator so that its errors are usage errors.
func usage(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}

// exitError carries the exit code of a command that already reported its failure.
type exitError struct{ code int }

func (x exitError) Error() string { return fmt.Sprintf("exit status %d", x.code) }

func exitCode(err error) int {
	var usage usageError
	var exit exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return exit.code
	case errors.As(err, &usage):
		return 2
	case errors.Is(err, context.Canceled):
		return 130
	default:
		return 1
	}
}
