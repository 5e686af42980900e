package pgembed

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// cachePrefix names cached initdb output; it differs from runDirPrefix so removeStale ignores it.
const cachePrefix = "pgembed.cache-"

// copyFromCache gives dataDir a fresh throw-away cluster: a copy of a cached initdb output under
// base, made first if missing. Copying takes tens of milliseconds where initdb takes seconds. When
// the cache cannot be used, it runs initdb into dataDir instead.
func copyFromCache(ctx context.Context, bin, base, dataDir string, acct account, out *tail) error {
	cached, err := cachedCluster(ctx, bin, base, acct, out)
	if err == nil {
		err = copyTree(cached, dataDir, acct)
	}
	if err == nil {
		return nil
	}
	_ = os.RemoveAll(dataDir)
	return initdb(ctx, bin, dataDir, true, acct, out)
}

// cachedCluster returns the cached cluster for these binaries and this user, creating it with
// initdb in a temporary directory renamed into place, so a reader never sees half a cluster and
// concurrent creators do not clash.
func cachedCluster(ctx context.Context, bin, base string, acct account, out *tail) (string, error) {
	dir := filepath.Join(base, cachePrefix+cacheKey(bin, acct))
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); err == nil {
		return dir, nil
	}
	tmp, err := os.MkdirTemp(base, cachePrefix+"tmp-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	if err := acct.own(tmp); err != nil {
		return "", err
	}
	if err := initdb(ctx, bin, filepath.Join(tmp, "data"), true, acct, out); err != nil {
		return "", err
	}
	if err := os.Rename(filepath.Join(tmp, "data"), dir); err != nil {
		if _, statErr := os.Stat(filepath.Join(dir, "PG_VERSION")); statErr == nil {
			return dir, nil // another process got there first
		}
		return "", err
	}
	return dir, nil
}

// cacheKey changes with the initdb binary (path, size, time) and the user the cluster belongs to.
func cacheKey(bin string, acct account) string {
	h := sha256.New()
	initdbPath := filepath.Join(bin, "initdb")
	if real, err := filepath.EvalSymlinks(initdbPath); err == nil {
		initdbPath = real
	}
	fmt.Fprintln(h, initdbPath, acct.uid, acct.gid, User)
	if fi, err := os.Stat(initdbPath); err == nil {
		fmt.Fprintln(h, fi.Size(), fi.ModTime().UnixNano())
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// copyTree copies directory src to dst (which must not exist) with modes kept and acct as owner.
func copyTree(src, dst string, acct account) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			err = os.Mkdir(target, info.Mode().Perm())
		} else {
			err = copyFile(path, target, info.Mode().Perm())
		}
		if err != nil {
			return fmt.Errorf("pgembed: copy cached cluster: %w", err)
		}
		return acct.own(target)
	})
}

func copyFile(src, dst string, perm fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
