package apptest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/google/uuid"

	"example.com/demo/internal/app"
	"example.com/demo/internal/auth"
)

// DefaultPassword is the password of the users the factories create unless
// told otherwise. It passes every password rule.
const DefaultPassword = "Factory-Passw0rd!"

// AuthUser is a user made by a factory: the profile, its password and, once
// logged in, a session token.
type AuthUser struct {
	auth.User
	Password string
	Token    string
}

// UserOptions shape a factory user; every zero field gets a default: a unique
// username, <username>@example.com, DefaultPassword, role user, active.
type UserOptions struct {
	Username      string
	Email         string
	Password      string
	Role          auth.Role
	Inactive      bool
	EmailVerified bool
}

// CreateUser inserts a user straight into the database.
func (ta *TestApp) CreateUser(o UserOptions) AuthUser {
	ta.t.Helper()
	o = ta.userDefaults(o)
	// The service's own argon2id costs: cheap in the test environment, so a
	// factory user costs about one INSERT.
	hash, err := auth.HashPassword(o.Password, app.AuthSettings(ta.Config).Hash)
	if err != nil {
		ta.t.Fatalf("create user: %v", err)
	}
	u := AuthUser{Password: o.Password}
	err = ta.DB.QueryRow(context.Background(), `
		INSERT INTO users (username, email, password_hash, role, is_active, email_verified, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
		RETURNING id, username, email, role, is_active, email_verified, created_at`,
		o.Username, auth.NormalizeEmail(o.Email), hash, o.Role, !o.Inactive, o.EmailVerified, ta.authNow()).
		Scan(&u.ID, &u.Username, &u.Email, &u.Role, &u.IsActive, &u.EmailVerified, &u.CreatedAt)
	if err != nil {
		ta.t.Fatalf("create user %s: %v", o.Username, err)
	}
	u.CreatedAt = u.CreatedAt.UTC()
	return u
}

// CreateAuthUser inserts a user of role and a session for it; the returned
// user carries the session token.
func (ta *TestApp) CreateAuthUser(role auth.Role) AuthUser {
	ta.t.Helper()
	u := ta.CreateUser(UserOptions{Role: role})
	u.Token = ta.NewSession(u.ID)
	return u
}

// NewSession inserts a session for a user straight into the database and
// returns its token; only the token's hash is stored, as the service does.
func (ta *TestApp) NewSession(userID uuid.UUID) string {
	ta.t.Helper()
	token, hash, err := auth.NewSessionToken()
	if err != nil {
		ta.t.Fatalf("new session: %v", err)
	}
	now := ta.authNow()
	_, err = ta.DB.Exec(context.Background(), `
		INSERT INTO sessions (user_id, token_hash, created_at, expires_at, last_activity_at)
		VALUES ($1, $2, $3, $4, $3)`, userID, hash[:], now, now.Add(ta.Config.Auth.SessionLifetime))
	if err != nil {
		ta.t.Fatalf("new session: %v", err)
	}
	return token
}

// Login logs in through the API by username and fails the test unless it
// succeeds; it returns the session token.
func (ta *TestApp) Login(username, password string) string {
	ta.t.Helper()
	r := ta.PostJSON("/api/v1/auth/login", map[string]any{"username": username, "password": password})
	var res struct {
		SessionToken string `json:"session_token"`
	}
	if r.Status != http.StatusOK {
		ta.t.Fatalf("login %s: want 200, got %d: %s", username, r.Status, r.Body)
	}
	r.Data(ta.t, &res)
	return res.SessionToken
}

// SessionCount is the number of sessions a user has in the database.
func (ta *TestApp) SessionCount(userID uuid.UUID) int {
	ta.t.Helper()
	var n int
	if err := ta.DB.QueryRow(context.Background(), `SELECT count(*) FROM sessions WHERE user_id = $1`, userID).Scan(&n); err != nil {
		ta.t.Fatalf("count sessions: %v", err)
	}
	return n
}

func (ta *TestApp) userDefaults(o UserOptions) UserOptions {
	if o.Username == "" {
		o.Username = "user_" + randomHex(ta, 6)
	}
	if o.Email == "" {
		o.Email = o.Username + "@example.com"
	}
	if o.Password == "" {
		o.Password = DefaultPassword
	}
	if o.Role == "" {
		o.Role = auth.RoleUser
	}
	return o
}

// authNow is the service's clock, so factory rows agree with it.
func (ta *TestApp) authNow() time.Time {
	if ta.Config.Auth.Now != nil {
		return ta.Config.Auth.Now().UTC()
	}
	return time.Now().UTC()
}

func randomHex(ta *TestApp, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		ta.t.Fatalf("random: %v", err)
	}
	return hex.EncodeToString(b)
}
