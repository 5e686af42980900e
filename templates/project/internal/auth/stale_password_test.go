package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/starter-go/starter/templates/project/internal/apperr"
	"github.com/starter-go/starter/templates/project/internal/auth"
)

// A password checked against the account as it was read must not act on
// the account as a concurrent change left it. A login, a change of one's
// own password or the deletion of one's account reads the user, verifies
// the password (argon2id: tens of milliseconds, longer while it waits for
// the hash gate), then writes; an admin's reset or deactivation that
// commits meanwhile has already ended the sessions it was meant to end.
// Without a check at the write, the login opened a session after them (one
// that a reactivation brings back) with a password that no longer opens
// the account, the change replaced the password an admin had just reset,
// and the deletion deactivated the account the admin had just secured.
//
// The race is made deterministic by holding the account's failed-login
// count (a row of rate_limits), which each takes after reading the user:
// they wait on its lock while the admin acts.
func TestStalePasswordCannotOutliveAConcurrentRevocation(t *testing.T) {
	t.Parallel()
	const oldPassword, nextPassword, resetPassword = "Correct7horse!", "Attacker7horse!", "Admin7reset!!"
	for _, tc := range []struct {
		name   string
		racing string // "login", "change" or "delete": what runs on the old password
		revoke func(ctx context.Context, s *auth.Service, admin auth.Principal, user auth.User) error
	}{
		{"login against a reset", "login", func(ctx context.Context, s *auth.Service, admin auth.Principal, user auth.User) error {
			return s.ResetPassword(ctx, admin, user.ID, resetPassword)
		}},
		{"login against a deactivation", "login", func(ctx context.Context, s *auth.Service, admin auth.Principal, user auth.User) error {
			_, err := s.SetStatus(ctx, admin, user.ID, false, "compromised")
			return err
		}},
		{"change against a reset", "change", func(ctx context.Context, s *auth.Service, admin auth.Principal, user auth.User) error {
			return s.ResetPassword(ctx, admin, user.ID, resetPassword)
		}},
		{"deletion against a reset", "delete", func(ctx context.Context, s *auth.Service, admin auth.Principal, user auth.User) error {
			return s.ResetPassword(ctx, admin, user.ID, resetPassword)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setupStale(t, oldPassword)
			ctx := b.ctx
			// The stolen session, opened before the revocation.
			stolen, err := b.s.Login(ctx, auth.LoginInput{Username: "victim", Password: oldPassword, ClientIP: "192.0.2.20"})
			if err != nil {
				t.Fatal(err)
			}
			victim, err := b.s.Authenticate(ctx, stolen.SessionToken)
			if err != nil {
				t.Fatal(err)
			}
			release := holdAccountCount(t, b.db, "login_account:user:"+stolen.User.ID.String())
			done := make(chan error, 1)
			var token string
			go func() {
				if tc.racing == "login" {
					res, err := b.s.Login(ctx, auth.LoginInput{Username: "victim", Password: oldPassword, ClientIP: "192.0.2.21"})
					token = res.SessionToken
					done <- err
					return
				}
				if tc.racing == "delete" {
					done <- b.s.DeleteSelf(ctx, victim, oldPassword, "DELETE")
					return
				}
				done <- b.s.ChangePassword(ctx, victim, oldPassword, nextPassword)
			}()
			waitForRowLock(t, b.db, done)
			if err := tc.revoke(ctx, b.s, b.admin, stolen.User); err != nil {
				t.Fatal(err)
			}
			release()
			err = <-done
			if e, ok := apperr.As(err); !ok || e.Code != apperr.CodeInvalidCredentials {
				t.Errorf("the %s on the old password after the revocation = %v, want INVALID_CREDENTIALS", tc.racing, err)
			}
			if u, err := b.s.GetUser(ctx, b.admin, stolen.User.ID); tc.racing == "delete" && (err != nil || !u.IsActive) {
				t.Errorf("the deletion on the old password after the reset went through: active %v (%v)", u.IsActive, err)
			}
			if _, err := b.s.SetStatus(ctx, b.admin, stolen.User.ID, true, "restored"); err != nil {
				t.Fatal(err)
			}
			if token != "" {
				if _, err := b.s.Authenticate(ctx, token); err == nil {
					t.Error("a session opened with the old password survives the revocation")
				}
			}
			if tc.racing != "login" {
				if _, err := b.s.Login(ctx, auth.LoginInput{Username: "victim", Password: resetPassword, ClientIP: "192.0.2.22"}); err != nil {
					t.Errorf("the admin's password no longer opens the account: %v", err)
				}
			}
		})
	}
}

type staleBundle struct {
	ctx   context.Context
	db    *pgxpool.Pool
	s     *auth.Service
	admin auth.Principal
}

// setupStale makes a service with an admin signed in and the user
// "victim" with password.
func setupStale(t *testing.T, password string) staleBundle {
	t.Helper()
	ctx := context.Background()
	db := testPool(t)
	s, err := auth.NewService(db, auth.Settings{Hash: auth.HashParams{MemoryKiB: 64, Iterations: 1}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	adminPassword := "Admin7horse!!"
	if _, err := s.EnsureInitialAdmin(ctx, auth.InitialAdmin{Password: adminPassword}); err != nil {
		t.Fatal(err)
	}
	in, err := s.Login(ctx, auth.LoginInput{Username: "admin", Password: adminPassword, ClientIP: "192.0.2.10"})
	if err != nil {
		t.Fatal(err)
	}
	admin, err := s.Authenticate(ctx, in.SessionToken)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Register(ctx, auth.RegisterInput{Username: "victim", Email: "victim@example.com",
		Password: password, ClientIP: "192.0.2.11"}); err != nil {
		t.Fatal(err)
	}
	return staleBundle{ctx: ctx, db: db, s: s, admin: admin}
}

// holdAccountCount inserts key's rate_limits row in a transaction left
// open until release, so that whoever counts against key waits.
func holdAccountCount(t *testing.T, db *pgxpool.Pool, key string) (release func()) {
	t.Helper()
	ctx := context.Background()
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM rate_limits WHERE key = $1`, key); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO rate_limits (key, window_end, hits) VALUES ($1, now() + interval '1 hour', 0)`, key); err != nil {
		t.Fatal(err)
	}
	return func() {
		if err := tx.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// waitForRowLock returns once a statement on rate_limits waits for a lock:
// the racing request has read the user and waits for its count.
func waitForRowLock(t *testing.T, db *pgxpool.Pool, done <-chan error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for waiting := false; !waiting; {
		err := db.QueryRow(context.Background(), `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%rate_limits%')`).Scan(&waiting)
		switch {
		case err != nil:
			t.Fatal(err)
		case time.Now().After(deadline):
			t.Fatal("the racing request never waited for the account's count")
		}
		select {
		case err := <-done:
			t.Fatalf("the racing request ended without waiting for the account's count: %v", err)
		case <-time.After(time.Millisecond): // not a query after another, flat out
		}
	}
}
