package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/starter-go/starter/generator"
)

func newUpgradeCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "upgrade",
		Short: "Bring this project to this starter's templates by a three-way merge",
		Long: `Render the templates of this starter with the options .starter.yaml records
and merge the difference from the project's pristine generated tree (the git
ref refs/starter/base, recorded by starter new) into your files, file by file:

  added         new in the templates
  replaced      you had not changed it: the new version is written
  merged        you changed other lines: both changes are kept
  conflict      you changed the same lines: both versions are written between
                <<<<<<< yours and >>>>>>> starter markers
  deleted       gone from the templates and untouched by you
  kept          gone from the templates but edited by you: left alone
  not restored  deleted by you but changed in the templates: left deleted
  left as is    a migration the templates changed: databases that applied it
                will not run it again, so it stays; add a new migration

go.mod and go.sum are merged by module, then go mod tidy runs. Nothing you
wrote is lost. The working tree must be committed first, so git diff shows the
update and git checkout undoes it. When the merge is clean the base ref moves to
the new tree; with conflicts the exit code is 1: fix the files, then run
starter upgrade --continue.

A project made with --no-git has no base: git init && git add -A &&
git commit -m "Initial commit", then starter upgrade --init-base.`,
		Example: `  starter upgrade --dry-run
  starter upgrade
  starter upgrade --continue`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := cmd.Flags()
			dryRun, _ := f.GetBool("dry-run")
			cont, _ := f.GetBool("continue")
			abort, _ := f.GetBool("abort")
			initBase, _ := f.GetBool("init-base")
			switch n := count(dryRun, cont, abort, initBase); {
			case n > 1:
				return usageError{errors.New("--dry-run, --continue, --abort and --init-base exclude each other")}
			case cont:
				return e.continueUpdate(cmd.Context())
			case abort:
				return e.abortUpdate(cmd.Context())
			case initBase:
				return e.initBase(cmd.Context())
			}
			return e.update(cmd.Context(), generator.UpdateRequest{DryRun: dryRun})
		},
	}
	f := cmd.Flags()
	f.Bool("dry-run", false, "print the plan (files added, replaced, merged, conflicting, deleted), write nothing")
	f.Bool("continue", false, "after fixing the conflicts of an add or upgrade: record the merge base")
	f.Bool("abort", false, "forget an add or upgrade that left conflicts (restore the files with git checkout)")
	f.Bool("init-base", false, "record the merge base of a project that has none (made with --no-git)")
	return cmd
}

func count(flags ...bool) int {
	n := 0
	for _, f := range flags {
		if f {
			n++
		}
	}
	return n
}

// update runs an add (req.Add) or an upgrade and prints its plan.
func (e *env) update(ctx context.Context, req generator.UpdateRequest) error {
	p, err := e.findProject()
	if err != nil {
		return err
	}
	req.Dir, req.StarterVersion = p.Root, starterVersion()
	u, err := generator.PlanUpdate(ctx, e.src, req)
	if err != nil {
		return explainUpdate(err)
	}
	if u.UpToDate {
		_, err := fmt.Fprintf(e.stdout, "up to date: %s is what starter %s generates (features %s)\n",
			u.To.Name, u.To.StarterVersion, featureList(u.To.Features))
		return err
	}
	printPlan(e.stdout, u, req)
	conflicts := len(u.Conflicts())
	if req.DryRun {
		fmt.Fprintln(e.stdout, "dry run: nothing written")
		if conflicts > 0 {
			return fmt.Errorf("%s would have conflicts", files(conflicts))
		}
		return nil
	}
	if err := u.Apply(ctx); err != nil {
		return err
	}
	if u.TidyErr != nil {
		fmt.Fprintf(e.stdout, "go mod tidy failed (%v): run it once the conflicts are fixed\n", firstLine(u.TidyErr.Error()))
	}
	if conflicts > 0 {
		return fmt.Errorf("%s with conflicts: fix the <<<<<<< yours … >>>>>>> starter parts, then run starter upgrade --continue "+
			"(git diff shows all the update wrote; starter upgrade --abort gives up)", files(conflicts))
	}
	_, err = fmt.Fprintf(e.stdout, "merged cleanly; the merge base (%s) is the new templates: review with git diff, then commit\n", generator.BaseRef)
	return err
}

// printPlan lists every change, then counts them.
func printPlan(w io.Writer, u *generator.Update, req generator.UpdateRequest) {
	from := u.From.Options()
	if len(req.Add) > 0 {
		fmt.Fprintf(w, "add %s to %s: features %s → %s (starter %s)\n", strings.Join(req.Add, " "), u.To.Name,
			featureList(from.Features), featureList(u.To.Features), u.To.StarterVersion)
	} else {
		fmt.Fprintf(w, "upgrade %s: starter %s → %s (features %s)\n", u.To.Name, from.StarterVersion, u.To.StarterVersion,
			featureList(u.To.Features))
	}
	counts := map[generator.Action]int{}
	for _, c := range u.Changes {
		counts[c.Action]++
		fmt.Fprintf(w, "  %-12s %s%s\n", c.Action, c.Path, changeNote(c, req.DryRun))
	}
	var parts []string
	for a := generator.Added; a <= generator.KeptMigration; a++ {
		if n := counts[a]; n > 0 {
			name := a.String()
			if a == generator.Conflicted && n > 1 {
				name += "s"
			}
			parts = append(parts, fmt.Sprintf("%d %s", n, name))
		}
	}
	fmt.Fprintf(w, "%s: %s\n", files(len(u.Changes)), strings.Join(parts, ", "))
}

