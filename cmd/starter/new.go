package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/charmbracelet/huh"
	"github.com/spf13/cast"
	"github.com/spf13/cobra"

	"github.com/starter-go/starter/generator"
)

func newNewCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "new [NAME]",
		Short: "Generate a service into ./NAME",
		Long: `Generate a complete Gin + PostgreSQL service into ./NAME (or --dir).

Every flag can also be set as STARTER_<FLAG> in the environment (STARTER_DB_NAME,
STARTER_MODULE_PREFIX…) or as a key of $XDG_CONFIG_HOME/starter/config.yaml
(db-name: …, module_prefix: github.com/acme); flags win over the environment,
which wins over the file.

On a terminal a form asks for what is missing; otherwise the defaults are used,
and --no-input makes anything missing an error instead.`,
		Example: `  starter new demo -y
  starter new shop --module github.com/acme/shop --features auth,tasks --port 9000 --no-git
  starter new demo --dry-run -y`,
		Args: usageArgs(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := e.loadSettings(cmd.Flags()); err != nil {
				return err
			}
			req, err := e.resolveNew(args)
			if err != nil {
				return namingFlag(err)
			}
			return e.generate(cmd.Context(), req)
		},
	}
	f := cmd.Flags()
	f.String("module", "", "Go module `path` (default example.com/NAME, or <module_prefix>/NAME from the config)")
	f.String("dir", "", "`directory` to create (default ./NAME)")
	f.String("features", "", "optional parts, a comma-separated `list` of: auth, tasks (tasks requires auth), or none (default auth,tasks)")
	f.String("db-name", "", "PostgreSQL database `name` (default NAME, or NAME_db when PostgreSQL reserves NAME)")
	f.String("port", "", "HTTP `port`, 1-65535 (default 8080)")
	f.BoolP("yes", "y", false, "take the defaults for everything not given, without asking")
	f.Bool("no-input", false, "never prompt: fail listing the values that were not given")
	f.Bool("dry-run", false, "print the files that would be written, write nothing")
	f.Bool("git", true, "create a git repository with an initial commit (when git is installed)")
	f.Bool("no-git", false, "do not create a git repository")
	f.Bool("force", false, "write into DIR even if it is not empty")
	return cmd
}

// flagError is a bad value of `starter new` that names its flag: the value
// may have come from the flag, from STARTER_<FLAG> or from the config file,
// and the flag is the name the help text documents for all three.
type flagError struct {
	flag string
	*generator.InputError
}

func (f flagError) Error() string {
	return fmt.Sprintf("invalid %s %q (%s): %s", f.Field, f.Value, f.flag, f.Rule)
}

func (f flagError) Unwrap() error { return f.InputError }

// namingFlag names the flag in an input error about a flag's value, unless
// the rule already names it.
func namingFlag(err error) error {
	var ie *generator.InputError
	if !errors.As(err, &ie) {
		return err
	}
	flag := flagOf(ie.Field)
	if flag == "" || strings.Contains(ie.Rule, flag) {
		return err
	}
	return flagError{flag, ie}
}

// flagOf is the flag of a generator.InputError field ("" for the name and
// the directory, which may come from the NAME argument).
func flagOf(field string) string {
	switch field {
	case "module":
		return "--module"
	case "feature", "features":
		return "--features"
	case "db name":
		return "--db-name"
	case "port":
		return "--port"
	}
	return ""
}

// newRequest is a fully resolved `starter new`.
type newRequest struct {
	opts   generator.Options
	dir    string
	dryRun bool
	git    bool
}

