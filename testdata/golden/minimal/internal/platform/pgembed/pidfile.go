package pgembed

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// pidFile is what a postmaster writes to postmaster.pid in its data directory.
type pidFile struct {
	pid    int    // line 1
	start  int64  // line 3: when it started, in Unix seconds
	status string // line 8: "starting", "ready", "stopping"…
}

func readPidFile(dataDir string) (pidFile, bool) {
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return pidFile{}, false
	}
	lines := strings.Split(string(b), "\n")
	var pf pidFile
	pf.pid, _ = strconv.Atoi(strings.TrimSpace(lines[0]))
	if len(lines) >= 3 {
		pf.start, _ = strconv.ParseInt(strings.TrimSpace(lines[2]), 10, 64)
	}
	if len(lines) >= 8 {
		pf.status = strings.TrimSpace(lines[7])
	}
	return pf, true
}

// pidFileStatus returns the postmaster's state ("starting", "ready"…), "" without postmaster.pid.
func pidFileStatus(dataDir string) string {
	pf, _ := readPidFile(dataDir)
	return pf.status
}

// serverIn returns the pid of the postmaster running in dataDir, 0 when none runs there: no
// postmaster.pid, or one naming a process that is gone or is not that server (its pid reused).
// Where a server cannot be told from another process, a live pid counts as the server.
func serverIn(dataDir string, acct account) int {
	pf, ok := readPidFile(dataDir)
	if !ok || pf.pid <= 0 || !processAlive(pf.pid) {
		return 0
	}
	if identifiesServers && !isServerOf(pf, dataDir, acct) {
		return 0
	}
	return pf.pid
}

// ownerFile, next to a cluster's data, holds the pid of the process that started its server.
const ownerFile = "pgembed.owner"

// clearStale makes dataDir startable after the process that started a server in it died without
// stopping it. A server whose owner is gone is shut down: on Linux the parent-death signal has
// done that already; on macOS its watchdog may have died with the owner (the whole process
// group killed); a server of an older version of this package may have had neither. A server
// whose owner is alive is in use: an error. postmaster.pid is removed once its process is gone;
// one naming a live process that is not known to be the server is left to postgres, which
// refuses to start beside a server it cannot rule out.
func clearStale(ctx context.Context, dataDir, ownerPath string, acct account) error {
	pf, ok := readPidFile(dataDir)
	if !ok {
		return nil
	}
	if pf.pid > 0 && processAlive(pf.pid) {
		if !isServerOf(pf, dataDir, acct) {
			return nil
		}
		if owner := readOwner(ownerPath, acct); owner != 0 && processAlive(owner) {
			return fmt.Errorf("pgembed: %s is in use by PostgreSQL (pid %d) of process %d", dataDir, pf.pid, owner)
		}
		if err := stopOrphan(ctx, pf.pid); err != nil {
			return err
		}
	}
	err := os.Remove(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("pgembed: remove stale postmaster.pid: %w", err)
	}
	return nil
}

// readOwner returns the pid in an owner file, 0 when there is none.
func readOwner(path string, acct account) int {
	b, err := readPrivateFile(path, acct, 0)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

func writeOwner(path string, acct account) error {
	return writePrivateFile(path, []byte(strconv.Itoa(os.Getpid())), acct)
}

// stopOrphan shuts down a server nobody owns any more: an immediate shutdown (the next start
// recovers), a kill if it has not exited within 10 seconds or by the end of ctx.
func stopOrphan(ctx context.Context, pid int) error {
	if err := signalPid(pid, stopImmediate); err != nil && processAlive(pid) {
		return fmt.Errorf("pgembed: stop orphaned server %d: %w", pid, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if waitGone(ctx, pid) {
		return nil
	}
	_ = signalPid(pid, stopKill)
	if !waitGone(context.Background(), pid) {
		return fmt.Errorf("pgembed: orphaned server %d does not exit", pid)
	}
	return nil
}

// waitGone polls until process pid has exited, for up to 10 seconds or until ctx ends.
func waitGone(ctx context.Context, pid int) bool {
	deadline := time.Now().Add(10 * time.Second)
	for processAlive(pid) {
		if ctx.Err() != nil || time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}
