package pgembed

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Each account has one directory of its own in a shared temporary directory, pgembed-<id>
// (created private and checked before every use, see private.go). Inside it:
const (
	userDirPrefix = "pgembed-"
	runPrefix     = "run-"   // a throw-away cluster: run-XXXX/data and run-XXXX/pgembed.owner
	cachePrefix   = "cache-" // cached initdb output: cache-<key>/data
	buildPrefix   = "build-" // a cache being built, renamed to cache-<key> when done
	dataPrefix    = "data-"  // a persistent cluster relocated as root, with data-<hash>.origin
)

// makeRunDir creates the directory of a throw-away cluster, owned by acct, and returns it with the
// data directory inside it. Clusters left by processes that died are removed first.
func makeRunDir(ctx context.Context, tempDir string, acct account) (runDir, dataDir string, err error) {
	base, err := throwAwayBase(tempDir, acct)
	if err != nil {
		return "", "", err
	}
	removeStale(ctx, base, acct)
	runDir, err = os.MkdirTemp(base, runPrefix)
	if err != nil {
		return "", "", fmt.Errorf("pgembed: temp dir: %w", err)
	}
	if err := acct.own(runDir); err != nil {
		return runDir, "", err
	}
	if err := writeOwner(filepath.Join(runDir, ownerFile), acct); err != nil {
		return runDir, "", err
	}
	return runDir, filepath.Join(runDir, "data"), nil
}

// throwAwayBase returns the account's own directory for throw-away clusters, pgembed-<id>, in the
// first of these where it can be made: tempDir when given; else tmpfs (/dev/shm on Linux) with
// 1 GiB free, where creating and dropping databases is several times faster than on disk; else
// os.TempDir(); else, as root, /var/tmp (the unprivileged user must reach it). One that exists but
// fails the checks is refused, not skipped: someone planted it.
func throwAwayBase(tempDir string, acct account) (string, error) {
	parents := append(tmpfsDirs(), os.TempDir(), sharedTempDir())
	if tempDir != "" {
		parents = []string{tempDir}
	}
	var errs []error
	for _, parent := range parents {
		if parent == "" {
			continue
		}
		if !acct.canReach(parent) {
			errs = append(errs, fmt.Errorf("temp dir %s: not reachable by uid %d, who runs PostgreSQL", parent, acct.uid))
			continue
		}
		dir := filepath.Join(parent, userDirPrefix+acct.id)
		if err := acct.mkdirPrivate(dir); err != nil && !errors.Is(err, fs.ErrExist) {
			errs = append(errs, err)
			continue
		}
		return dir, checkPrivateDir(dir, acct)
	}
	return "", fmt.Errorf("pgembed: %w", errors.Join(errs...))
}

// unusedCacheAge is how long a cached cluster is kept without a start copying it.
const unusedCacheAge = 7 * 24 * time.Hour

// minTmpfsFree is the tmpfs space needed for a cluster, its cached initdb copy and the databases
// of a test run; containers often mount a 64 MB /dev/shm, too small, so the disk is used then.
const minTmpfsFree = 1 << 30

// removeStale deletes throw-away clusters under base whose owner process is gone, stopping a
// server that outlived it, cache builds abandoned by a process killed during initdb, and caches
// unused for a week (made by binaries since upgraded: on tmpfs they hold memory).
func removeStale(ctx context.Context, base string, acct account) {
	entries, err := os.ReadDir(base)
	if err != nil {
		return
	}
	for _, e := range entries {
		dir := filepath.Join(base, e.Name())
		switch {
		case !e.IsDir():
		case strings.HasPrefix(e.Name(), buildPrefix) && olderThan(e, 10*time.Minute):
			_ = os.RemoveAll(dir) // a cache build that died; a live one takes seconds
		case strings.HasPrefix(e.Name(), cachePrefix) && olderThan(e, unusedCacheAge):
			_ = os.RemoveAll(dir)
		case strings.HasPrefix(e.Name(), runPrefix) && isStale(ctx, dir, acct):
			_ = os.RemoveAll(dir) // best effort: another process may be removing it too
		}
	}
}

func olderThan(e os.DirEntry, age time.Duration) bool {
	info, err := e.Info()
	return err == nil && time.Since(info.ModTime()) > age
}

// isStale reports whether the throw-away cluster in runDir has lost its owner, after stopping a
// server still running there.
func isStale(ctx context.Context, runDir string, acct account) bool {
	owner := readOwner(filepath.Join(runDir, ownerFile), acct)
	if owner == 0 || processAlive(owner) {
		return false // being created, or in use
	}
	data := filepath.Join(runDir, "data")
	if pid := serverIn(data, acct); pid != 0 && stopOrphan(ctx, pid) != nil {
		return false
	}
	return !anyProcessIn(data)
}

// removeAll removes dir, retrying for a moment: on Windows, files of processes that are exiting
// stay open, and locked, for a little while.
func removeAll(dir string) error {
	var err error
	for range 50 {
		if err = os.RemoveAll(dir); err == nil {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return err
}

// pickPort returns port, or a free one when port is 0. The port is free now; postgres may still
// lose it to another process before binding, which Start handles by trying another.
func pickPort(port int) (int, error) {
	if port != 0 {
		return port, nil
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgembed: pick port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
