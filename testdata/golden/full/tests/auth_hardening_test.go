package tests

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"example.com/demo/internal/app"
	"example.com/demo/internal/apptest"
	"example.com/demo/internal/auth"
	"example.com/demo/internal/config"
)

// withHashCostOf gives the service the argon2id costs env has by default.
func withHashCostOf(env string) apptest.Option {
	return apptest.WithConfig(func(c *config.Config) {
		d := config.Defaults(env).Auth
		c.Auth.HashMemoryKiB, c.Auth.HashIterations, c.Auth.HashParallelism = d.HashMemoryKiB, d.HashIterations, d.HashParallelism
	})
}

// Refreshing a session refreshes what the token cache knows of it: after
// the old expiry, while the entry cached before the refresh would still be
// served, the token is accepted.
func TestAuthRefreshRefreshesCache(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	app := apptest.New(t, withClock(clock), apptest.WithConfig(func(c *config.Config) { c.Auth.CacheTTL = time.Minute }))
	u := app.CreateUser(apptest.UserOptions{})
	tok := app.Login(u.Username, u.Password)
	clock.Advance(24*time.Hour - 10*time.Second)
	wantStatus(t, app.GetAuth("/api/v1/auth/me", tok), http.StatusOK) // cached with the old expiry
	wantStatus(t, app.PostJSONAuth("/api/v1/auth/refresh", tok, nil), http.StatusOK)
	clock.Advance(20 * time.Second) // past the old expiry, 20 s into a 1 min cache lifetime
	wantStatus(t, app.GetAuth("/api/v1/auth/me", tok), http.StatusOK)
}

// Per-address limits count an IPv6 client by its /64: hopping addresses
// inside it does not escape the limit, another /64 is another client.
func TestAuthRateLimitKeysIPv6By64(t *testing.T) {
	t.Parallel()
	app := apptest.New(t, apptest.WithConfig(func(c *config.Config) {
		c.Auth.IPRequests = 2
		c.TrustedProxies = []string{"127.0.0.1"}
	}))
	wantStatus(t, registerFrom(app, "2001:db8:1:2::1", "six1"), http.StatusCreated)
	wantStatus(t, registerFrom(app, "2001:db8:1:2:ffff:ffff:ffff:fffe", "six2"), http.StatusCreated)
	wantError(t, registerFrom(app, "2001:db8:1:2:abcd::9", "six3"), http.StatusTooManyRequests, "RATE_LIMITED")
	wantStatus(t, registerFrom(app, "2001:db8:1:3::1", "six4"), http.StatusCreated)
	// IPv4 keeps one key per address.
	wantStatus(t, registerFrom(app, "198.51.100.1", "four1"), http.StatusCreated)
	wantStatus(t, registerFrom(app, "198.51.100.2", "four2"), http.StatusCreated)
}

