package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/starter-go/starter/templates/project/internal/apperr"
	"github.com/starter-go/starter/templates/project/internal/storable"
)

// Service is the auth and user-management domain over PostgreSQL.
type Service struct {
	db       *pgxpool.Pool
	settings Settings
	logger   *slog.Logger
	common   commonPasswords
	// dummyHash is verified when a login names no user, so that an unknown
	// user and a wrong password take the same time.
	dummyHash string
	cache     *principalCache
	listener  listenerState
	gate      hashGate

	accountFailures *limiter
	ipFailures      *limiter
	ipRequests      *limiter
}

// NewService returns the auth service. It hashes one random password with
// the configured parameters for the equal-time dummy check.
func NewService(db *pgxpool.Pool, settings Settings, logger *slog.Logger) (*Service, error) {
	s := settings.withDefaults()
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if s.HashConcurrency < 1 {
		return nil, fmt.Errorf("auth: hash concurrency %d is below 1", s.HashConcurrency)
	}
	raw := make([]byte, 24)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	dummy, err := HashPassword(base64.RawStdEncoding.EncodeToString(raw), s.Hash)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	limit := func(name string, n int, window time.Duration, failOpen bool) *limiter {
		return &limiter{db: db, name: name, limit: n, window: window, now: s.Now, logger: logger, failOpen: failOpen}
	}
	return &Service{
		db:        db,
		settings:  s,
		logger:    logger,
		common:    loadCommonPasswords(),
		dummyHash: dummy,
		cache:     newPrincipalCache(s.CacheTTL),
		gate:      newHashGate(s.HashConcurrency),
		// When the database cannot count, the failure limits refuse (503):
		// they stand between an attacker and a password, and a login needs
		// the database anyway. The request limit lets requests through: it
		// guards capacity, not secrets, and refusing would turn a counting
		// hiccup into an outage of registration and refresh.
		accountFailures: limit("login_account", s.LoginAccountFailures, s.LoginAccountWindow, false),
		ipFailures:      limit("login_ip", s.LoginIPFailures, s.LoginIPWindow, false),
		ipRequests:      limit("requests", s.IPRequests, s.IPRequestWindow, true),
	}, nil
}

// Settings returns the effective settings, defaults filled in.
func (s *Service) Settings() Settings { return s.settings }

func (s *Service) now() time.Time { return s.settings.Now().UTC() }

// ValidatePassword checks a password against every rule of the contract,
// reporting field on failure.
func (s *Service) ValidatePassword(field, password string) error {
	return s.common.validatePassword(field, password)
}

// ValidatePassword checks a password against every rule of the contract
// without a Service, for configuration checks at start-up.
func ValidatePassword(field, password string) error {
	return loadCommonPasswords().validatePassword(field, password)
}

// RegisterInput is the body of POST /auth/register.
type RegisterInput struct {
	Username string
	Email    string
	Password string
	ClientIP string
}

// Register creates an account of role user.
func (s *Service) Register(ctx context.Context, in RegisterInput) (User, error) {
	if err := s.ipRequests.allow(ctx, ipKey(in.ClientIP)); err != nil {
		return User{}, err
	}
	n, err := s.newAccount(ctx, in.Username, in.Email, in.Password, RoleUser)
	if err != nil {
		return User{}, err
	}
	return insertUser(ctx, s.db, n)
}

// newAccount validates an account and hashes its password.
func (s *Service) newAccount(ctx context.Context, username, email, password string, role Role) (newUser, error) {
	if err := s.validateAccount(username, email, password); err != nil {
		return newUser{}, err
	}
	hash, err := s.hash(ctx, password)
	if err != nil {
		return newUser{}, err
	}
	return newUser{Username: username, Email: email, PasswordHash: hash, Role: role, CreatedAt: s.now()}, nil
}

func (s *Service) validateAccount(username, email, password string) error {
	if err := ValidateUsername("username", username); err != nil {
		return err
	}
	if err := ValidateEmail("email", email); err != nil {
		return err
	}
	return s.ValidatePassword("password", password)
}

// LoginInput is the body of POST /auth/login: exactly one of Username and
// Email is set.
type LoginInput struct {
	Username  string
	Email     string
	Password  string
	UserAgent string
	ClientIP  string
}

var errInvalidCredentials = apperr.New(apperr.CodeInvalidCredentials, "Invalid credentials")

