package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"example.com/demo/internal/apperr"
)

// querier is what both the pool and a transaction offer.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

const userColumns = `id, username, email, role, is_active, email_verified, created_at, last_login_at, password_hash`

func scanUser(row pgx.Row) (User, error) {
	var u User
	err := row.Scan(&u.ID, &u.Username, &u.Email, &u.Role, &u.IsActive, &u.EmailVerified,
		&u.CreatedAt, &u.LastLoginAt, &u.passwordHash)
	u.CreatedAt = u.CreatedAt.UTC()
	if u.LastLoginAt != nil {
		t := u.LastLoginAt.UTC()
		u.LastLoginAt = &t
	}
	return u, err
}

var errNoUser = apperr.NotFound("User")

// userByID returns the user or errNoUser.
func userByID(ctx context.Context, q querier, id uuid.UUID) (User, error) {
	u, err := scanUser(q.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, errNoUser
	}
	if err != nil {
		return User{}, fmt.Errorf("load user: %w", err)
	}
	return u, nil
}

// userByLogin finds a user by username (any case) or by email.
func userByLogin(ctx context.Context, q querier, username, email string) (User, bool, error) {
	query := `SELECT ` + userColumns + ` FROM users WHERE lower(username) = lower($1)`
	arg := username
	if email != "" {
		query = `SELECT ` + userColumns + ` FROM users WHERE email = $1`
		arg = NormalizeEmail(email)
	}
	u, err := scanUser(q.QueryRow(ctx, query, arg))
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, false, nil
	}
	if err != nil {
		return User{}, false, fmt.Errorf("find user: %w", err)
	}
	return u, true, nil
}

type newUser struct {
	Username      string
	Email         string
	PasswordHash  string
	Role          Role
	EmailVerified bool
	CreatedAt     time.Time
}

func insertUser(ctx context.Context, q querier, n newUser) (User, error) {
	u, err := scanUser(q.QueryRow(ctx, `
		INSERT INTO users (username, email, password_hash, role, email_verified, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6)
		RETURNING `+userColumns,
		n.Username, NormalizeEmail(n.Email), n.PasswordHash, n.Role, n.EmailVerified, n.CreatedAt))
	if err != nil {
		return User{}, uniqueViolation(err, "create user")
	}
	return u, nil
}

// uniqueViolation maps the unique indexes of users to their API codes.
func uniqueViolation(err error, op string) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		switch pgErr.ConstraintName {
		case "users_username_lower_key":
			return apperr.New(apperr.CodeUsernameExists, "Username already exists")
		case "users_email_key":
			return apperr.New(apperr.CodeEmailExists, "Email already exists")
		}
	}
	return fmt.Errorf("%s: %w", op, err)
}

func deleteSessions(ctx context.Context, q querier, userID uuid.UUID) (int64, error) {
	tag, err := q.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID)
	if err != nil {
		return 0, fmt.Errorf("end sessions: %w", err)
	}
	return tag.RowsAffected(), nil
}

// inTx runs fn in a transaction, committed when fn returns nil.
func inTx(ctx context.Context, db interface {
	Begin(context.Context) (pgx.Tx, error)
}, fn func(pgx.Tx) error) error {
	tx, err := db.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // a no-op after Commit
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
