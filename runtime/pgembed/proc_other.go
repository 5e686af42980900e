//go:build unix && !linux && !darwin

package pgembed

// isServerOf cannot tell on this system whether pf.pid is the server: a live process is left alone.
func isServerOf(pidFile, string, account) bool { return false }

// anyProcessIn reports whether the postmaster of dataDir still runs.
func anyProcessIn(dataDir string) bool {
	pf, ok := readPidFile(dataDir)
	return ok && pf.pid > 0 && processAlive(pf.pid)
}

// identifiesServers: a live pid may be the server; only postgres itself can tell.
const identifiesServers = false
