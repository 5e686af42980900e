package pgembed

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// Halt stops the server at once, as `pg_ctl stop -m immediate` does: no checkpoint, every client
// cut off, and the next start recovers from the write-ahead log like after a crash. The data
// directory and the port are kept for Resume. It is how a fault-injection run takes the database
// away; it must not run concurrently with Resume or Stop.
//
// What a throw-away cluster loses in a crash: with synchronous_commit off (its default), the
// transactions committed in the last few hundred milliseconds; set Options.Settings
// synchronous_commit=on to keep every committed transaction across Halt. fsync off costs
// nothing here, since the operating system keeps what postgres wrote.
func (s *Server) Halt(ctx context.Context) error {
	if err := s.proc.stop(stopImmediate); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("pgembed: halt: %w", err)
	}
	select {
	case <-s.proc.done:
	case <-ctx.Done():
		s.proc.kill()
	}
	waitBackendsGone(s.DataDir)
	return nil
}

// Resume starts a halted server again on the same data directory and port, and waits until it
// accepts connections (after its crash recovery). It does nothing when the server runs.
func (s *Server) Resume(ctx context.Context) error {
	select {
	case <-s.proc.done:
	default:
		return nil
	}
	opts := s.opts
	opts.Port = s.Port
	return s.startOnce(ctx, opts, s.bin, s.Port)
}
