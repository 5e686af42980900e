package auth

import (
	"time"

	"example.com/demo/internal/platform/fakeclock"
)

// newFakeClock is the clock of the auth tests, at a fixed time.
func newFakeClock() *fakeclock.Clock {
	return fakeclock.New(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
}
