package tests

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/starter-go/starter/templates/project/internal/apptest"
	"github.com/starter-go/starter/templates/project/internal/auth"
	"github.com/starter-go/starter/templates/project/internal/config"
)

// revocationBound is how soon every instance must honour a revocation.
const revocationBound = time.Second

// longCache keeps resolved tokens in memory far longer than any test runs,
// so that only a revocation notification can explain a token refused by an
// instance that cached it.
func longCache() apptest.Option {
	return apptest.WithConfig(func(c *config.Config) { c.Auth.CacheTTL = time.Hour })
}

// fastRevocations makes the revocation listener's heartbeat (the poller's
// interval) 50ms, and so the token cache's lease after each 150ms, for the
// tests that wait for a heartbeat or a poll to see something else: those
// that hold the lease to the bound keep the default, the one that ships.
func fastRevocations() apptest.Option {
	return apptest.WithConfig(func(c *config.Config) { c.Auth.RevocationHeartbeat = 50 * time.Millisecond })
}

// revocationsCheck is the message of an instance's revocation listener check,
// or "down: …" when it fails.
func revocationsCheck(t *testing.T, app *apptest.TestApp) string {
	t.Helper()
	var data probeData
	r := app.Get("/api/v1/health/detailed")
	if err := json.Unmarshal(r.Envelope(t).Data, &data); err != nil {
		t.Fatalf("health: %v: %s", err, r.Body)
	}
	c := data.Checks["revocations"]
	if c.Status != "healthy" {
		return "down: " + c.Message
	}
	return c.Message
}

// waitListening waits until every app's revocation listener listens, or
// polls behind a transaction pooler (its cache works only then, which is
// what the tests need to defeat).
func waitListening(t *testing.T, apps ...*apptest.TestApp) {
	t.Helper()
	for _, app := range apps {
		eventually(t, 20*time.Second, "instance listening for revocations", func() bool {
			msg := revocationsCheck(t, app)
			return msg == "Listening for revocations" || strings.HasPrefix(msg, "Polling for revocations every ")
		})
	}
}

func me(t *testing.T, app *apptest.TestApp, token string) (status int, role string) {
	t.Helper()
	r := app.GetAuth("/api/v1/auth/me", token)
	var data struct{ Role string }
	if r.Status == http.StatusOK {
		r.Data(t, &data)
	}
	return r.Status, data.Role
}

// Failed logins count on every instance: three on A and two on B lock the
// account on C, and the per-address request limit adds up the same way.
func TestClusterRateLimitsAddUp(t *testing.T) {
	t.Parallel()
	apps := apptest.NewCluster(t, 3, apptest.WithConfig(func(c *config.Config) { c.Auth.IPRequests = 20 }))
	a, b, c := apps[0], apps[1], apps[2]
	u := a.CreateUser(apptest.UserOptions{})
	wrong := map[string]any{"username": u.Username, "password": "Wrong7horse!"}
	for _, app := range []*apptest.TestApp{a, a, a, b, b} {
		wantError(t, login(app, wrong), http.StatusUnauthorized, "INVALID_CREDENTIALS")
	}
	r := login(c, map[string]any{"username": u.Username, "password": u.Password})
	wantError(t, r, http.StatusTooManyRequests, "RATE_LIMITED")
	if r.Header.Get("Retry-After") == "" {
		t.Fatal("RATE_LIMITED without Retry-After")
	}
	// The 6 logins above and 14 requests spread over the three instances
	// make the 20 this address may send a minute; the next is refused.
	for i := range 14 {
		both := map[string]any{"username": "nobody", "email": "nobody@example.com", "password": "x"}
		wantError(t, login(apps[i%3], both), http.StatusBadRequest, "VALIDATION_FAILED")
	}
	wantError(t, register(b, "late_user", "late@example.com", strongPassword), http.StatusTooManyRequests, "RATE_LIMITED")
}

