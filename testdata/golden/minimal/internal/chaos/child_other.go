//go:build !linux && !windows

package chaos

import "syscall"

// childAttr puts a process of the run in a process group of its own, so
// that a Ctrl-C in the terminal reaches the run alone, which then stops its
// processes in order. These systems cannot tie a child's life to its
// parent's: a run that is itself killed (not interrupted) leaves them behind.
func childAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
