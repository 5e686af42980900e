//go:build bench

package tests

import (
	"bytes"
	"os"
	"strconv"
	"testing"
)

// resetPeakRSS starts a new peak-memory measurement of this process
// (Linux: writing 5 to clear_refs resets VmHWM).
func resetPeakRSS(tb testing.TB) {
	tb.Helper()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		tb.Logf("peak RSS not reset (%v): the figure covers the whole process life", err)
	}
}

// peakRSS is the highest resident memory of this process since the last
// resetPeakRSS, in bytes (VmHWM of /proc/self/status).
func peakRSS(tb testing.TB) (int64, bool) {
	tb.Helper()
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for line := range bytes.SplitSeq(status, []byte("\n")) {
		if rest, ok := bytes.CutPrefix(line, []byte("VmHWM:")); ok {
			kb, err := strconv.ParseInt(string(bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(rest), []byte("kB")))), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}