// Every change that ends a session or changes what a token resolves to,
// made on instance A, is seen by instance B within a second, although B
// cached the token for an hour.
func TestClusterRevocationsReachEveryInstance(t *testing.T) {
	t.Parallel()
	apps := apptest.NewCluster(t, 2, longCache())
	a, b := apps[0], apps[1]
	waitListening(t, a, b)
	admin := a.CreateAuthUser(auth.RoleAdmin)
	for _, tc := range []struct {
		name string
		// change revokes (or changes) the session of u whose token is
		// cached on B; other is a second session of u.
		change   func(u apptest.AuthUser, other string) *apptest.Response
		wantRole string // "": the token must be refused; else its new role
	}{
		{"logout", func(u apptest.AuthUser, _ string) *apptest.Response {
			return a.PostJSONAuth("/api/v1/auth/logout", u.Token, nil)
		}, ""},
		{"logout-all", func(u apptest.AuthUser, other string) *apptest.Response {
			return a.PostJSONAuth("/api/v1/auth/logout-all", other, nil)
		}, ""},
		{"password change", func(u apptest.AuthUser, other string) *apptest.Response {
			return a.PutJSONAuth("/api/v1/users/me/password", other,
				map[string]any{"current_password": u.Password, "new_password": "An0ther-Passw0rd!"})
		}, ""},
		{"password reset", func(u apptest.AuthUser, _ string) *apptest.Response {
			return a.PostJSONAuth("/api/v1/users/"+u.ID.String()+"/reset-password", admin.Token,
				map[string]any{"new_password": "An0ther-Passw0rd!"})
		}, ""},
		{"deactivation", func(u apptest.AuthUser, _ string) *apptest.Response {
			return a.PutJSONAuth("/api/v1/users/"+u.ID.String()+"/status", admin.Token, map[string]any{"is_active": false})
		}, ""},
		{"deletion", func(u apptest.AuthUser, _ string) *apptest.Response {
			return a.DeleteAuth("/api/v1/users/"+u.ID.String(), admin.Token)
		}, ""},
		{"hard deletion", func(u apptest.AuthUser, _ string) *apptest.Response {
			return a.DeleteJSONAuth("/api/v1/users/"+u.ID.String(), admin.Token, map[string]any{"hard_delete": true})
		}, ""},
		{"own deletion", func(u apptest.AuthUser, other string) *apptest.Response {
			return a.DeleteJSONAuth("/api/v1/users/me", other, map[string]any{"password": u.Password, "confirmation": "DELETE"})
		}, ""},
		{"role change", func(u apptest.AuthUser, _ string) *apptest.Response {
			return a.PutJSONAuth("/api/v1/users/"+u.ID.String()+"/role", admin.Token, map[string]any{"role": "moderator"})
		}, "moderator"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := a.CreateAuthUser(auth.RoleUser)
			other := a.NewSession(u.ID)
			if status, _ := me(t, b, u.Token); status != http.StatusOK {
				t.Fatalf("B before the change: %d", status)
			}
			if r := tc.change(u, other); r.Status != http.StatusOK {
				t.Fatalf("change on A: %d %s", r.Status, r.Body)
			}
			eventually(t, revocationBound, "B honours the change made on A", func() bool {
				status, role := me(t, b, u.Token)
				if tc.wantRole == "" {
					return status == http.StatusUnauthorized
				}
				return status == http.StatusOK && role == tc.wantRole
			})
		})
	}
}

// A change rolled back publishes nothing: the notification is sent by a
// trigger in the transaction of the change. Notifications arrive in commit
// order, so the first one a listener hears after a rolled-back logout and a
// committed role change is the role change's.
func TestClusterRolledBackChangePublishesNothing(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, app.DirectDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "LISTEN "+auth.RevocationChannel); err != nil {
		t.Fatal(err)
	}
	u, v := app.CreateAuthUser(auth.RoleUser), app.CreateUser(apptest.UserOptions{})
	tx, err := app.DB.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, u.ID); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, app.PutJSONAuth("/api/v1/users/"+v.ID.String()+"/role", app.CreateAuthUser(auth.RoleAdmin).Token,
		map[string]any{"role": "moderator"}), http.StatusOK)
	waitCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	n, err := conn.WaitForNotification(waitCtx)
	if err != nil {
		t.Fatal(err)
	}
	if n.Payload != v.ID.String() {
		t.Fatalf("first notification names %s, want the role change's %s (the rolled-back logout's is %s)", n.Payload, v.ID, u.ID)
	}
}