// Login checks the credentials and opens a session. Each attempt takes a
// failure slot of its IP and account before the password is checked, and gives
// it back on success, so concurrent attempts cannot overrun the limits while
// their argon2id checks run.
func (s *Service) Login(ctx context.Context, in LoginInput) (LoginResult, error) {
	ip := ipKey(in.ClientIP)
	if err := s.ipRequests.allow(ctx, ip); err != nil {
		return LoginResult{}, err
	}
	if (in.Username == "") == (in.Email == "") {
		return LoginResult{}, apperr.Validation("login", "Provide exactly one of username or email")
	}
	if err := s.ipFailures.allow(ctx, ip); err != nil {
		return LoginResult{}, err
	}
	user, account, err := s.lockAccountSlot(ctx, in)
	if err != nil {
		s.ipFailures.undo(ctx, ip)
		return LoginResult{}, err
	}
	ok, err := s.checkPassword(ctx, in.Password, user, account.found)
	if err != nil {
		// The check never ran (the request ended while it waited for the
		// hash gate): not a failed attempt.
		s.ipFailures.undo(ctx, ip)
		s.accountFailures.undo(ctx, account.key)
		return LoginResult{}, err
	}
	if !ok {
		return LoginResult{}, errInvalidCredentials
	}
	s.ipFailures.undo(ctx, ip)
	s.accountFailures.reset(ctx, account.key)
	return s.openSession(ctx, user, in)
}

type loginAccount struct {
	key   string
	found bool
}

// lockAccountSlot finds the user and takes a failure slot of the account: the
// user's id, or the login name when no user has it.
func (s *Service) lockAccountSlot(ctx context.Context, in LoginInput) (User, loginAccount, error) {
	user, found, err := userByLogin(ctx, s.db, in.Username, in.Email)
	if err != nil {
		return User{}, loginAccount{}, err
	}
	account := loginAccount{key: "login:" + NormalizeEmail(in.Username+in.Email), found: found}
	if found {
		account.key = "user:" + user.ID.String()
	}
	return user, account, s.accountFailures.allow(ctx, account.key)
}

// checkPassword always runs one argon2id verification, against the dummy
// hash when there is no user, and fails for inactive users. Its error is only
// that the verification could not run (the request ended while it waited).
func (s *Service) checkPassword(ctx context.Context, password string, user User, found bool) (bool, error) {
	hash := s.dummyHash
	if found {
		hash = user.passwordHash
	}
	ok, err := s.verify(ctx, password, hash)
	return ok && found && user.IsActive, err
}