// resolveNew resolves every value of `starter new` from the arguments and
// the settings, asks for what is missing when it may, and validates it all.
func (e *env) resolveNew(args []string) (newRequest, error) {
	in, err := e.collect(args)
	if err != nil {
		return newRequest{}, err
	}
	// A bad flag fails before any question is asked.
	if err := validateGiven(in); err != nil {
		return newRequest{}, err
	}
	yes, noInput := e.v.GetBool("yes"), e.v.GetBool("no-input")
	switch {
	case len(in.missing) == 0:
	case noInput && !yes:
		return newRequest{}, usageError{fmt.Errorf("missing %s (--no-input): give them as flags, or add -y to take the defaults", strings.Join(in.missing, ", "))}
	case in.name == "" && (yes || noInput || !e.interactive):
		return newRequest{}, usageError{fmt.Errorf("missing NAME: starter new NAME (%s)", noPromptReason(yes, noInput))}
	case !yes && e.interactive:
		if err := e.ask(&in); errors.Is(err, huh.ErrUserAborted) {
			return newRequest{}, errNothingWritten
		} else if err != nil {
			return newRequest{}, err
		}
	}
	return e.resolve(in)
}

// noPromptReason says why a value without a default was not asked for.
func noPromptReason(yes, noInput bool) string {
	switch {
	case noInput:
		return "--no-input, and NAME has no default"
	case yes:
		return "-y, and NAME has no default"
	}
	return "no terminal to ask for it"
}

// newInput holds the values of `starter new` as text, the missing ones empty.
type newInput struct {
	name, module, features, dbName, port string
	featuresGiven                        bool
	missing                              []string // NAME, --module… not given
}

func (e *env) collect(args []string) (newInput, error) {
	var in newInput
	if len(args) > 0 {
		in.name = args[0]
		if err := generator.ValidateName(in.name); err != nil {
			return in, err
		}
	} else {
		in.missing = append(in.missing, "NAME")
	}
	given := func(key string) (string, bool) {
		if !e.v.IsSet(key) {
			in.missing = append(in.missing, "--"+key)
			return "", false
		}
		return e.v.GetString(key), true
	}
	in.module, _ = given("module")
	var err error
	if in.features, in.featuresGiven, err = e.featureList(); err != nil {
		return in, err
	}
	if !in.featuresGiven {
		in.missing = append(in.missing, "--features")
	}
	in.dbName, _ = given("db-name")
	in.port, _ = given("port")
	return in, nil
}

// validateGiven checks the values that were given, with the form's validators.
func validateGiven(in newInput) error {
	given := func(key string) bool { return !slices.Contains(in.missing, key) }
	if given("--module") {
		if err := generator.ValidateModule(in.module); err != nil {
			return err
		}
	}
	if _, err := generator.ParseFeatures(in.features); err != nil {
		return err
	}
	if given("--db-name") {
		if err := generator.ValidateDBName(in.dbName); err != nil {
			return err
		}
	}
	if given("--port") {
		if _, err := generator.ParsePort(in.port); err != nil {
			return err
		}
	}
	return nil
}

// featureList reads features as a comma list (flag, environment) or a YAML
// list (config file).
func (e *env) featureList() (string, bool, error) {
	if !e.v.IsSet("features") {
		return "", false, nil
	}
	switch raw := e.v.Get("features").(type) {
	case []any:
		list, err := cast.ToStringSliceE(raw)
		return strings.Join(list, ","), true, err
	default:
		return cast.ToString(raw), true, nil
	}
}

// defaults fills what was not given: module <module_prefix|example.com>/NAME,
// db name NAME (NAME_db for a reserved word), port 8080, every feature.
func (e *env) defaults(in *newInput) {
	if in.module == "" && in.name != "" {
		prefix := strings.TrimSuffix(e.v.GetString("module_prefix"), "/")
		if prefix == "" {
			prefix = "example.com"
		}
		in.module = prefix + "/" + in.name
	}
	if in.dbName == "" {
		in.dbName = generator.DefaultDBName(in.name)
	}
	if in.port == "" {
		in.port = fmt.Sprint(generator.DefaultPort)
	}
	if !in.featuresGiven {
		in.features = generator.DefaultFeatures
	}
}

