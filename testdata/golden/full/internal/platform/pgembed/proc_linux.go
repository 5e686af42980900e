package pgembed

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// isServerOf reports whether process pf.pid is the server of dataDir: PostgreSQL processes work in
// their data directory, and the server runs as the account. (A pid reused by another program, or
// a process others started there, fails one or the other.)
func isServerOf(pf pidFile, dataDir string, acct account) bool {
	proc := filepath.Join("/proc", fmt.Sprint(pf.pid))
	cwd, err := os.Readlink(filepath.Join(proc, "cwd"))
	if err != nil || !sameDir(cwd, dataDir) {
		return false
	}
	fi, err := os.Stat(proc)
	if err != nil {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == acct.uid
}

// anyProcessIn reports whether a process has dir as its working directory: every PostgreSQL process
// works in its data directory, so this finds backends that outlive a killed postmaster.
func anyProcessIn(dir string) bool {
	return len(processesIn(dir)) > 0
}

// processesIn lists the pids of processes whose working directory is dir.
func processesIn(dir string) []int {
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real // /proc shows the directory with links resolved
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		var pid int
		if _, err := fmt.Sscanf(e.Name(), "%d", &pid); err != nil {
			continue
		}
		if cwd, err := os.Readlink(filepath.Join("/proc", e.Name(), "cwd")); err == nil && cwd == dir {
			pids = append(pids, pid)
		}
	}
	return pids
}

// identifiesServers: isServerOf tells a server from a process that reused its pid.
const identifiesServers = true

// sameDir reports whether cwd, a process's working directory as /proc shows it (links
// resolved), is dir.
func sameDir(cwd, dir string) bool {
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	return cwd == dir
}
