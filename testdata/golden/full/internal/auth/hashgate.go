package auth

import (
	"context"
	"errors"
	"time"

	"example.com/demo/internal/apperr"
)

// hashGate bounds the argon2id computations that run at once. Each holds
// HashParams.MemoryKiB (19 MiB in production) for its whole run, so without a
// bound 600 parallel registrations would want 11 GiB; with one, the memory
// is slots × MemoryKiB and the other requests wait their turn. More slots than
// CPUs would not finish hashes sooner, only hold more memory.
type hashGate chan struct{}

func newHashGate(slots int) hashGate { return make(hashGate, slots) }

// errBusy answers a request whose deadline passed while it waited for a slot.
func errBusy() error {
	e := apperr.New(apperr.CodeServiceUnavailable, "The server is busy, try again shortly")
	e.RetryAfter = time.Second
	return e
}

// run calls fn once a slot is free, or returns without calling it when ctx
// ends first: errBusy for a deadline, ctx's error for a cancellation.
func (g hashGate) run(ctx context.Context, fn func()) error {
	select {
	case g <- struct{}{}:
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return errBusy()
		}
		return ctx.Err()
	}
	defer func() { <-g }()
	fn()
	return nil
}

// hash returns the PHC string of password under the configured parameters,
// through the gate.
func (s *Service) hash(ctx context.Context, password string) (string, error) {
	var phc string
	var err error
	if gateErr := s.gate.run(ctx, func() { phc, err = HashPassword(password, s.settings.Hash) }); gateErr != nil {
		return "", gateErr
	}
	return phc, err
}

// verify checks password against a PHC string, through the gate. A stored
// hash that does not parse is logged and does not match; the error is only
// the gate's (the request ended while it waited).
func (s *Service) verify(ctx context.Context, password, phc string) (bool, error) {
	var ok bool
	err := s.gate.run(ctx, func() {
		var verr error
		if ok, verr = VerifyPassword(password, phc); verr != nil {
			s.logger.Error("verify password: stored hash unusable", "error", verr)
		}
	})
	return ok, err
}
