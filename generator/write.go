package generator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"syscall"
)

// Generate validates opts and dst, renders the project and writes it to dst.
// Nothing is written before everything has been validated and rendered, and a
// failed or cancelled run leaves dst as it was.
func Generate(ctx context.Context, src Sources, opts Options, dst string) error {
	if err := CheckTarget(dst, opts.Force); err != nil {
		return err
	}
	p, err := NewPlan(ctx, src, opts)
	if err != nil {
		return err
	}
	return p.Write(ctx, dst)
}

// CheckTarget checks that dst can receive a project: absent, an empty
// directory, or (with force) any directory, under a parent that is a directory
// or can be created.
func CheckTarget(dst string, force bool) error {
	fi, err := os.Stat(dst)
	switch {
	case notExist(err):
		return checkParent(filepath.Dir(filepath.Clean(dst)))
	case err != nil:
		return fmt.Errorf("target %s: %w", dst, err)
	case !fi.IsDir():
		return &InputError{"directory", dst, "exists and is not a directory"}
	case force:
		return nil
	}
	empty, err := isEmptyDir(dst)
	if err != nil {
		return fmt.Errorf("target %s: %w", dst, err)
	}
	if !empty {
		return &InputError{"directory", dst, "exists and is not empty (use --force to write into it)"}
	}
	return nil
}

// checkParent walks up to the first existing ancestor, which must be a directory.
func checkParent(dir string) error {
	for {
		fi, err := os.Stat(dir)
		if err == nil {
			if !fi.IsDir() {
				return &InputError{"directory", dir, "is not a directory"}
			}
			return nil
		}
		if !notExist(err) {
			return fmt.Errorf("target %s: %w", dir, err)
		}
		up := filepath.Dir(dir)
		if up == dir {
			return nil
		}
		dir = up
	}
}

// notExist is true for a missing path, also when a parent is a file.
func notExist(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

func isEmptyDir(dir string) (bool, error) {
	f, err := os.Open(dir)
	if err != nil {
		return false, err
	}
	defer f.Close()
	_, err = f.Readdirnames(1)
	if errors.Is(err, io.EOF) {
		return true, nil
	}
	return false, err
}

// CheckTarget is the package's CheckTarget, plus, for a directory that
// exists, a check that none of the user's files stands where the plan needs a
// directory or a directory where it writes a file: with Options.Force that
// would otherwise fail halfway through moving the files into place.
func (p *Plan) CheckTarget(dst string) error {
	if err := CheckTarget(dst, p.Options.Force); err != nil {
		return err
	}
	if _, err := os.Stat(dst); notExist(err) {
		return nil
	}
	dirs := map[string]bool{".": true} // checked: absent or a directory
	for _, f := range p.Files {
		if err := checkDirs(dst, path.Dir(f.Path), dirs); err != nil {
			return err
		}
		name := filepath.Join(dst, filepath.FromSlash(f.Path))
		if fi, err := os.Lstat(name); err == nil && fi.IsDir() {
			return &InputError{"directory", dst, name + " is a directory where the project writes a file"}
		}
	}
	return nil
}

// checkDirs checks that dir (slash-separated, under dst) and its parents are
// directories or absent; seen caches the answers across files.
func checkDirs(dst, dir string, seen map[string]bool) error {
	if seen[dir] {
		return nil
	}
	if err := checkDirs(dst, path.Dir(dir), seen); err != nil {
		return err
	}
	name := filepath.Join(dst, filepath.FromSlash(dir))
	if fi, err := os.Stat(name); err == nil && !fi.IsDir() {
		return &InputError{"directory", dst, name + " is a file where the project needs a directory"}
	}
	seen[dir] = true
	return nil
}

// Write puts the plan's files into dst through a staging directory next to it
// (.NAME.tmp-*), renamed into place at the end. Into an existing dst (empty,
// or any with Options.Force) the staged files are moved one by one,
// replacing files of the same name. On error or cancellation the staging
// directory is removed.
func (p *Plan) Write(ctx context.Context, dst string) (err error) {
	if err := p.CheckTarget(dst); err != nil {
		return err
	}
	dst, err = filepath.Abs(dst)
	if err != nil {
		return err
	}
	parent := filepath.Dir(dst)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("cannot create directory %s: %w", parent, err)
	}
	stage, err := os.MkdirTemp(parent, "."+filepath.Base(dst)+".tmp-")
	if err != nil {
		return fmt.Errorf("cannot write to directory %s: %w", parent, err)
	}
	defer func() {
		if rmErr := os.RemoveAll(stage); rmErr != nil && err == nil {
			err = fmt.Errorf("remove staging directory: %w", rmErr)
		}
	}()
	if err := os.Chmod(stage, 0o755); err != nil {
		return err
	}
	if err := p.writeFiles(ctx, stage); err != nil {
		return err
	}
	if err := moveIntoPlace(stage, dst); err != nil {
		return err
	}
	report(p.Options, "write", fmt.Sprintf("%d files to %s", len(p.Files), dst))
	return nil
}

func (p *Plan) writeFiles(ctx context.Context, dir string) error {
	made := map[string]bool{}
	for _, f := range p.Files {
		if err := ctx.Err(); err != nil {
			return err
		}
		name := filepath.Join(dir, filepath.FromSlash(f.Path))
		if parent := filepath.Dir(name); !made[parent] {
			if err := os.MkdirAll(parent, 0o755); err != nil {
				return err
			}
			made[parent] = true
		}
		if err := os.WriteFile(name, f.Data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// moveIntoPlace renames stage to dst; an existing dst (empty, or any with
// force) gets the staged files moved into it instead, so that a directory
// the user may be standing in is never replaced.
func moveIntoPlace(stage, dst string) error {
	if _, err := os.Stat(dst); errors.Is(err, fs.ErrNotExist) {
		return os.Rename(stage, dst)
	}
	return filepath.WalkDir(stage, func(name string, d fs.DirEntry, err error) error {
		if err != nil || name == stage {
			return err
		}
		rel, _ := filepath.Rel(stage, name)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		return os.Rename(name, target) //nolint:gosec // G122: the staging tree is this process's own
	})
}