// resolve validates the values with the same functions the form uses.
func (e *env) resolve(in newInput) (newRequest, error) {
	e.defaults(&in)
	if err := generator.ValidateName(in.name); err != nil {
		return newRequest{}, err
	}
	features, err := generator.ParseFeatures(in.features)
	if err != nil {
		return newRequest{}, err
	}
	port, err := generator.ParsePort(in.port)
	if err != nil {
		return newRequest{}, err
	}
	if e.v.GetBool("git") && e.v.GetBool("no-git") && e.v.IsSet("git") {
		return newRequest{}, usageError{errors.New("--git and --no-git contradict each other")}
	}
	req := newRequest{
		opts: generator.Options{Name: in.name, Module: in.module, DBName: in.dbName, Port: port,
			Features: features, StarterVersion: starterVersion(), Force: e.v.GetBool("force")},
		dir:    e.v.GetString("dir"),
		dryRun: e.v.GetBool("dry-run"),
		git:    e.v.GetBool("git") && !e.v.GetBool("no-git"),
	}
	if req.dir == "" {
		req.dir = in.name
	}
	req.opts, err = req.opts.Normalize()
	return req, err
}

// generate writes the project (or, with --dry-run, prints its tree) and
// creates its git repository.
func (e *env) generate(ctx context.Context, req newRequest) error {
	err := e.write(ctx, req)
	if errors.Is(err, context.Canceled) {
		return errNothingWritten
	}
	return err
}

func (e *env) write(ctx context.Context, req newRequest) error {
	if err := generator.CheckTarget(req.dir, req.opts.Force); err != nil {
		return err
	}
	if e.progress && !req.dryRun {
		req.opts.Report = func(step, detail string) { fmt.Fprintf(e.stdout, "  %-7s %s\n", step, detail) }
	}
	plan, err := generator.NewPlan(ctx, e.src, req.opts)
	if err != nil {
		return err
	}
	if err := plan.CheckTarget(req.dir); err != nil {
		return err
	}
	if req.dryRun {
		if err := plan.WriteTree(e.stdout, filepath.ToSlash(filepath.Clean(req.dir))); err != nil {
			return err
		}
		_, err := fmt.Fprintf(e.stdout, "%s: %d files (dry run: nothing written)\n", summary(plan.Options), len(plan.Files))
		return err
	}
	if err := plan.Write(ctx, req.dir); err != nil {
		return err
	}
	// The project is complete: a late Ctrl-C no longer stops the git step.
	gitNote := e.initGit(context.WithoutCancel(ctx), req, plan)
	return e.done(plan, req, gitNote)
}

func (e *env) initGit(ctx context.Context, req newRequest, plan *generator.Plan) string {
	if !req.git {
		return "no git repository (--no-git)"
	}
	switch err := generator.InitGit(ctx, req.dir, plan); {
	case errors.Is(err, generator.ErrNoGit):
		return "no git repository: git is not installed"
	case err != nil:
		return "no git repository: " + err.Error()
	}
	if e.progress {
		fmt.Fprintf(e.stdout, "  %-7s %s\n", "git", "initial commit")
	}
	return "git repository with an initial commit"
}

// done prints the result: on a terminal the next steps, otherwise one line.
func (e *env) done(plan *generator.Plan, req newRequest, gitNote string) error {
	if !e.progress {
		_, err := fmt.Fprintf(e.stdout, "created %s in %s: %d files, %s\n", summary(plan.Options), req.dir, len(plan.Files), gitNote)
		return err
	}
	_, err := fmt.Fprintf(e.stdout, "\nCreated %s in %s (%s).\n\nNext:\n  cd %s\n  starter serve      # API on :%d with its own PostgreSQL\n  make test\n",
		summary(plan.Options), req.dir, gitNote, req.dir, plan.Options.Port)
	return err
}

// summary names the project and its choices in one line.
func summary(o generator.Options) string {
	features := strings.Join(o.Features, ",")
	if features == "" {
		features = "none"
	}
	return fmt.Sprintf("%s (module %s, features %s, database %s, port %d)", o.Name, o.Module, features, o.DBName, o.Port)
}
