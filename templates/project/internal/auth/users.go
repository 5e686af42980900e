package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/starter-go/starter/templates/project/internal/apperr"
)

var (
	errLastAdmin = apperr.Conflict("Cannot remove the last active admin")
	errOwnID     = apperr.Validation("id", "Use the /users/me routes for your own account")
	errCannotAct = apperr.Forbidden("Insufficient permissions for this user")
)

// GetUser returns a user the caller may see; anything else is NOT_FOUND.
func (s *Service) GetUser(ctx context.Context, actor Principal, id uuid.UUID) (User, error) {
	u, err := userByID(ctx, s.db, id)
	if err != nil {
		return User{}, err
	}
	if !canSee(actor, u) {
		return User{}, errNoUser
	}
	return u, nil
}

// ListOptions page through users.
type ListOptions struct {
	Limit           int
	Offset          int
	IncludeInactive bool
	// Search keeps the users whose username or email contains it (any
	// letter case); empty keeps all.
	Search string
}

// ListUsers lists the users the caller may see, newest first: active ones,
// and the others too with IncludeInactive. Admins see every account,
// moderators those that are not admins'.
func (s *Service) ListUsers(ctx context.Context, actor Principal, opts ListOptions) ([]User, error) {
	where := `is_active`
	if opts.IncludeInactive {
		where = `true`
	}
	if actor.Role != RoleAdmin {
		where += ` AND role <> 'admin'`
	}
	args := []any{opts.Limit, opts.Offset}
	if opts.Search != "" {
		where += ` AND (username ILIKE $3 OR email ILIKE $3)`
		args = append(args, likePattern(opts.Search))
	}
	rows, err := s.db.Query(ctx, `SELECT `+userColumns+` FROM users WHERE `+where+`
		ORDER BY created_at DESC, id LIMIT $1 OFFSET $2`, args...)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	users := []User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		users = append(users, u)
	}
	return users, rows.Err()
}

// ProfileUpdate changes the fields that are set. EmailVerified is honoured
// only on the admin route.
type ProfileUpdate struct {
	Username      *string
	Email         *string
	EmailVerified *bool
}

func (u ProfileUpdate) validate() error {
	if u.Username != nil {
		if err := ValidateUsername("username", *u.Username); err != nil {
			return err
		}
	}
	if u.Email != nil {
		if err := ValidateEmail("email", *u.Email); err != nil {
			return err
		}
	}
	return nil
}

// UpdateOwnProfile changes the caller's username or email; a new email is
// unverified.
func (s *Service) UpdateOwnProfile(ctx context.Context, actor Principal, upd ProfileUpdate) (User, error) {
	upd.EmailVerified = nil
	if err := upd.validate(); err != nil {
		return User{}, err
	}
	u, err := updateProfile(ctx, s.db, actor.UserID, upd, s.now())
	s.cache.invalidateUser(actor.UserID)
	return u, err
}

// UpdateProfile is the admin's change of another user's profile.
func (s *Service) UpdateProfile(ctx context.Context, actor Principal, id uuid.UUID, upd ProfileUpdate) (User, error) {
	if err := upd.validate(); err != nil {
		return User{}, err
	}
	return s.actOn(ctx, actor, id, actRule{min: RoleAdmin}, func(tx pgx.Tx, target User, _ int) (User, error) {
		return updateProfile(ctx, tx, target.ID, upd, s.now())
	})
}

func updateProfile(ctx context.Context, q querier, id uuid.UUID, upd ProfileUpdate, now time.Time) (User, error) {
	var email *string
	if upd.Email != nil {
		e := NormalizeEmail(*upd.Email)
		email = &e
	}
	u, err := scanUser(q.QueryRow(ctx, `
		UPDATE users SET
			username = COALESCE($2, username),
			email_verified = CASE WHEN $4::boolean IS NOT NULL THEN $4
				WHEN $3::text IS NOT NULL AND $3 <> email THEN false ELSE email_verified END,
			email = COALESCE($3, email),
			updated_at = $5
		WHERE id = $1 RETURNING `+userColumns, id, upd.Username, email, upd.EmailVerified, now))
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, errNoUser
	}
	if err != nil {
		return User{}, uniqueViolation(err, "update profile")
	}
	return u, nil
}