// A User-Agent header may carry bytes 0x80–0xFF, which are not UTF-8: login
// stores a sanitised copy instead of failing in PostgreSQL.
func TestAuthLoginSanitisesUserAgentHeader(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	u := app.CreateUser(apptest.UserOptions{})
	for _, ua := range []string{"Mozilla/5.0 (\x80\xfe\xff)", "caf\xe9/1.0", strings.Repeat("\xff", 600)} {
		req := app.NewRequest(http.MethodPost, "/api/v1/auth/login",
			strings.NewReader(fmt.Sprintf(`{"username":%q,"password":%q}`, u.Username, u.Password)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", ua)
		r := app.Do(req)
		wantStatus(t, r, http.StatusOK)
		var d loginData
		r.Data(t, &d)
		var stored string
		if err := app.DB.QueryRow(context.Background(), `SELECT user_agent FROM sessions WHERE token_hash = $1`,
			tokenHash(d.SessionToken)).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if !utf8.ValidString(stored) || len(stored) > 512 || !strings.HasPrefix(stored, strings.ToValidUTF8(ua, "\ufffd")[:3]) {
			t.Fatalf("User-Agent %q stored as %q", ua, stored)
		}
	}
}

// POST /users reads the caller's role from the database: an admin demoted
// by another instance (the cache here still says admin) creates nobody.
func TestUsersCreateRereadsCallerRole(t *testing.T) {
	t.Parallel()
	app := apptest.New(t, apptest.WithConfig(func(c *config.Config) { c.Auth.CacheTTL = time.Hour }))
	admin := app.CreateAuthUser(auth.RoleAdmin)
	app.CreateAuthUser(auth.RoleAdmin) // the demotion must not remove the last admin
	var me struct{ Role string }
	app.GetAuth("/api/v1/auth/me", admin.Token).Data(t, &me)
	if me.Role != "admin" {
		t.Fatalf("role = %q", me.Role)
	}
	if _, err := app.DB.Exec(context.Background(), `UPDATE users SET role = 'user' WHERE id = $1`, admin.ID); err != nil {
		t.Fatal(err)
	}
	body := map[string]any{"username": "made_by_stale", "email": "stale@example.com", "password": strongPassword, "role": "admin"}
	wantError(t, app.PostJSONAuth("/api/v1/users", admin.Token, body), http.StatusForbidden, "FORBIDDEN")
	var n int
	if err := app.DB.QueryRow(context.Background(), `SELECT count(*) FROM users WHERE username = 'made_by_stale'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d accounts created by a demoted admin (%v)", n, err)
	}
}

// A username or email of the initial admin that someone registered first
// does not stop the service from starting: it warns, creates no admin, and
// leaves that account as it is.
func TestAuthInitialAdminNameTakenDoesNotBlockStartup(t *testing.T) {
	t.Parallel()
	for _, taken := range []apptest.UserOptions{
		{Username: "admin", Email: "squatter@example.com"},
		{Username: "squatter", Email: "admin@example.com"},
	} {
		ta := apptest.New(t)
		squatter := ta.CreateUser(taken)
		cfg := *ta.Config
		cfg.InitialAdmin.Password = "Init1al-Admin!"
		var logs syncLog
		a, err := app.New(context.Background(), &cfg, app.NewLogger(&logs, "info"))
		if err != nil {
			t.Fatalf("%s/%s taken: start-up failed: %v", taken.Username, taken.Email, err)
		}
		a.Close()
		if !strings.Contains(logs.String(), "initial admin not created") {
			t.Fatalf("no warning logged:\n%s", logs.String())
		}
		var admins int
		var role string
		if err := ta.DB.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM users WHERE role = 'admin'),
			(SELECT role FROM users WHERE id = $1)`, squatter.ID).Scan(&admins, &role); err != nil {
			t.Fatal(err)
		}
		if admins != 0 || role != "user" {
			t.Fatalf("%d admins, squatter's role %q; want none and user", admins, role)
		}
	}
}

// X-Forwarded-For from a peer that is not a trusted proxy is ignored, and
// the first such request is logged with how to configure trusted proxies.
func TestAuthForwardedForFromUntrustedPeerLoggedOnce(t *testing.T) {
	t.Parallel()
	const warning = "list its address or CIDR in trusted_proxies"
	untrusted := apptest.New(t)
	wantStatus(t, register(untrusted, "plain1", "plain1@example.com", strongPassword), http.StatusCreated)
	if strings.Contains(untrusted.Logs(), warning) {
		t.Fatal("warned about a request without X-Forwarded-For")
	}
	for i := range 3 {
		wantStatus(t, registerFrom(untrusted, "203.0.113.9", fmt.Sprintf("fwd_%d", i)), http.StatusCreated)
	}
	if n := strings.Count(untrusted.Logs(), warning); n != 1 {
		t.Fatalf("the untrusted X-Forwarded-For warning was logged %d times, want once:\n%s", n, untrusted.Logs())
	}
	trusted := apptest.New(t, apptest.WithConfig(func(c *config.Config) { c.TrustedProxies = []string{"127.0.0.0/8"} }))
	wantStatus(t, registerFrom(trusted, "203.0.113.9", "fwd_trusted"), http.StatusCreated)
	if strings.Contains(trusted.Logs(), warning) {
		t.Fatal("warned about a trusted proxy")
	}
}

// Passwords are hashed at the production cost, m=19456 KiB, t=2, p=1, in
// every environment but test, whose cost is next to nothing so that the
// suite does not spend its time hashing.
func TestAuthPasswordHashCostPerEnvironment(t *testing.T) {
	t.Parallel()
	svc, err := auth.NewService(nil, auth.Settings{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p := svc.Settings().Hash; p != (auth.HashParams{MemoryKiB: 19456, Iterations: 2, Parallelism: 1}) {
		t.Fatalf("auth.Settings defaults to %+v, want the production cost", p)
	}
	tests := []struct{ env, phc string }{
		{config.EnvProduction, "$argon2id$v=19$m=19456,t=2,p=1$"},
		{config.EnvDevelopment, "$argon2id$v=19$m=19456,t=2,p=1$"},
		{config.EnvTest, "$argon2id$v=19$m=64,t=1,p=1$"},
	}
	for _, tt := range tests {
		app := apptest.New(t, withHashCostOf(tt.env))
		wantStatus(t, register(app, "cost_"+tt.env, tt.env+"@example.com", strongPassword), http.StatusCreated)
		var phc string
		if err := app.DB.QueryRow(context.Background(), `SELECT password_hash FROM users WHERE username = $1`, "cost_"+tt.env).Scan(&phc); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(phc, tt.phc) {
			t.Fatalf("%s: stored hash %q, want the parameters %s", tt.env, phc, tt.phc)
		}
	}
}

// syncLog keeps what a service logs, for tests that start one by hand.
type syncLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
