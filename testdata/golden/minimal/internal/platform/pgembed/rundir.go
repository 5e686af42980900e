package pgembed

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// runDirPrefix names the directories of throw-away clusters, so stale ones can be found.
const runDirPrefix = "pgembed-"

// ownerFile, in a throw-away cluster's directory, holds the pid of the process that owns it.
const ownerFile = "owner.pid"

// makeRunDir creates the directory of a throw-away cluster, owned by acct, and returns it with the
// data directory inside it. Clusters left by processes that died are removed first.
func makeRunDir(tempDir string, acct account) (runDir, dataDir string, err error) {
	base := throwAwayBase(tempDir, acct)
	if !acct.canReach(base) {
		return "", "", fmt.Errorf("pgembed: temp dir %s: not reachable by uid %d, who runs PostgreSQL", base, acct.uid)
	}
	removeStale(base)
	runDir, err = os.MkdirTemp(base, runDirPrefix)
	if err != nil {
		return "", "", fmt.Errorf("pgembed: temp dir: %w", err)
	}
	if err := os.WriteFile(filepath.Join(runDir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
		return runDir, "", fmt.Errorf("pgembed: temp dir: %w", err)
	}
	if err := acct.own(runDir); err != nil {
		return runDir, "", err
	}
	return runDir, filepath.Join(runDir, "data"), nil
}

// throwAwayBase picks where throw-away clusters go: tempDir when given; else tmpfs (/dev/shm) with
// 1 GiB free, where creating and dropping databases is several times faster than on disk; else
// os.TempDir().
// The unprivileged user must be able to reach it, hence /var/tmp as the last resort for root.
func throwAwayBase(tempDir string, acct account) string {
	if tempDir != "" {
		return tempDir
	}
	if isWritableDir("/dev/shm") && acct.canReach("/dev/shm") && freeBytes("/dev/shm") >= minTmpfsFree {
		return "/dev/shm"
	}
	for _, dir := range []string{os.TempDir(), "/var/tmp"} {
		if isWritableDir(dir) && acct.canReach(dir) {
			return dir
		}
	}
	return os.TempDir()
}

// minTmpfsFree is the tmpfs space needed for a cluster, its cached initdb copy and the databases
// of a test run; containers often mount a 64 MB /dev/shm, too small, so the disk is used then.
const minTmpfsFree = 1 << 30

func freeBytes(dir string) uint64 {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0
	}
	return st.Bavail * uint64(st.Bsize)
}

func isWritableDir(dir string) bool {
	fi, err := os.Stat(dir)
	return err == nil && fi.IsDir() && syscall.Access(dir, 2 /* W_OK */) == nil
}

// removeStale deletes throw-away clusters under base whose owner process is gone (their postgres
// died with the owner, by the parent-death signal, but nothing was left to delete the files), and
// cache builds abandoned by a process killed during initdb.
func removeStale(base string) {
	entries, err := os.ReadDir(base)
	if err != nil {
		return
	}
	for _, e := range entries {
		dir := filepath.Join(base, e.Name())
		if e.IsDir() && strings.HasPrefix(e.Name(), cachePrefix+"tmp-") && olderThan(e, 10*time.Minute) {
			_ = os.RemoveAll(dir) // a cache build that died; a live one takes seconds
			continue
		}
		if !e.IsDir() || !strings.HasPrefix(e.Name(), runDirPrefix) {
			continue
		}
		if isStale(dir) {
			_ = os.RemoveAll(dir) // best effort: another process may be removing it too
		}
	}
}

func olderThan(e os.DirEntry, age time.Duration) bool {
	info, err := e.Info()
	return err == nil && time.Since(info.ModTime()) > age
}

func isStale(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, ownerFile))
	if err != nil {
		return false // not ours, or still being created
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return false
	}
	return !alive(pid) && !anyProcessIn(filepath.Join(dir, "data"))
}

func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
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