// ChangePassword replaces the caller's password and ends their other sessions.
func (s *Service) ChangePassword(ctx context.Context, actor Principal, current, next string) error {
	if err := s.ValidatePassword("new_password", next); err != nil {
		return err
	}
	u, err := s.checkOwnPassword(ctx, actor, current)
	if err != nil {
		return err
	}
	if current == next {
		return apperr.Validation("new_password", "New password must be different from the current password")
	}
	hash, err := s.hash(ctx, next)
	if err != nil {
		return err
	}
	err = inTx(ctx, s.db, func(tx pgx.Tx) error {
		if err := replacePassword(ctx, tx, u, hash); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1 AND id <> $2`, u.ID, actor.SessionID)
		return err
	})
	s.cache.invalidateUser(u.ID)
	if errors.Is(err, errInvalidCredentials) {
		return err
	}
	if err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	return nil
}

// checkOwnPassword verifies the caller's password. Failures count against the
// account like failed logins, so a stolen token cannot be used to guess the
// password at leisure.
func (s *Service) checkOwnPassword(ctx context.Context, actor Principal, password string) (User, error) {
	u, err := userByID(ctx, s.db, actor.UserID)
	if err != nil {
		return User{}, err
	}
	key := "user:" + u.ID.String()
	if err := s.accountFailures.allow(ctx, key); err != nil {
		return User{}, err
	}
	ok, err := s.verify(ctx, password, u.passwordHash)
	if err != nil {
		s.accountFailures.undo(ctx, key)
		return User{}, err
	}
	if !ok {
		return User{}, errInvalidCredentials
	}
	s.accountFailures.undo(ctx, key)
	return u, nil
}

func setPassword(ctx context.Context, q querier, id uuid.UUID, hash string) error {
	if _, err := q.Exec(ctx, `UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1`, id, hash); err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	return nil
}

// replacePassword sets u's password to hash provided the stored hash is
// still the one the current password was verified against: a reset or
// another change committed meanwhile wins, and the current password given
// is then no longer current.
func replacePassword(ctx context.Context, tx pgx.Tx, u User, hash string) error {
	tag, err := tx.Exec(ctx, `UPDATE users SET password_hash = $3, updated_at = now() WHERE id = $1 AND password_hash = $2`,
		u.ID, u.passwordHash, hash)
	switch {
	case err != nil:
		return fmt.Errorf("set password: %w", err)
	case tag.RowsAffected() == 0:
		return errInvalidCredentials
	}
	return nil
}

// DeleteSelf soft-deletes the caller's account after checking the password.
func (s *Service) DeleteSelf(ctx context.Context, actor Principal, password, confirmation string) error {
	if confirmation != "DELETE" {
		return apperr.Validation("confirmation", `Confirmation must be "DELETE"`)
	}
	checked, err := s.checkOwnPassword(ctx, actor, password)
	if err != nil {
		return err
	}
	_, err = s.actOn(ctx, actor, actor.UserID, actRule{min: RoleUser, self: true}, func(tx pgx.Tx, target User, admins int) (User, error) {
		if target.passwordHash != checked.passwordHash {
			// Reset or changed since it was verified: no longer current.
			return User{}, errInvalidCredentials
		}
		if removesAdmin(target, admins) {
			return User{}, errLastAdmin
		}
		return softDelete(ctx, tx, target.ID, s.now())
	})
	return err
}

func softDelete(ctx context.Context, tx pgx.Tx, id uuid.UUID, now time.Time) (User, error) {
	u, err := scanUser(tx.QueryRow(ctx, `UPDATE users SET is_active = false, deleted_at = $2, updated_at = $2
		WHERE id = $1 RETURNING `+userColumns, id, now))
	if err != nil {
		return User{}, fmt.Errorf("delete user: %w", err)
	}
	_, err = deleteSessions(ctx, tx, id)
	return u, err
}

// SetStatus activates or deactivates a user; deactivation ends their sessions.
func (s *Service) SetStatus(ctx context.Context, actor Principal, id uuid.UUID, active bool, reason string) (User, error) {
	u, err := s.actOn(ctx, actor, id, actRule{min: RoleModerator}, func(tx pgx.Tx, target User, admins int) (User, error) {
		if !active && removesAdmin(target, admins) {
			return User{}, errLastAdmin
		}
		u, err := scanUser(tx.QueryRow(ctx, `UPDATE users SET is_active = $2,
			deleted_at = CASE WHEN $2 THEN NULL ELSE deleted_at END, updated_at = $3
			WHERE id = $1 RETURNING `+userColumns, target.ID, active, s.now()))
		if err != nil || active {
			return u, err
		}
		_, err = deleteSessions(ctx, tx, target.ID)
		return u, err
	})
	if err == nil {
		s.logger.Info("user status changed", "actor_id", actor.UserID, "user_id", id, "is_active", active, "reason", reason)
	}
	return u, err
}

// ResetPassword sets another user's password and ends their sessions.
func (s *Service) ResetPassword(ctx context.Context, actor Principal, id uuid.UUID, password string) error {
	if err := s.ValidatePassword("new_password", password); err != nil {
		return err
	}
	hash, err := s.hash(ctx, password)
	if err != nil {
		return err
	}
	_, err = s.actOn(ctx, actor, id, actRule{min: RoleModerator}, func(tx pgx.Tx, target User, _ int) (User, error) {
		if err := setPassword(ctx, tx, target.ID, hash); err != nil {
			return User{}, err
		}
		_, err := deleteSessions(ctx, tx, target.ID)
		return target, err
	})
	return err
}

// CreateUserInput is the body of the admin's POST /users.
type CreateUserInput struct {
	Username string
	Email    string
	Password string
	Role     Role
}

// CreateUser creates an account of any role. The caller's role is read again
// from the database, in the transaction that inserts, as actOn does: the
// cached principal may predate a demotion made by another instance.
func (s *Service) CreateUser(ctx context.Context, actor Principal, in CreateUserInput) (User, error) {
	if !actor.Role.AtLeast(RoleAdmin) {
		return User{}, errCannotAct
	}
	if in.Role == "" {
		in.Role = RoleUser
	}
	n, err := s.newAccount(ctx, in.Username, in.Email, in.Password, in.Role)
	if err != nil {
		return User{}, err
	}
	var u User
	err = inTx(ctx, s.db, func(tx pgx.Tx) error {
		caller, err := lockCaller(ctx, tx, actor.UserID)
		if err != nil {
			return err
		}
		if err := checkCaller(caller, RoleAdmin); err != nil {
			return err
		}
		u, err = insertUser(ctx, tx, n)
		return err
	})
	return u, err
}

// lockCaller reads the caller's row, locked against a concurrent change of
// role or status until the transaction ends; nil when it is gone.
func lockCaller(ctx context.Context, tx pgx.Tx, id uuid.UUID) (*User, error) {
	u, err := scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1 FOR SHARE`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("lock caller: %w", err)
	}
	return &u, nil
}

// SetRole changes another user's role.
func (s *Service) SetRole(ctx context.Context, actor Principal, id uuid.UUID, role Role) (User, error) {
	return s.actOn(ctx, actor, id, actRule{min: RoleAdmin}, func(tx pgx.Tx, target User, admins int) (User, error) {
		if role != RoleAdmin && removesAdmin(target, admins) {
			return User{}, errLastAdmin
		}
		u, err := scanUser(tx.QueryRow(ctx, `UPDATE users SET role = $2, updated_at = $3 WHERE id = $1 RETURNING `+userColumns,
			target.ID, role, s.now()))
		if err != nil {
			return User{}, fmt.Errorf("set role: %w", err)
		}
		return u, nil
	})
}

// DeleteUser removes another user: soft (deactivate, end sessions) or hard
// (the row and, by cascade, its sessions).
func (s *Service) DeleteUser(ctx context.Context, actor Principal, id uuid.UUID, hard bool) error {
	_, err := s.actOn(ctx, actor, id, actRule{min: RoleAdmin}, func(tx pgx.Tx, target User, admins int) (User, error) {
		if removesAdmin(target, admins) {
			return User{}, errLastAdmin
		}
		if !hard {
			return softDelete(ctx, tx, target.ID, s.now())
		}
		_, err := tx.Exec(ctx, `DELETE FROM users WHERE id = $1`, target.ID)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23503" {
			return User{}, apperr.Conflict("User still owns data that references it; deactivate the user instead")
		}
		return target, err
	})
	return err
}

