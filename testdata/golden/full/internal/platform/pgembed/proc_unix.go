//go:build unix

package pgembed

import (
	"errors"
	"syscall"
)

// processAlive reports whether process pid exists (a zombie counts until it is reaped).
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// signalPid asks a postmaster that is not our child to stop.
func signalPid(pid int, mode stopMode) error {
	return syscall.Kill(pid, unixSignal(mode))
}

// unixSignal is the signal of each shutdown mode of postgres.
func unixSignal(mode stopMode) syscall.Signal {
	switch mode {
	case stopFast:
		return syscall.SIGINT
	case stopImmediate:
		return syscall.SIGQUIT
	default:
		return syscall.SIGKILL
	}
}
