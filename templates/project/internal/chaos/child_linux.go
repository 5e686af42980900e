package chaos

import "syscall"

// childAttr puts a process of the run in a process group of its own, so
// that a Ctrl-C in the terminal reaches the run alone, which then stops its
// processes in order; and it makes the kernel kill the process when the run
// dies, even by SIGKILL: none of them outlives it.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
