// Package auth owns users and their sessions: registration, login with
// argon2id password hashes, opaque bearer tokens stored only as SHA-256
// hashes, the role hierarchy user < moderator < admin with its visibility
// and acting rules, and the rate limits that guard the login routes.
//
// Decisions the API contract leaves open:
//   - Usernames keep the case they were registered with and are unique without
//     regard to case (a unique index on lower(username)); login by username
//     ignores case too. Emails are stored lower-cased and unique.
//   - A soft delete deactivates the account, ends its sessions and stamps
//     deleted_at; the account stays visible to admins as inactive and keeps its
//     username and email reserved. Reactivating it clears deleted_at.
//   - Moderators see every account that is not an admin's, active or not, and
//     act only on those of role user: another moderator is visible (200 on
//     GET /users/{id}) but not actionable (403), an admin is invisible (404).
//     Every route by id on one's own account that changes it (status, role,
//     reset-password, delete) answers 400: the /users/me routes exist.
//   - Every change of a user invalidates the in-memory token cache for that
//     user before answering; other instances hear of it through a PostgreSQL
//     notification sent in the change's transaction and drop their entries
//     within a second (ListenRevocations). An instance whose listener is
//     down or late reads every token from the database until it is back.
//   - Rate limits are counted in PostgreSQL (the rate_limits table), so they
//     hold across every instance sharing the database. Should the database
//     fail to count, the failed-login limits refuse the login (503) and the
//     request limit lets the request through.
//   - The session clean-up runs on one instance per interval (a lease row in
//     cluster_jobs), the initial admin is created once under a transaction
//     advisory lock: neither needs a session-level lock, so both work behind
//     a pooler in transaction mode.
//   - Wrong current passwords on /users/me routes count against the account
//     like failed logins.
//   - A login, a change of one's password and the deletion of one's account
//     take effect only if the password hash they verified is still the
//     account's when they write (and, for a login, the account is still
//     active): a reset or deactivation committed while argon2id ran wins,
//     and they answer INVALID_CREDENTIALS.
//   - argon2id runs through a gate of Settings.HashConcurrency slots, so
//     the memory of hashing is bounded whatever the number of requests. The
//     test environment hashes at a cheap cost (config); every other one at
//     the production cost, m=19456 KiB, t=2, p=1.
//   - Per-address rate limits count an IPv6 client by its /64.
package auth

import (
	"time"

	"github.com/google/uuid"
)

// User is an account as the API shows it (UserProfile). The password hash
// never leaves this package.
type User struct {
	ID            uuid.UUID  `json:"id"`
	Username      string     `json:"username"`
	Email         string     `json:"email"`
	Role          Role       `json:"role"`
	IsActive      bool       `json:"is_active"`
	EmailVerified bool       `json:"email_verified"`
	CreatedAt     time.Time  `json:"created_at"`
	LastLoginAt   *time.Time `json:"last_login_at"`

	passwordHash string
}

// Principal is the authenticated caller of a request.
type Principal struct {
	UserID    uuid.UUID
	Username  string
	Email     string
	Role      Role
	SessionID uuid.UUID

	tokenHash    TokenHash
	expiresAt    time.Time
	lastActivity time.Time
}

// Me is the body of GET /auth/me.
type Me struct {
	ID       uuid.UUID `json:"id"`
	Username string    `json:"username"`
	Email    string    `json:"email"`
	Role     Role      `json:"role"`
}

// Me returns the caller as GET /auth/me shows it.
func (p Principal) Me() Me {
	return Me{ID: p.UserID, Username: p.Username, Email: p.Email, Role: p.Role}
}

// LoginResult is the body of a successful login.
type LoginResult struct {
	SessionToken string    `json:"session_token"`
	ExpiresAt    time.Time `json:"expires_at"`
	User         User      `json:"user"`
}

// RefreshResult is the body of a successful refresh.
type RefreshResult struct {
	ExpiresAt   time.Time `json:"expires_at"`
	RefreshedAt time.Time `json:"refreshed_at"`
}

// Stats is the body of GET /admin/users/stats.
type Stats struct {
	TotalUsers          int64        `json:"total_users"`
	ActiveUsers         int64        `json:"active_users"`
	InactiveUsers       int64        `json:"inactive_users"`
	EmailVerified       int64        `json:"email_verified"`
	EmailUnverified     int64        `json:"email_unverified"`
	ByRole              RoleCounts   `json:"by_role"`
	RecentRegistrations RecentCounts `json:"recent_registrations"`
}

// RoleCounts counts users per role.
type RoleCounts struct {
	User      int64 `json:"user"`
	Moderator int64 `json:"moderator"`
	Admin     int64 `json:"admin"`
}

// RecentCounts counts registrations over the last day, week and month.
type RecentCounts struct {
	Last24h int64 `json:"last_24h"`
	Last7d  int64 `json:"last_7d"`
	Last30d int64 `json:"last_30d"`
}
