package generator

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// The refs an update keeps in the project's repository. Refs, not files, so
// nothing extra sits in the working tree; they are not pushed or cloned
// unless asked for (git fetch origin 'refs/starter/*:refs/starter/*').
const (
	// BaseRef is the pristine generated tree the project's files started from:
	// the common ancestor of every three-way merge.
	BaseRef = "refs/starter/base"
	// PendingRef is the new pristine tree of an update that left conflicts; it
	// becomes BaseRef once they are resolved (starter upgrade --continue).
	PendingRef = "refs/starter/pending"
)

// ErrNoRepository means the project is not inside a git repository.
var ErrNoRepository = errors.New("not a git repository")

// baseIdentity signs the commits of pristine trees: they are starter's, not the owner's.
var baseIdentity = []string{"GIT_AUTHOR_NAME=starter", "GIT_AUTHOR_EMAIL=starter@localhost", //nolint:gochecknoglobals // a table that is never written
	"GIT_COMMITTER_NAME=starter", "GIT_COMMITTER_EMAIL=starter@localhost"}

// gitRepo runs git for a project inside a repository.
type gitRepo struct {
	git  string // the git binary
	dir  string // the project root
	top  string // the repository's top level
	path string // dir relative to top, "." when they are the same
}

// openRepo finds the repository holding dir.
func openRepo(ctx context.Context, dir string) (*gitRepo, error) {
	gitPath, err := exec.LookPath("git")
	if err != nil {
		return nil, ErrNoGit
	}
	r := &gitRepo{git: gitPath, dir: dir, top: dir}
	out, err := r.run(ctx, nil, nil, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, ErrNoRepository
	}
	r.top = strings.TrimSpace(string(out))
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if abs, err = filepath.EvalSymlinks(abs); err != nil {
		return nil, err
	}
	if r.path, err = filepath.Rel(r.top, abs); err != nil {
		return nil, err
	}
	r.path = filepath.ToSlash(r.path)
	return r, nil
}

// run runs git in the repository's top level with extra environment and stdin.
func (r *gitRepo) run(ctx context.Context, stdin []byte, env []string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, r.git, args...)
	cmd.Dir = r.top
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("git %s: %w: %s", args[0], err, bytes.TrimSpace(errOut.Bytes()))
	}
	return out.Bytes(), nil
}

// resolve returns the commit a ref names, or "" when there is no such ref.
func (r *gitRepo) resolve(ctx context.Context, ref string) (string, error) {
	out, err := r.run(ctx, nil, nil, "for-each-ref", "--format=%(objectname)", ref)
	return strings.TrimSpace(string(out)), err
}