// removesAdmin reports whether taking target out of the active admins would
// leave none.
func removesAdmin(target User, activeAdmins int) bool {
	return target.Role == RoleAdmin && target.IsActive && activeAdmins <= 1
}

// actRule says who may act: the minimum role of the route and whether the
// route is the caller's own (/users/me…) rather than one by id.
type actRule struct {
	min  Role
	self bool
}

// actOn runs change in a transaction that first locks the active admins (so
// that concurrent demotions see each other and can never leave zero admins),
// then the caller and the target. It re-reads the caller, so a caller demoted
// or deactivated meanwhile is refused, and applies the visibility (404),
// own-account (400) and acting (403) rules before change runs.
func (s *Service) actOn(ctx context.Context, actor Principal, id uuid.UUID, rule actRule,
	change func(tx pgx.Tx, target User, activeAdmins int) (User, error)) (User, error) {
	var out User
	err := inTx(ctx, s.db, func(tx pgx.Tx) error {
		admins, err := lockActiveAdmins(ctx, tx)
		if err != nil {
			return err
		}
		caller, target, err := lockPair(ctx, tx, actor.UserID, id)
		if err != nil {
			return err
		}
		if err := checkAct(actor, caller, target, rule); err != nil {
			return err
		}
		out, err = change(tx, *target, admins)
		return err
	})
	s.cache.invalidateUser(id)
	if err != nil {
		return User{}, err
	}
	return out, nil
}

