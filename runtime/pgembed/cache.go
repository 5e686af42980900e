package pgembed

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// copyFromCache gives dataDir a fresh throw-away cluster: a copy of a cached initdb output in the
// account's directory base, made first if missing. Copying takes tens of milliseconds where
// initdb takes seconds. A cache that cannot be copied (it holds something other than directories
// and regular files of the account) is removed, and initdb runs into dataDir instead.
func copyFromCache(ctx context.Context, bin, base, dataDir string, acct account, out *tail) error {
	cached, err := cachedCluster(ctx, bin, base, acct, out)
	if err == nil {
		if err = copyTree(cached, dataDir, acct); err != nil {
			_ = os.RemoveAll(filepath.Dir(cached))
		}
	}
	if err == nil {
		return nil
	}
	_ = os.RemoveAll(dataDir)
	return initCluster(ctx, bin, dataDir, true, acct, out)
}

// cachedCluster returns the data directory of the cached cluster for these binaries, creating it
// with initdb in a build directory renamed into place, so a reader never sees half a cluster and
// concurrent creators do not clash. It lives in the account's private directory, so no one else
// can plant one, whatever its name.
func cachedCluster(ctx context.Context, bin, base string, acct account, out *tail) (string, error) {
	dir := filepath.Join(base, cachePrefix+cacheKey(bin))
	if usableCache(dir, acct) {
		now := time.Now()
		_ = os.Chtimes(dir, now, now) // in use: removeStale keeps it
		return filepath.Join(dir, "data"), nil
	}
	_ = os.RemoveAll(dir) // damaged, or made by a process killed meanwhile
	build, err := os.MkdirTemp(base, buildPrefix)
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(build)
	if err := acct.own(build); err != nil {
		return "", err
	}
	if err := initCluster(ctx, bin, filepath.Join(build, "data"), true, acct, out); err != nil {
		return "", err
	}
	if err := os.Rename(build, dir); err != nil {
		if _, statErr := os.Lstat(filepath.Join(dir, "data", "PG_VERSION")); statErr == nil {
			return filepath.Join(dir, "data"), nil // another process got there first
		}
		return "", err
	}
	return filepath.Join(dir, "data"), nil
}

// usableCache reports whether dir holds a complete cached cluster with its password.
func usableCache(dir string, acct account) bool {
	if checkPrivateDir(dir, acct) != nil {
		return false
	}
	if _, err := os.Lstat(filepath.Join(dir, "data", "PG_VERSION")); err != nil {
		return false
	}
	_, err := readPassword(filepath.Join(dir, "data"), acct)
	return err == nil
}

// cacheKey changes with the initdb binary (path, size, time), its options and the password's
// iteration count.
func cacheKey(bin string) string {
	h := sha256.New()
	initdbPath := filepath.Join(bin, "initdb"+hostLayout().exe)
	if real, err := filepath.EvalSymlinks(initdbPath); err == nil {
		initdbPath = real
	}
	fmt.Fprintln(h, initdbPath, initdbOptions(true), scramIterations)
	if fi, err := os.Stat(initdbPath); err == nil {
		fmt.Fprintln(h, fi.Size(), fi.ModTime().UnixNano())
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// copyTree copies directory src to dst (which must not exist) with modes kept and acct as owner.
// It copies only directories and regular files of the account and never follows a symbolic
// link: this process may be root, and a link or a hard link to a file of root's, planted in the
// cache, would otherwise hand that file's content to the account.
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
		info, err := d.Info() // Lstat: a link is reported as a link
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			err = acct.checkOwner(path, info, 0)
			if err == nil {
				err = os.Mkdir(target, info.Mode().Perm())
			}
		case info.Mode().IsRegular():
			err = copyFile(path, target, acct)
		default:
			err = fmt.Errorf("%s is %s, not a regular file", path, kind(info))
		}
		if err != nil {
			return fmt.Errorf("pgembed: copy cached cluster: %w", err)
		}
		return acct.own(target)
	})
}

// copyFile copies the regular file src of the account to the new file dst, keeping its mode.
func copyFile(src, dst string, acct account) error {
	in, err := openNoFollow(src)
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is %s, not a regular file", src, kind(fi))
	}
	if err := acct.checkOwner(src, fi, 0); err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fi.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		return errors.Join(err, out.Close())
	}
	return out.Close()
}
