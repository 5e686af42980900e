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

// InitGit makes dir a git repository with one commit holding every file.
// Without a configured identity the commit is made as "starter".
func InitGit(ctx context.Context, dir string) error {
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
	return git(append(identity, "commit", "--quiet", "--no-verify", "-m", "Initial commit from starter")...)
}
