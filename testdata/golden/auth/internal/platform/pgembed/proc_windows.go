package pgembed

import (
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/windows"
)

// identifiesServers: isServerOf tells a server from a process that reused its pid.
const identifiesServers = true

const stillActive = 259 // GetExitCodeProcess of a process that runs

// processAlive reports whether process pid runs.
func processAlive(pid int) bool {
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(pid))
	if err != nil {
		return err == windows.ERROR_ACCESS_DENIED
	}
	defer windows.CloseHandle(h)
	var code uint32
	return windows.GetExitCodeProcess(h, &code) == nil && code == stillActive
}

// isServerOf reports whether process pf.pid is the server that wrote pf: it was created when
// postmaster.pid says it started.
func isServerOf(pf pidFile, _ string, _ account) bool {
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(pf.pid))
	if err != nil {
		return false
	}
	defer windows.CloseHandle(h)
	var created, exited, kernel, user windows.Filetime
	if err := windows.GetProcessTimes(h, &created, &exited, &kernel, &user); err != nil {
		return false
	}
	started := time.Unix(0, created.Nanoseconds()).Unix()
	return started >= pf.start-2 && started <= pf.start+2
}

// anyProcessIn reports whether the server of dataDir still runs. Its backends watch the
// postmaster's process handle and exit when it is gone, so the postmaster is what counts.
func anyProcessIn(dataDir string) bool {
	pf, ok := readPidFile(dataDir)
	return ok && pf.pid > 0 && processAlive(pf.pid)
}

// signalPid sends postgres a signal the way its own pg_ctl does on Windows, through the pipe
// every postgres process listens on; stopKill terminates the process instead.
func signalPid(pid int, mode stopMode) error {
	if mode == stopKill {
		return terminate(pid)
	}
	sig := byte(2) // SIGINT: fast shutdown
	if mode == stopImmediate {
		sig = 3 // SIGQUIT: immediate shutdown
	}
	pipe, err := os.OpenFile(fmt.Sprintf(`\\.\pipe\pgsignal_%d`, pid), os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("signal postgres %d: %w", pid, err)
	}
	defer pipe.Close()
	if _, err := pipe.Write([]byte{sig}); err != nil {
		return fmt.Errorf("signal postgres %d: %w", pid, err)
	}
	ack := make([]byte, 1)
	_, err = pipe.Read(ack) // postgres echoes the signal once it has taken it
	return err
}

func terminate(pid int) error {
	h, err := windows.OpenProcess(windows.PROCESS_TERMINATE, false, uint32(pid))
	if err != nil {
		return err
	}
	defer windows.CloseHandle(h)
	return windows.TerminateProcess(h, 1)
}
