package chaos

import "syscall"

// childAttr makes the kernel kill a process of the run when the run dies,
// even by SIGKILL: none of them outlives it.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
