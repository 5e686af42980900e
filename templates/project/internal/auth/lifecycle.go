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

// CleanupSessions removes expired and idle sessions and forgets closed
// rate-limit windows and stale cache entries. It returns the sessions removed.
func (s *Service) CleanupSessions(ctx context.Context) (int64, error) {
	now := s.now()
	tag, err := s.db.Exec(ctx, `DELETE FROM sessions WHERE expires_at <= $1 OR last_activity_at < $2`,
		now, now.Add(-s.settings.SessionIdleTimeout))
	if err != nil {
		return 0, fmt.Errorf("clean up sessions: %w", err)
	}
	s.accountFailures.sweep()
	s.ipFailures.sweep()
	s.ipRequests.sweep()
	s.cache.sweep(now)
	return tag.RowsAffected(), nil
}

// RunCleanup calls CleanupSessions every CleanupInterval until ctx ends.
func (s *Service) RunCleanup(ctx context.Context) {
	ticker := time.NewTicker(s.settings.CleanupInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			n, err := s.CleanupSessions(ctx)
			switch {
			case err != nil && !errors.Is(err, context.Canceled):
				s.logger.Error("session clean-up failed", "error", err)
			case n > 0:
				s.logger.Info("expired sessions removed", "count", n)
			}
		}
	}
}
