package generator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
)

// ErrNoGit means git is not installed, so the repository was not created.
var ErrNoGit = errors.New("git not found on PATH")

// InitGit makes dir a git repository with one commit holding every file, and
// records base (the plan dir was written from; nil: none) as the merge base of
// later updates under BaseRef. Without a configured identity the commit is
// made as "starter".
func InitGit(ctx context.Context, dir string, base *Plan) error {
	gitPath, err := exec.LookPath("git")
	if err != nil {
		return ErrNoGit
	}
	git := func(args ...string) error {
		cmd := exec.CommandContext(ctx, gitPath, args...)
		cmd.Dir = dir
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("git %s: %w: %s", args[0], err, bytes.TrimSpace(out.Bytes()))
		}
		return nil
	}
	identity := []string{}
	if exec.CommandContext(ctx, gitPath, "-C", dir, "config", "user.email").Run() != nil {
		identity = []string{"-c", "user.name=starter", "-c", "user.email=starter@localhost"}
	}
	if err := git("init", "--quiet"); err != nil {
		return err
	}
	if err := git("add", "--all"); err != nil {
		return err
	}
	if err := git(append(identity, "commit", "--quiet", "--no-verify", "-m", "Initial commit from starter")...); err != nil {
		return err
	}
	if base == nil {
		return nil
	}
	return base.recordBase(ctx, dir)
}

// recordBase stores the plan's files as the merge base of a new project.
func (p *Plan) recordBase(ctx context.Context, dir string) error {
	repo, err := openRepo(ctx, dir)
	if err != nil {
		return err
	}
	u := &Update{To: p.Options}
	commit, err := repo.commitFiles(ctx, p.Files, "", u.message(nil))
	if err != nil {
		return fmt.Errorf("merge base: %w", err)
	}
	return repo.updateRef(ctx, BaseRef, commit, "")
}
