package config

import "time"

// Auth configures sessions, rate limits and password hashing (the `auth`
// feature). Environment variables are AUTH_<FIELD>, e.g. AUTH_SESSION_LIFETIME.
type Auth struct {
	// SessionLifetime is how long a session lasts after login or refresh (default 24h).
	SessionLifetime time.Duration `mapstructure:"session_lifetime"`
	// SessionIdleTimeout ends sessions unused for longer (default 720h, 30 days).
	SessionIdleTimeout time.Duration `mapstructure:"session_idle_timeout"`
	// RefreshInterval is the minimum time between two refreshes of a session (default 5m).
	RefreshInterval time.Duration `mapstructure:"refresh_interval"`
	// ActivityInterval throttles writes of a session's last activity (default 1m).
	ActivityInterval time.Duration `mapstructure:"activity_interval"`
	// CacheTTL is how long a resolved token is served from memory; revocations in
	// this process apply at once, on other instances within a second through
	// PostgreSQL notifications (default 5s; 0 disables the cache).
	CacheTTL time.Duration `mapstructure:"cache_ttl"`
	// CleanupInterval is the period of the removal of expired sessions, done by one
	// instance of those sharing the database (default 10m).
	CleanupInterval time.Duration `mapstructure:"cleanup_interval"`
	// LoginAccountFailures failed logins of one account within LoginAccountWindow
	// lock its logins for the rest of the window (defaults 5 and 15m).
	LoginAccountFailures int           `mapstructure:"login_account_failures"`
	LoginAccountWindow   time.Duration `mapstructure:"login_account_window"`
	// LoginIPFailures failed logins from one client IP within LoginIPWindow block
	// that IP's logins for the rest of the window (defaults 50 and 15m).
	LoginIPFailures int           `mapstructure:"login_ip_failures"`
	LoginIPWindow   time.Duration `mapstructure:"login_ip_window"`
	// IPRequests login, register and refresh requests are allowed from one
	// client IP per IPRequestWindow (defaults 600 and 1m).
	IPRequests      int           `mapstructure:"ip_requests"`
	IPRequestWindow time.Duration `mapstructure:"ip_request_window"`
	// HashMemoryKiB, HashIterations and HashParallelism are the argon2id costs
	// of new password hashes: 19456, 2, 1 by default in development and
	// production; 64, 1, 1 in test, where the suite hashes thousands of
	// passwords and the cost would be most of its CPU time. Hashes already
	// stored keep the costs written in them.
	HashMemoryKiB   int `mapstructure:"hash_memory_kib"`
	HashIterations  int `mapstructure:"hash_iterations"`
	HashParallelism int `mapstructure:"hash_parallelism"`
	// HashConcurrency is how many hashes and verifications run at once; the
	// rest wait. Hashing memory stays under HashConcurrency × HashMemoryKiB
	// (default 0: GOMAXPROCS).
	HashConcurrency int `mapstructure:"hash_concurrency"`
	// Now is the clock of the auth service; tests set it to move time
	// (default time.Now). It is not a setting of any file or variable.
	Now func() time.Time `mapstructure:"-"`
	// RevocationHeartbeat is how often the revocation listener (or poller)
	// checks its connection; revocations reach the other instances within
	// three (default 0: the auth service's, 250ms, which keeps them under
	// the API's second). Tests shorten it; it is not a setting of any file
	// or variable.
	RevocationHeartbeat time.Duration `mapstructure:"-"`
}

// InitialAdmin is the admin account created at start-up when none exists.
// Environment variables are INITIAL_ADMIN_<FIELD>.
type InitialAdmin struct {
	// Username of the account (default admin).
	Username string `mapstructure:"username"`
	// Email of the account (default admin@example.com).
	Email string `mapstructure:"email"`
	// Password, which must pass the password rules (default empty: no initial admin).
	Password string `mapstructure:"password"`
}

// The argon2id costs of new password hashes: OWASP's recommendation, the
// auth service's own defaults (internal/app checks that they agree); in the
// test environment next to nothing, as no password of a test needs protecting.
const (
	hashMemoryKiB       = 19456
	hashIterations      = 2
	hashParallelism     = 1
	testHashMemoryKiB   = 64
	testHashIterations  = 1
	testHashParallelism = 1
)

func authDefaults(env string) Auth {
	a := Auth{
		SessionLifetime:      24 * time.Hour,
		SessionIdleTimeout:   30 * 24 * time.Hour,
		RefreshInterval:      5 * time.Minute,
		ActivityInterval:     time.Minute,
		CacheTTL:             5 * time.Second,
		CleanupInterval:      10 * time.Minute,
		LoginAccountFailures: 5,
		LoginAccountWindow:   15 * time.Minute,
		LoginIPFailures:      50,
		LoginIPWindow:        15 * time.Minute,
		IPRequests:           600,
		IPRequestWindow:      time.Minute,
		HashMemoryKiB:        hashMemoryKiB,
		HashIterations:       hashIterations,
		HashParallelism:      hashParallelism,
	}
	if env == EnvTest {
		a.HashMemoryKiB, a.HashIterations, a.HashParallelism = testHashMemoryKiB, testHashIterations, testHashParallelism
	}
	return a
}

func initialAdminDefaults() InitialAdmin {
	return InitialAdmin{Username: "admin", Email: "admin@example.com"}
}

func (a *Auth) validate() error {
	positive := []struct {
		key string
		d   time.Duration
	}{
		{"auth.session_lifetime", a.SessionLifetime}, {"auth.session_idle_timeout", a.SessionIdleTimeout},
		{"auth.refresh_interval", a.RefreshInterval}, {"auth.activity_interval", a.ActivityInterval},
		{"auth.cleanup_interval", a.CleanupInterval}, {"auth.login_account_window", a.LoginAccountWindow},
		{"auth.login_ip_window", a.LoginIPWindow}, {"auth.ip_request_window", a.IPRequestWindow},
	}
	for _, p := range positive {
		if p.d <= 0 {
			return Invalid(p.key, "must be positive", p.d)
		}
	}
	switch {
	case a.CacheTTL < 0:
		return Invalid("auth.cache_ttl", "must not be negative", a.CacheTTL)
	case a.LoginAccountFailures < 1:
		return Invalid("auth.login_account_failures", "must be at least 1", a.LoginAccountFailures)
	case a.LoginIPFailures < 1:
		return Invalid("auth.login_ip_failures", "must be at least 1", a.LoginIPFailures)
	case a.IPRequests < 1:
		return Invalid("auth.ip_requests", "must be at least 1", a.IPRequests)
	case a.HashMemoryKiB < 8*a.HashParallelism || a.HashMemoryKiB > 4<<20:
		return Invalid("auth.hash_memory_kib", "must be 8×parallelism–4194304", a.HashMemoryKiB)
	case a.HashIterations < 1 || a.HashIterations > 64:
		return Invalid("auth.hash_iterations", "must be 1–64", a.HashIterations)
	case a.HashParallelism < 1 || a.HashParallelism > 255:
		return Invalid("auth.hash_parallelism", "must be 1–255", a.HashParallelism)
	case a.HashConcurrency < 0:
		return Invalid("auth.hash_concurrency", "must not be negative (0 means GOMAXPROCS)", a.HashConcurrency)
	}
	return nil
}
