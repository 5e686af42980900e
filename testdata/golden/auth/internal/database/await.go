package database

import (
	"context"
	"time"
)

// Await runs step until it succeeds, fails for another reason than an
// unreachable database (IsUnavailable), or ctx ends, pausing between tries
// from 250 ms up to 5 s. waiting is called with the error of each try that
// found the database unreachable. It returns step's last error, or ctx's.
//
// A service started before its database (a reboot, a deploy, a database
// restarting) waits for it this way instead of exiting.
func Await(ctx context.Context, step func(context.Context) error, waiting func(error)) error {
	pause := 250 * time.Millisecond
	for {
		err := step(ctx)
		if err == nil || !IsUnavailable(err) {
			return err
		}
		waiting(err)
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		pause = min(2*pause, 5*time.Second)
	}
}
