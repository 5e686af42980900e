package chaos

import "syscall"

// childAttr starts a process of the run in a process group of its own, so
// that a Ctrl-C in the console reaches the run alone, which then stops its
// processes. A run that is itself killed leaves them behind.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{CreationFlags: syscall.CREATE_NEW_PROCESS_GROUP}
}
