//go:build bench && unix

package httpapi

import (
	"syscall"
	"time"
)

// processCPU is the CPU time this process has used: on a busy machine it
// measures the work of a benchmark better than the wall clock does.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