// While B's listener is cut off, B reads every token from the database (a
// revocation it cannot hear is honoured at once), and when the listener is
// back, what B cached before is gone: it may have been revoked meanwhile.
func TestClusterCacheBypassedWhileListenerDown(t *testing.T) {
	t.Parallel()
	apps := apptest.NewCluster(t, 2, longCache(), apptest.WithListenerProxy())
	a, b := apps[0], apps[1]
	waitListening(t, a, b)
	u := a.CreateAuthUser(auth.RoleUser)
	later := a.NewSession(u.ID)
	if status, _ := me(t, b, u.Token); status != http.StatusOK {
		t.Fatalf("B before the cut: %d", status)
	}
	b.ListenerProxy.Cut()
	eventually(t, 20*time.Second, "B reports its listener down", func() bool {
		return strings.HasPrefix(revocationsCheck(t, b), "down: ")
	})
	wantStatus(t, a.PostJSONAuth("/api/v1/auth/logout", u.Token, nil), http.StatusOK)
	if status, _ := me(t, b, u.Token); status != http.StatusUnauthorized {
		t.Fatalf("B with its listener down served a revoked token: %d", status)
	}
	// Cached while down? It must not be: B cannot hear its revocation.
	if status, _ := me(t, b, later); status != http.StatusOK {
		t.Fatalf("B refused a live token: %d", status)
	}
	if _, err := a.DB.Exec(context.Background(), `ALTER TABLE sessions DISABLE TRIGGER sessions_notify_gone`); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, a.PostJSONAuth("/api/v1/auth/logout", later, nil), http.StatusOK)
	if _, err := a.DB.Exec(context.Background(), `ALTER TABLE sessions ENABLE TRIGGER sessions_notify_gone`); err != nil {
		t.Fatal(err)
	}
	if status, _ := me(t, b, later); status != http.StatusUnauthorized {
		t.Fatalf("B cached a token while its listener was down: %d", status)
	}
	b.ListenerProxy.Restore()
	waitListening(t, b)
	// Back: the revocation B missed is honoured, and B hears new ones.
	if status, _ := me(t, b, u.Token); status != http.StatusUnauthorized {
		t.Fatalf("B served, after its listener came back, a token revoked while it was down: %d", status)
	}
	v := a.CreateAuthUser(auth.RoleUser)
	if status, _ := me(t, b, v.Token); status != http.StatusOK {
		t.Fatalf("B after the listener came back: %d", status)
	}
	wantStatus(t, a.PostJSONAuth("/api/v1/auth/logout", v.Token, nil), http.StatusOK)
	eventually(t, revocationBound, "B honours a logout on A after its listener came back", func() bool {
		status, _ := me(t, b, v.Token)
		return status == http.StatusUnauthorized
	})
}

// A listener whose connection hangs without an error (no notification, no
// heartbeat answer) stops vouching for the cache within the bound, so a
// revocation it cannot hear is still honoured in time.
func TestClusterCacheBypassedWhileListenerHangs(t *testing.T) {
	t.Parallel()
	apps := apptest.NewCluster(t, 2, longCache(), apptest.WithListenerProxy())
	a, b := apps[0], apps[1]
	waitListening(t, a, b)
	u := a.CreateAuthUser(auth.RoleUser)
	if status, _ := me(t, b, u.Token); status != http.StatusOK {
		t.Fatalf("B before the stall: %d", status)
	}
	b.ListenerProxy.Stall()
	wantStatus(t, a.PostJSONAuth("/api/v1/auth/logout", u.Token, nil), http.StatusOK)
	eventually(t, revocationBound, "B honours a logout it cannot hear", func() bool {
		status, _ := me(t, b, u.Token)
		return status == http.StatusUnauthorized
	})
}

// The session clean-up runs on one instance per interval, whichever starts
// first; the others skip it.
func TestClusterCleanupRunsOnce(t *testing.T) {
	t.Parallel()
	apps := apptest.NewCluster(t, 3)
	ran, skipped := `"msg":"session clean-up ran"`, `"msg":"session clean-up skipped`
	for _, app := range apps {
		eventually(t, 20*time.Second, "every instance tried the clean-up", func() bool {
			logs := app.Logs()
			return strings.Contains(logs, ran) || strings.Contains(logs, skipped)
		})
	}
	runs := 0
	for _, app := range apps {
		runs += strings.Count(app.Logs(), ran)
	}
	if runs != 1 {
		t.Fatalf("the clean-up ran %d times on 3 instances started together, want once", runs)
	}
}

// Instances started together create the initial admin once: one creates
// it, the others find it there (no warning about a name taken).
func TestClusterInitialAdminCreatedOnce(t *testing.T) {
	t.Parallel()
	apps := apptest.NewCluster(t, 3, apptest.WithConfig(func(c *config.Config) {
		c.InitialAdmin.Password = "Init1al-Admin!"
	}))
	var admins int
	if err := apps[0].DB.QueryRow(context.Background(), `SELECT count(*) FROM users WHERE role = 'admin'`).Scan(&admins); err != nil {
		t.Fatal(err)
	}
	created := 0
	for i, app := range apps {
		logs := app.Logs()
		created += strings.Count(logs, `"msg":"initial admin created"`)
		if strings.Contains(logs, "initial admin not created") {
			t.Errorf("instance %d raced another for the initial admin: %s", i, logs)
		}
	}
	if admins != 1 || created != 1 {
		t.Fatalf("%d admins, %d instances created one; want 1 and 1", admins, created)
	}
}
