//go:build !linux

package chaos

import "syscall"

// childAttr is nil where the kernel cannot tie a child's life to its parent's:
// a run that is killed itself (not interrupted) may leave its processes behind.
func childAttr() *syscall.SysProcAttr { return nil }
