package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/starter-go/starter/templates/project/internal/apperr"
)

// InitialAdmin is the account created at start-up when no admin exists.
type InitialAdmin struct {
	// Username of the account. Default "admin".
	Username string
	// Email of the account. Default "admin@example.com".
	Email string
	// Password must pass the password rules; empty means no initial admin.
	Password string
	// PasswordKey names the setting that held Password, for error messages.
	// Default "INITIAL_ADMIN_PASSWORD".
	PasswordKey string
}

// EnsureInitialAdmin creates the initial admin when no admin exists. An
// advisory lock makes concurrent start-ups of several instances create one.
// When the username or email is already taken by an account that is not an
// admin, it logs a warning and creates nothing: start-up goes on.
func (s *Service) EnsureInitialAdmin(ctx context.Context, in InitialAdmin) (created bool, err error) {
	if in.Password == "" {
		return false, nil
	}
	in = in.withDefaults()
	if err := s.ValidatePassword("password", in.Password); err != nil {
		msg := err.Error()
		if e, ok := apperr.As(err); ok {
			msg = e.Message
		}
		return false, fmt.Errorf("%s: %s", in.PasswordKey, msg)
	}
	if err := ValidateUsername("username", in.Username); err != nil {
		return false, fmt.Errorf("initial admin: %w", err)
	}
	if err := ValidateEmail("email", in.Email); err != nil {
		return false, fmt.Errorf("initial admin: %w", err)
	}
	hash, err := s.hash(ctx, in.Password)
	if err != nil {
		return false, err
	}
	err = inTx(ctx, s.db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('auth.initial_admin'))`); err != nil {
			return err
		}
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE role = 'admin')`).Scan(&exists); err != nil || exists {
			return err
		}
		_, err := insertUser(ctx, tx, newUser{Username: in.Username, Email: in.Email, PasswordHash: hash,
			Role: RoleAdmin, EmailVerified: true, CreatedAt: s.now()})
		created = err == nil
		return err
	})
	if apperr.Is(err, apperr.CodeUsernameExists) || apperr.Is(err, apperr.CodeEmailExists) {
		// Someone registered the name first. Refusing to start would let any
		// visitor keep the service down; promoting that account would hand it
		// to them. Neither: warn, and let the operator pick free names.
		s.logger.Warn("initial admin not created: its username or email belongs to an existing account "+
			"(which stays as it is); set INITIAL_ADMIN_USERNAME and INITIAL_ADMIN_EMAIL to unused ones",
			"username", in.Username, "email", in.Email)
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("initial admin: %w", err)
	}
	if created {
		s.logger.Info("initial admin created", "username", in.Username)
	}
	return created, nil
}

func (in InitialAdmin) withDefaults() InitialAdmin {
	if in.Username == "" {
		in.Username = "admin"
	}
	if in.Email == "" {
		in.Email = "admin@example.com"
	}
	if in.PasswordKey == "" {
		in.PasswordKey = "INITIAL_ADMIN_PASSWORD"
	}
	return in
}

// CleanupSessions removes expired and idle sessions and the rate-limit
// counts of closed windows, unless another instance sharing the database did
// so less than a clean-up interval ago (ran is false then). It also drops
// this process's stale cache entries, which every instance does for itself.
// removed counts the sessions removed.
func (s *Service) CleanupSessions(ctx context.Context) (removed int64, ran bool, err error) {
	now := s.now()
	s.cache.sweep(now)
	ran, err = runClusterJob(ctx, s.db, "auth.session_cleanup", s.settings.CleanupInterval, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM sessions WHERE expires_at <= $1 OR last_activity_at < $2`,
			now, now.Add(-s.settings.SessionIdleTimeout))
		if err != nil {
			return fmt.Errorf("clean up sessions: %w", err)
		}
		removed = tag.RowsAffected()
		// Outside the claim's transaction: its row locks would hold up the
		// logins that reopen a closed window until the clean-up commits.
		if _, err := sweepRateLimits(ctx, s.db, now); err != nil {
			return fmt.Errorf("clean up rate limits: %w", err)
		}
		if _, err := sweepRevocations(ctx, s.db); err != nil {
			return fmt.Errorf("clean up revocations: %w", err)
		}
		return nil
	})
	return removed, ran, err
}

// RunCleanup calls CleanupSessions at once and then every CleanupInterval
// until ctx ends; with several instances, one of them does the work each
// interval.
func (s *Service) RunCleanup(ctx context.Context) {
	ticker := time.NewTicker(s.settings.CleanupInterval)
	defer ticker.Stop()
	for {
		s.cleanup(ctx)
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

func (s *Service) cleanup(ctx context.Context) {
	n, ran, err := s.CleanupSessions(ctx)
	switch {
	case err != nil && !errors.Is(err, context.Canceled):
		s.logger.Error("session clean-up failed", "error", err)
	case err != nil:
	case !ran:
		s.logger.Debug("session clean-up skipped: another instance ran it within the interval")
	default:
		s.logger.Debug("session clean-up ran", "removed", n)
		if n > 0 {
			s.logger.Info("expired sessions removed", "count", n)
		}
	}
}
