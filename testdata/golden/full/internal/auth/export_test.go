package auth

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"example.com/demo/internal/platform/fakeclock"
)

// What the database tests of package auth_test reach inside.

type (
	Limiter   = limiter
	FakeClock = fakeclock.Clock
)

var NewFakeClock = newFakeClock

func NewLimiter(db *pgxpool.Pool, name string, limit int, window time.Duration, now func() time.Time, failOpen bool) *Limiter {
	return &limiter{db: db, name: name, limit: limit, window: window, now: now,
		logger: slog.New(slog.DiscardHandler), failOpen: failOpen}
}

func (l *limiter) Allow(ctx context.Context, key string) error { return l.allow(ctx, key) }
func (l *limiter) Undo(ctx context.Context, key string)        { l.undo(ctx, key) }
func (l *limiter) Reset(ctx context.Context, key string)       { l.reset(ctx, key) }

func SweepRateLimits(ctx context.Context, db *pgxpool.Pool, now time.Time) (int64, error) {
	return sweepRateLimits(ctx, db, now)
}

// HoldHashGate takes every slot of the gate that argon2id work waits for,
// until release.
func (s *Service) HoldHashGate() (release func()) {
	for range cap(s.gate) {
		s.gate <- struct{}{}
	}
	return func() {
		for range cap(s.gate) {
			<-s.gate
		}
	}
}

// DummyHashParams are the parameters of the hash an unknown user's login
// verifies.
func (s *Service) DummyHashParams() HashParams {
	p, _, _, err := parsePHC(s.dummyHash)
	if err != nil {
		panic(err)
	}
	return p
}
