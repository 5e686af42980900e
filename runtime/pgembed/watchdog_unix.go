//go:build unix

package pgembed

import (
	"os"
	"os/exec"
	"strconv"
	"syscall"
)

// watchdog is a shell that sends a signal to a process once this process is gone. It waits on
// the read end of a pipe whose only write end this process holds (close-on-exec, so no other
// child inherits it): when this process exits, however it dies, the kernel closes that end, the
// shell's read returns and the signal goes out. Used where there is no parent-death signal.
type watchdog struct {
	cmd   *exec.Cmd
	write int // raw descriptor: an *os.File would close it, and fire the watchdog, when collected
}

// watchdogScript reads until end of file, then sends signal number $2 to process $1 (the
// numbers of SIGINT, SIGQUIT, SIGTERM and SIGKILL are the same on every Unix).
const watchdogScript = `while read -r _; do :; done; kill -"$2" "$1" 2>/dev/null`

func startWatchdog(pid int, sig syscall.Signal) (*watchdog, error) {
	fds, err := closeOnExecPipe()
	if err != nil {
		return nil, err
	}
	read := os.NewFile(uintptr(fds[0]), "watchdog")
	defer read.Close()
	cmd := exec.Command("/bin/sh", "-c", watchdogScript, "pgembed-watchdog", strconv.Itoa(pid), strconv.Itoa(int(sig)))
	cmd.Stdin = read
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // a terminal's Ctrl-C must not end it
	if err := cmd.Start(); err != nil {
		syscall.Close(fds[1])
		return nil, err
	}
	return &watchdog{cmd: cmd, write: fds[1]}, nil
}

// closeOnExecPipe makes a pipe whose ends no other child inherits: ForkLock keeps a concurrent
// exec from copying them between pipe and CloseOnExec, as package os does.
func closeOnExecPipe() ([2]int, error) {
	var fds [2]int
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	if err := syscall.Pipe(fds[:]); err != nil {
		return fds, err
	}
	syscall.CloseOnExec(fds[0])
	syscall.CloseOnExec(fds[1])
	return fds, nil
}

// disarm ends the watchdog without its signal: first the shell, then the pipe.
func (w *watchdog) disarm() {
	_ = w.cmd.Process.Kill()
	_ = w.cmd.Wait()
	syscall.Close(w.write)
}