func changeNote(c generator.Change, dryRun bool) string {
	switch {
	case c.Action == generator.Conflicted:
		return fmt.Sprintf(" (%d clashing %s)", c.Conflicts, plural(c.Conflicts, "part", "parts"))
	case c.Action == generator.KeptEdited:
		return " (removed from the templates; you edited it)"
	case c.Action == generator.LeftDeleted:
		return " (you deleted it; the templates changed it)"
	case c.Action == generator.KeptMigration:
		return " (" + generator.MigrationChangedNote + ")"
	case c.Path == "go.mod" && dryRun:
		return " (requirements merged by module; go mod tidy runs when written)"
	case c.Path == "go.mod":
		return " (requirements merged by module, then go mod tidy)"
	}
	return ""
}

func files(n int) string { return fmt.Sprintf("%d %s", n, plural(n, "file", "files")) }

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func featureList(fs []string) string {
	if len(fs) == 0 {
		return "none"
	}
	return strings.Join(fs, ",")
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// explainUpdate turns the refusals of an update into what to do about them.
func explainUpdate(err error) error {
	var dirty *generator.DirtyError
	switch {
	case errors.As(err, &dirty):
		return fmt.Errorf("%w: commit or stash them first, so that git diff shows the update and git checkout undoes it; nothing was changed", err)
	case errors.Is(err, generator.ErrNoGit):
		return errors.New("git is not installed: starter add and upgrade keep the project's pristine tree in git and merge with it")
	case errors.Is(err, generator.ErrNoRepository):
		return errors.New(`this project has no git repository (made with --no-git?): add and upgrade need one, to keep the pristine generated tree as the merge base and to stay clear of uncommitted work. Enable them with:
  git init && git add -A && git commit -m "Initial commit"
  starter upgrade --init-base`)
	case errors.Is(err, generator.ErrNoBase):
		return fmt.Errorf("%w: a clone does not fetch it (git fetch origin '%s'; share it with git push origin '%s'); "+
			"without it, starter upgrade --init-base records the tree of .starter.yaml's options", err,
			"refs/starter/*:refs/starter/*", "refs/starter/*")
	case errors.Is(err, generator.ErrUpdatePending):
		return fmt.Errorf("%w: fix its conflicts and run starter upgrade --continue, or give it up with starter upgrade --abort", err)
	}
	return err
}

func (e *env) continueUpdate(ctx context.Context) error {
	p, err := e.findProject()
	if err != nil {
		return err
	}
	remaining, err := generator.ContinueUpdate(ctx, p.Root)
	switch {
	case errors.Is(err, generator.ErrNoPendingUpdate):
		return fmt.Errorf("%w: nothing to continue", err)
	case err != nil:
		return err
	case len(remaining) > 0:
		for _, r := range remaining {
			fmt.Fprintf(e.stdout, "  conflict     %s\n", r)
		}
		return fmt.Errorf("%s still %s conflict markers (<<<<<<< or >>>>>>> lines): fix %s, then run starter upgrade --continue again",
			files(len(remaining)), plural(len(remaining), "has", "have"), plural(len(remaining), "it", "them"))
	}
	_, err = fmt.Fprintf(e.stdout, "conflicts resolved; the merge base (%s) is the new templates: run go mod tidy, review with git diff, then commit\n", generator.BaseRef)
	return err
}

func (e *env) abortUpdate(ctx context.Context) error {
	p, err := e.findProject()
	if err != nil {
		return err
	}
	if err := generator.AbortUpdate(ctx, p.Root); errors.Is(err, generator.ErrNoPendingUpdate) {
		return fmt.Errorf("%w: nothing to abort", err)
	} else if err != nil {
		return err
	}
	_, err = fmt.Fprintln(e.stdout, "update given up; the merge base stays where it was. The files it wrote are still here: "+
		"git checkout -- . && git clean -fd brings back your last commit (and deletes every untracked file)")
	return err
}

func (e *env) initBase(ctx context.Context) error {
	p, err := e.findProject()
	if err != nil {
		return err
	}
	cfg, err := generator.ReadProjectConfig(p.Root)
	if err != nil {
		return err
	}
	if err := generator.InitBase(ctx, e.src, p.Root); err != nil {
		return explainUpdate(err)
	}
	fmt.Fprintf(e.stdout, "merge base recorded (%s): %s as starter %s's templates generate it from .starter.yaml\n",
		generator.BaseRef, cfg.Name, starterVersion())
	if cfg.StarterVersion != starterVersion() {
		fmt.Fprintf(e.stdout, "note: starter %s made this project; its templates are not in this starter, so template changes "+
			"between %s and %s will not be merged (your files stay as they are)\n", cfg.StarterVersion, cfg.StarterVersion, starterVersion())
	}
	return nil
}
