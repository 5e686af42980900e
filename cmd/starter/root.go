package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/charmbracelet/huh"
	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/starter-go/starter/generator"
	startrt "github.com/starter-go/starter/runtime"
	"github.com/starter-go/starter/templates"
)

// env is everything a command may touch of the outside world; run builds it
// once and tests build their own.
type env struct {
	getenv         func(string) string
	stdin          io.Reader
	stdout, stderr io.Writer
	// interactive: stdin is a terminal, so a form may ask for missing values.
	interactive bool
	// progress: stdout is a terminal, so steps are printed as they happen.
	progress bool
	// accessible runs forms in huh's accessible (line-by-line) mode.
	accessible bool
	getwd      func() (string, error)
	v          *viper.Viper
	src        generator.Sources
}

// run is the whole program: main only maps its error to an exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	e := &env{
		getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr,
		interactive: isTerminal(stdin),
		progress:    isTerminal(stdout),
		accessible:  getenv("ACCESSIBLE") != "",
		getwd:       os.Getwd,
		v:           viper.New(),
		src:         generator.Sources{Templates: templates.FS, Runtime: startrt.FS},
	}
	return e.execute(ctx, args)
}

func (e *env) execute(ctx context.Context, args []string) error {
	root := newRootCmd(e)
	root.SetArgs(args)
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	return root.ExecuteContext(ctx)
}

func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	return ok && (isatty.IsTerminal(file.Fd()) || isatty.IsCygwinTerminal(file.Fd()))
}

func newRootCmd(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "starter",
		Short: "Generate and run Gin + PostgreSQL services",
		Long: `starter generates a complete Gin + PostgreSQL service from the templates
embedded in it, and runs the everyday commands of a generated project.

  starter new demo -y          generate ./demo with the defaults
  cd demo && starter serve     run it on its own PostgreSQL`,
		Args:                       usageArgs(cobra.ArbitraryArgs),
		SilenceUsage:               true,
		SilenceErrors:              true,
		Version:                    starterVersion(),
		SuggestionsMinimumDistance: 2,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
				if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
					msg += "; did you mean " + strings.Join(s, ", ") + "?"
				}
				return usageError{errors.New(msg)}
			}
			return cmd.Help()
		},
	}
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%w (see %s --help)", err, cmd.CommandPath())}
	})
	root.AddCommand(newNewCmd(e), newServeCmd(e), newMigrateCmd(e), newDBCmd(e), newGenerateCmd(e), newAddCmd(e), newUpgradeCmd(e),
		newDoctorCmd(e), newVersionCmd(e))
	return root
}

// usageError is a mistake in the command line: exit code 2.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

// usageArgs makes a cobra argument check report a usage error.
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return usageError{fmt.Errorf("%w (see %s --help)", err, cmd.CommandPath())}
		}
		return nil
	}
}

// errCancelled is the user stopping us: exit code 130.
var errCancelled = errors.New("cancelled")

// errNothingWritten marks a cancellation of `new`, which leaves no files behind.
var errNothingWritten = fmt.Errorf("%w: nothing was written", errCancelled)

// exitError carries the exit code of a project command that failed; that
// command has already said why.
type exitError struct{ code int }

func (x exitError) Error() string { return fmt.Sprintf("exit status %d", x.code) }

// exitCode prints err once and maps it to the process exit code:
// 0 success, 1 failure, 2 usage error, 130 cancelled.
func exitCode(err error, stderr io.Writer) int {
	var ue usageError
	var xe exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &xe):
		return xe.code
	case errors.Is(err, errCancelled):
		fmt.Fprintln(stderr, "starter:", err)
		return 130
	case errors.Is(err, context.Canceled), errors.Is(err, huh.ErrUserAborted):
		fmt.Fprintln(stderr, "starter:", errCancelled)
		return 130
	case errors.As(err, &ue), generator.IsInputError(err):
		fmt.Fprintln(stderr, "starter:", err)
		return 2
	}
	fmt.Fprintln(stderr, "starter:", err)
	return 1
}
