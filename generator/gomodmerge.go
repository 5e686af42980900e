package generator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// mergeGoMod brings upstream's requirement changes (base → next) into the
// project's go.mod by module, not by line: a text merge would clash on the
// neighbouring lines of a require block. A new requirement is added, one whose
// version upstream changed gets the higher of the owner's and upstream's, and
// the go line rises to upstream's; the owner's own requirements stay.
// Requirements upstream dropped stay too: go mod tidy removes them when
// nothing uses them any more. An untouched go.mod simply becomes next.
func mergeGoMod(base, next, current []byte) ([]byte, error) {
	if bytes.Equal(current, base) {
		return next, nil
	}
	bf, err := modfile.ParseLax("go.mod", base, nil)
	if err != nil {
		return nil, fmt.Errorf("go.mod of the merge base: %w", err)
	}
	nf, err := modfile.Parse("go.mod", next, nil)
	if err != nil {
		return nil, fmt.Errorf("go.mod of the templates: %w", err)
	}
	cf, err := modfile.Parse("go.mod", current, nil)
	if err != nil {
		return nil, fmt.Errorf("go.mod: %w", err)
	}
	was := map[string]string{}
	for _, r := range bf.Require {
		was[r.Mod.Path] = r.Mod.Version
	}
	reqs := make([]*modfile.Require, 0, len(cf.Require)+len(nf.Require))
	have := map[string]*modfile.Require{}
	for _, r := range cf.Require {
		c := &modfile.Require{Mod: r.Mod, Indirect: r.Indirect}
		reqs = append(reqs, c)
		have[r.Mod.Path] = c
	}
	for _, r := range nf.Require {
		c, ok := have[r.Mod.Path]
		switch {
		case !ok:
			reqs = append(reqs, &modfile.Require{Mod: r.Mod, Indirect: r.Indirect})
		case was[r.Mod.Path] != r.Mod.Version && semver.Compare(r.Mod.Version, c.Mod.Version) > 0:
			c.Mod.Version = r.Mod.Version
		}
	}
	cf.SetRequireSeparateIndirect(reqs)
	if nf.Go != nil && (cf.Go == nil || semver.Compare("v"+nf.Go.Version, "v"+cf.Go.Version) > 0) {
		if err := cf.AddGoStmt(nf.Go.Version); err != nil {
			return nil, err
		}
	}
	cf.Cleanup()
	return modfile.Format(cf.Syntax), nil
}

// mergeGoSum is the union of the project's checksums and upstream's, for the
// merged go.mod; go mod tidy then drops the unused ones. The lines are in the
// go command's order (module path, then semantic version), which tidy keeps
// as it finds it when the set of lines is right.
func mergeGoSum(base, next, current []byte) []byte {
	if bytes.Equal(current, base) {
		return next
	}
	hashes := map[module.Version][]string{}
	for _, data := range [][]byte{current, next} {
		for l := range strings.Lines(string(data)) {
			f := strings.Fields(l)
			if len(f) != 3 {
				continue
			}
			v := module.Version{Path: f[0], Version: f[1]}
			if !slices.Contains(hashes[v], f[2]) {
				hashes[v] = append(hashes[v], f[2])
			}
		}
	}
	mods := slices.Collect(maps.Keys(hashes))
	module.Sort(mods)
	var out strings.Builder
	for _, m := range mods {
		for _, h := range slices.Sorted(slices.Values(hashes[m])) {
			fmt.Fprintf(&out, "%s %s %s\n", m.Path, m.Version, h)
		}
	}
	return []byte(out.String())
}

// tidy runs `go mod tidy` on a copy of the project's Go code as the update
// would leave it (files: path → content, read from dir when nil) and
// returns the tidy go.mod and go.sum. Working on a copy keeps the rule that
// nothing is written before everything is known. GOFLAGS=-mod=mod lets tidy
// edit go.mod; the module cache and GOPROXY are the environment's, so the
// pinned go.sum makes it work offline when the modules are cached.
func tidy(ctx context.Context, dir string, files map[string][]byte) (mod, sum []byte, err error) {
	tmp, err := os.MkdirTemp("", "starter-tidy-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(tmp)
	for p, data := range files {
		if data == nil {
			name := filepath.Join(dir, filepath.FromSlash(p))
			if fi, err := os.Lstat(name); err != nil || !fi.Mode().IsRegular() {
				continue // a submodule, a symbolic link: not the project's Go code
			}
			if data, err = os.ReadFile(name); err != nil {
				return nil, nil, err
			}
		}
		name := filepath.Join(tmp, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			return nil, nil, err
		}
		if err := os.WriteFile(name, data, 0o644); err != nil {
			return nil, nil, err
		}
	}
	cmd := exec.CommandContext(ctx, "go", "mod", "tidy")
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, nil, fmt.Errorf("go mod tidy: %w: %s", err, bytes.TrimSpace(out))
	}
	if mod, err = os.ReadFile(filepath.Join(tmp, "go.mod")); err != nil {
		return nil, nil, err
	}
	sum, err = os.ReadFile(filepath.Join(tmp, "go.sum"))
	if errors.Is(err, fs.ErrNotExist) { // no requirements, no checksums
		return mod, nil, nil
	}
	return mod, sum, err
}