// status lists the files with uncommitted changes under the project root,
// untracked ones included (ignored ones are not changes), as paths from the
// repository's top level.
func (r *gitRepo) status(ctx context.Context) ([]string, error) {
	out, err := r.run(ctx, nil, nil, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", r.path)
	if err != nil {
		return nil, err
	}
	var paths []string
	entries := strings.Split(string(out), "\x00")
	for i := 0; i < len(entries); i++ {
		e := entries[i]
		if len(e) < 4 {
			continue
		}
		paths = append(paths, e[3:])
		if e[0] == 'R' || e[0] == 'C' { // the next entry is the rename's source
			i++
		}
	}
	return paths, nil
}

// readTree returns every file of a commit's tree.
func (r *gitRepo) readTree(ctx context.Context, rev string) (map[string][]byte, error) {
	out, err := r.run(ctx, nil, nil, "ls-tree", "-r", "-z", "--full-tree", rev)
	if err != nil {
		return nil, err
	}
	var paths []string
	var batch bytes.Buffer
	for _, e := range strings.Split(string(out), "\x00") {
		meta, p, ok := strings.Cut(e, "\t")
		if f := strings.Fields(meta); ok && len(f) == 3 && f[1] == "blob" {
			paths = append(paths, p)
			batch.WriteString(f[2] + "\n")
		}
	}
	out, err = r.run(ctx, batch.Bytes(), nil, "cat-file", "--batch")
	if err != nil {
		return nil, err
	}
	return readBatch(bufio.NewReader(bytes.NewReader(out)), paths)
}

// readBatch parses `git cat-file --batch` output: per object a line
// "<oid> <type> <size>", the content and a newline.
func readBatch(br *bufio.Reader, paths []string) (map[string][]byte, error) {
	files := make(map[string][]byte, len(paths))
	for _, p := range paths {
		header, err := br.ReadString('\n')
		if err != nil {
			return nil, fmt.Errorf("git cat-file: %w", err)
		}
		f := strings.Fields(header)
		if len(f) != 3 {
			return nil, fmt.Errorf("git cat-file: %s: %q", p, strings.TrimSpace(header))
		}
		size, err := strconv.Atoi(f[2])
		if err != nil {
			return nil, fmt.Errorf("git cat-file: %s: %w", p, err)
		}
		data := make([]byte, size+1)
		if _, err := io.ReadFull(br, data); err != nil {
			return nil, fmt.Errorf("git cat-file: %s: %w", p, err)
		}
		files[p] = data[:size]
	}
	return files, nil
}

// commitFiles stores files as a commit (parent may be "") without moving any
// ref, and returns its id. Plumbing on a private index keeps the owner's
// index and working tree out of it.
func (r *gitRepo) commitFiles(ctx context.Context, files []File, parent, message string) (string, error) {
	tmp, err := os.MkdirTemp("", "starter-base-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	var names bytes.Buffer
	for i, f := range files {
		name := filepath.Join(tmp, strconv.Itoa(i))
		if err := os.WriteFile(name, f.Data, 0o600); err != nil {
			return "", err
		}
		names.WriteString(name + "\n")
	}
	out, err := r.run(ctx, names.Bytes(), nil, "hash-object", "-w", "--no-filters", "--stdin-paths")
	if err != nil {
		return "", err
	}
	ids := strings.Fields(string(out))
	if len(ids) != len(files) {
		return "", fmt.Errorf("git hash-object: %d ids for %d files", len(ids), len(files))
	}
	var index bytes.Buffer
	for i, f := range files {
		fmt.Fprintf(&index, "100644 %s\t%s\x00", ids[i], f.Path)
	}
	env := []string{"GIT_INDEX_FILE=" + filepath.Join(tmp, "index")}
	if _, err := r.run(ctx, index.Bytes(), env, "update-index", "--add", "-z", "--index-info"); err != nil {
		return "", err
	}
	tree, err := r.run(ctx, nil, env, "write-tree")
	if err != nil {
		return "", err
	}
	args := []string{"commit-tree", "--no-gpg-sign", strings.TrimSpace(string(tree)), "-m", message}
	if parent != "" {
		args = append(args, "-p", parent)
	}
	commit, err := r.run(ctx, nil, baseIdentity, args...)
	return strings.TrimSpace(string(commit)), err
}

// updateRef moves ref to commit if it still points at old ("": absent), so
// that two updates racing cannot both win.
func (r *gitRepo) updateRef(ctx context.Context, ref, commit, old string) error {
	_, err := r.run(ctx, nil, nil, "update-ref", "-m", "starter", ref, commit, old)
	return err
}

func (r *gitRepo) deleteRef(ctx context.Context, ref, old string) error {
	_, err := r.run(ctx, nil, nil, "update-ref", "-d", ref, old)
	return err
}

// commitMessage returns the message of a commit.
func (r *gitRepo) commitMessage(ctx context.Context, rev string) (string, error) {
	out, err := r.run(ctx, nil, nil, "log", "-1", "--format=%B", rev)
	return string(out), err
}

// mergeFile merges with `git merge-file`, which writes the standard conflict
// markers and counts the clashing hunks. Labels name the three sides in the
// markers.
func (r *gitRepo) mergeFile(ctx context.Context, tmp string, labels [3]string) mergeFunc {
	return func(ours, base, theirs []byte) ([]byte, int, error) {
		names := [3]string{}
		for i, data := range [][]byte{ours, base, theirs} {
			names[i] = filepath.Join(tmp, []string{"ours", "base", "theirs"}[i])
			if err := os.WriteFile(names[i], data, 0o600); err != nil {
				return nil, 0, err
			}
		}
		cmd := exec.CommandContext(ctx, r.git, "merge-file", "-p",
			"-L", labels[0], "-L", labels[1], "-L", labels[2], names[0], names[1], names[2])
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		var xe *exec.ExitError
		switch {
		case err == nil:
			return out.Bytes(), 0, nil
		case errors.As(err, &xe) && xe.ExitCode() > 0 && xe.ExitCode() < 128:
			return out.Bytes(), xe.ExitCode(), nil
		}
		return nil, 0, fmt.Errorf("git merge-file: %w: %s", err, bytes.TrimSpace(errOut.Bytes()))
	}
}

// lsFiles lists the tracked files of the project, relative to its root.
func (r *gitRepo) lsFiles(ctx context.Context) ([]string, error) {
	out, err := r.run(ctx, nil, nil, "ls-files", "-z", "--full-name", "--", r.path)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, p := range strings.Split(string(out), "\x00") {
		if r.path != "." {
			p = strings.TrimPrefix(p, r.path+"/")
		}
		if p != "" {
			files = append(files, p)
		}
	}
	return files, nil
}
