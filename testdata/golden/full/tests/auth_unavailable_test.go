package tests

import (
	"net/http"
	"testing"

	"example.com/demo/internal/apptest"
	"example.com/demo/internal/auth"
)

// With the database gone in the middle of a session, the routes of a signed-in
// user answer 503 SERVICE_UNAVAILABLE with Retry-After, never a 500, whether
// or not the token was checked recently.
func TestAccountRoutesAnswer503WhileTheDatabaseIsAway(t *testing.T) {
	t.Parallel()
	app := newApp(t, apptest.WithDBProxy())
	seen := app.CreateAuthUser(auth.RoleUser)
	wantStatus(t, app.GetAuth("/api/v1/users/me/profile", seen.Token), http.StatusOK)
	unseen := app.CreateAuthUser(auth.RoleModerator)
	app.Proxy.Cut()
	for _, tc := range []struct {
		name, path, token string
	}{
		{"profile, token checked before", "/api/v1/users/me/profile", seen.Token},
		{"me, token never checked", "/api/v1/auth/me", unseen.Token},
		{"user list", "/api/v1/users", unseen.Token},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := app.GetAuth(tc.path, tc.token)
			wantError(t, r, http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE")
			if r.Header.Get("Retry-After") == "" {
				t.Fatal("503 without Retry-After")
			}
		})
	}
}