// checkCaller refuses a caller (as the database has it now) who is gone,
// inactive or below min.
func checkCaller(caller *User, min Role) error {
	if caller == nil || !caller.IsActive {
		return errBadToken
	}
	if !caller.Role.AtLeast(min) {
		return errCannotAct
	}
	return nil
}

func checkAct(actor Principal, caller, target *User, rule actRule) error {
	if err := checkCaller(caller, rule.min); err != nil {
		return err
	}
	fresh := actor
	fresh.Role = caller.Role
	if target == nil || !canSee(fresh, *target) {
		return errNoUser
	}
	if !rule.self && target.ID == actor.UserID {
		return errOwnID
	}
	if !rule.self && !canActOn(fresh, *target) {
		return errCannotAct
	}
	return nil
}

func lockActiveAdmins(ctx context.Context, tx pgx.Tx) (int, error) {
	rows, err := tx.Query(ctx, `SELECT id FROM users WHERE role = 'admin' AND is_active ORDER BY id FOR NO KEY UPDATE`)
	if err != nil {
		return 0, fmt.Errorf("lock admins: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return 0, fmt.Errorf("lock admins: %w", err)
	}
	return len(ids), nil
}

// lockPair locks the caller's and the target's rows in id order.
func lockPair(ctx context.Context, tx pgx.Tx, callerID, targetID uuid.UUID) (caller, target *User, err error) {
	rows, err := tx.Query(ctx, `SELECT `+userColumns+` FROM users WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE`,
		[]uuid.UUID{callerID, targetID})
	if err != nil {
		return nil, nil, fmt.Errorf("lock users: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, nil, fmt.Errorf("lock users: %w", err)
		}
		if u.ID == callerID {
			c := u
			caller = &c
		}
		if u.ID == targetID {
			t := u
			target = &t
		}
	}
	return caller, target, rows.Err()
}

// Stats counts users for the admin dashboard.
func (s *Service) Stats(ctx context.Context) (Stats, error) {
	now := s.now()
	var st Stats
	err := s.db.QueryRow(ctx, `SELECT count(*),
			count(*) FILTER (WHERE is_active), count(*) FILTER (WHERE NOT is_active),
			count(*) FILTER (WHERE email_verified), count(*) FILTER (WHERE NOT email_verified),
			count(*) FILTER (WHERE role = 'user'), count(*) FILTER (WHERE role = 'moderator'),
			count(*) FILTER (WHERE role = 'admin'),
			count(*) FILTER (WHERE created_at > $1), count(*) FILTER (WHERE created_at > $2),
			count(*) FILTER (WHERE created_at > $3)
		FROM users`, now.AddDate(0, 0, -1), now.AddDate(0, 0, -7), now.AddDate(0, 0, -30)).
		Scan(&st.TotalUsers, &st.ActiveUsers, &st.InactiveUsers, &st.EmailVerified, &st.EmailUnverified,
			&st.ByRole.User, &st.ByRole.Moderator, &st.ByRole.Admin,
			&st.RecentRegistrations.Last24h, &st.RecentRegistrations.Last7d, &st.RecentRegistrations.Last30d)
	if err != nil {
		return Stats{}, fmt.Errorf("user stats: %w", err)
	}
	return st, nil
}

// likePattern matches text containing s, its LIKE wildcards taken literally.
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}