func (s *Service) openSession(ctx context.Context, user User, in LoginInput) (LoginResult, error) {
	token, hash, err := newToken()
	if err != nil {
		return LoginResult{}, err
	}
	now := s.now()
	res := LoginResult{SessionToken: token, ExpiresAt: now.Add(s.settings.SessionLifetime)}
	err = inTx(ctx, s.db, func(tx pgx.Tx) error {
		if res.User, err = stampLogin(ctx, tx, user, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1 AND (expires_at <= $2 OR last_activity_at < $3)`,
			user.ID, now, now.Add(-s.settings.SessionIdleTimeout)); err != nil {
			return fmt.Errorf("end idle sessions: %w", err)
		}
		if _, err := tx.Exec(ctx, `
			INSERT INTO sessions (user_id, token_hash, user_agent, client_ip, created_at, expires_at, last_activity_at)
			VALUES ($1, $2, $3, $4, $5, $6, $5)`,
			user.ID, hash[:], storable.Text(in.UserAgent, 512), storable.Text(in.ClientIP, 64), now, res.ExpiresAt); err != nil {
			return fmt.Errorf("create session: %w", err)
		}
		return nil
	})
	if errors.Is(err, errInvalidCredentials) {
		return LoginResult{}, err
	}
	if err != nil {
		return LoginResult{}, fmt.Errorf("login: %w", err)
	}
	return res, nil
}

// stampLogin records the login on the user's row, provided the row still
// has the password hash that was verified and is active. The password was
// checked against the row as read before argon2id ran: a reset, password
// change or deactivation committed since then has ended the sessions it
// meant to end, and a session opened after it would outlive it (a
// reactivation would bring it back). The row stays locked until the
// session is in, so such a change that comes later waits and ends it.
func stampLogin(ctx context.Context, tx pgx.Tx, user User, now time.Time) (User, error) {
	u, err := scanUser(tx.QueryRow(ctx, `UPDATE users SET last_login_at = $2
		WHERE id = $1 AND password_hash = $3 AND is_active RETURNING `+userColumns, user.ID, now, user.passwordHash))
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, errInvalidCredentials
	}
	return u, err
}

var errBadToken = apperr.Unauthorized("Invalid or expired session token")

// Authenticate resolves a bearer token to its caller. A resolved token is
// served from memory for CacheTTL; last_activity_at is written at most once
// per ActivityInterval per session.
func (s *Service) Authenticate(ctx context.Context, token string) (Principal, error) {
	if !wellFormedToken(token) {
		return Principal{}, errBadToken
	}
	hash := hashToken(token)
	now := s.now()
	p, ok := s.cache.get(hash, now)
	if !ok {
		epoch := s.cache.epoch()
		var err error
		if p, err = s.loadPrincipal(ctx, hash); err != nil {
			return Principal{}, err
		}
		s.cache.put(epoch, p, now)
	}
	if !now.Before(p.expiresAt) || p.lastActivity.Before(now.Add(-s.settings.SessionIdleTimeout)) {
		s.cache.invalidateToken(hash)
		return Principal{}, errBadToken
	}
	if now.Sub(p.lastActivity) >= s.settings.ActivityInterval {
		if err := s.touch(ctx, p, now); err != nil {
			return Principal{}, err
		}
		p.lastActivity = now
	}
	return p, nil
}

func (s *Service) loadPrincipal(ctx context.Context, hash TokenHash) (Principal, error) {
	p := Principal{tokenHash: hash}
	var active bool
	err := s.db.QueryRow(ctx, `
		SELECT s.id, s.expires_at, s.last_activity_at, u.id, u.username, u.email, u.role, u.is_active
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = $1`, hash[:]).
		Scan(&p.SessionID, &p.expiresAt, &p.lastActivity, &p.UserID, &p.Username, &p.Email, &p.Role, &active)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && !active) {
		return Principal{}, errBadToken
	}
	if err != nil {
		return Principal{}, fmt.Errorf("authenticate: %w", err)
	}
	return p, nil
}

func (s *Service) touch(ctx context.Context, p Principal, now time.Time) error {
	if _, err := s.db.Exec(ctx, `UPDATE sessions SET last_activity_at = $2 WHERE id = $1`, p.SessionID, now); err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	s.cache.touched(p.tokenHash, now)
	return nil
}

// Logout ends the caller's session.
func (s *Service) Logout(ctx context.Context, p Principal) error {
	s.cache.invalidateToken(p.tokenHash)
	if _, err := s.db.Exec(ctx, `DELETE FROM sessions WHERE id = $1`, p.SessionID); err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	s.cache.invalidateToken(p.tokenHash)
	return nil
}

// LogoutAll ends every session of the caller and returns how many ended.
func (s *Service) LogoutAll(ctx context.Context, p Principal) (int64, error) {
	n, err := deleteSessions(ctx, s.db, p.UserID)
	s.cache.invalidateUser(p.UserID)
	return n, err
}

// Refresh extends the caller's session by SessionLifetime, at most once per
// RefreshInterval.
func (s *Service) Refresh(ctx context.Context, p Principal, clientIP string) (RefreshResult, error) {
	if err := s.ipRequests.allow(ctx, ipKey(clientIP)); err != nil {
		return RefreshResult{}, err
	}
	now := s.now()
	res := RefreshResult{ExpiresAt: now.Add(s.settings.SessionLifetime), RefreshedAt: now}
	err := inTx(ctx, s.db, func(tx pgx.Tx) error {
		var last *time.Time
		err := tx.QueryRow(ctx, `SELECT refreshed_at FROM sessions WHERE id = $1 FOR UPDATE`, p.SessionID).Scan(&last)
		if errors.Is(err, pgx.ErrNoRows) {
			return errBadToken
		}
		if err != nil {
			return fmt.Errorf("refresh: %w", err)
		}
		if last != nil && now.Sub(*last) < s.settings.RefreshInterval {
			return s.refreshTooSoon(last.Add(s.settings.RefreshInterval).Sub(now))
		}
		_, err = tx.Exec(ctx, `UPDATE sessions SET expires_at = $2, refreshed_at = $3 WHERE id = $1`,
			p.SessionID, res.ExpiresAt, res.RefreshedAt)
		return err
	})
	s.cache.invalidateToken(p.tokenHash)
	if err != nil {
		return RefreshResult{}, err
	}
	return res, nil
}

func (s *Service) refreshTooSoon(wait time.Duration) error {
	secs := (wait + time.Second - 1) / time.Second
	e := apperr.Conflict(fmt.Sprintf("Cannot refresh token yet. Try again in %d seconds", secs))
	e.RetryAfter = secs * time.Second
	return e
}
