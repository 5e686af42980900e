//go:build bench && !linux

package tests

import "testing"

// resetPeakRSS and peakRSS measure peak memory on Linux only.
func resetPeakRSS(testing.TB) {}

func peakRSS(testing.TB) (int64, bool) { return 0, false }
