package pgembed

import (
	"golang.org/x/sys/unix"
)

// isServerOf reports whether process pf.pid is the server that wrote pf: it started when
// postmaster.pid says and runs as the account. (macOS has no /proc to read its directory from.)
func isServerOf(pf pidFile, _ string, acct account) bool {
	kp, err := unix.SysctlKinfoProc("kern.proc.pid", pf.pid)
	if err != nil || int(kp.Proc.P_pid) != pf.pid {
		return false
	}
	started := kp.Proc.P_starttime.Sec
	return started >= pf.start-2 && started <= pf.start+2 && int(kp.Eproc.Ucred.Uid) == acct.uid
}

// anyProcessIn reports whether the server of dataDir still runs. Its backends notice the death of
// the postmaster at once (a pipe they watch), so the postmaster is what counts.
func anyProcessIn(dataDir string) bool {
	pf, ok := readPidFile(dataDir)
	return ok && pf.pid > 0 && processAlive(pf.pid)
}

// identifiesServers: isServerOf tells a server from a process that reused its pid.
const identifiesServers = true
