package tests

import (
	"net/http"
	"testing"

	"example.com/demo/internal/apptest"
	"example.com/demo/internal/auth"
)

// Each request of the auth feature, and so each of its queries (role
// changes lock two users by a uuid[]), succeeds in every query exec mode.
func TestExecModesAuth(t *testing.T) {
	t.Parallel()
	forEachExecMode(t, func(t *testing.T, app *apptest.TestApp) {
		admin := app.CreateAuthUser(auth.RoleAdmin)
		mod := app.CreateAuthUser(auth.RoleModerator)
		wantStatus(t, register(app, "modes_user", "modes@example.com", strongPassword), http.StatusCreated)
		var session struct {
			Token string `json:"session_token"`
		}
		r := login(app, map[string]any{"username": "modes_user", "password": strongPassword})
		wantStatus(t, r, http.StatusOK)
		r.Data(t, &session)
		tok := session.Token
		var me struct{ ID string }
		app.GetAuth("/api/v1/auth/me", tok).Data(t, &me)
		for _, step := range []struct {
			name string
			do   func() *apptest.Response
		}{
			{"me again, from the cache", func() *apptest.Response { return app.GetAuth("/api/v1/auth/me", tok) }},
			{"refresh", func() *apptest.Response { return app.PostJSONAuth("/api/v1/auth/refresh", tok, nil) }},
			{"own profile", func() *apptest.Response {
				return app.PutJSONAuth("/api/v1/users/me/profile", tok, map[string]any{"username": "modes_renamed"})
			}},
			{"list users", func() *apptest.Response {
				return app.GetAuth("/api/v1/users?include_inactive=true&limit=5&offset=0", mod.Token)
			}},
			{"get user", func() *apptest.Response { return app.GetAuth("/api/v1/users/"+me.ID, mod.Token) }},
			{"role change", func() *apptest.Response {
				return app.PutJSONAuth("/api/v1/users/"+me.ID+"/role", admin.Token, map[string]any{"role": "moderator"})
			}},
			{"deactivation", func() *apptest.Response {
				return app.PutJSONAuth("/api/v1/users/"+me.ID+"/status", admin.Token, map[string]any{"is_active": false})
			}},
			{"reactivation", func() *apptest.Response {
				return app.PutJSONAuth("/api/v1/users/"+me.ID+"/status", admin.Token, map[string]any{"is_active": true})
			}},
			{"password reset", func() *apptest.Response {
				return app.PostJSONAuth("/api/v1/users/"+me.ID+"/reset-password", admin.Token,
					map[string]any{"new_password": "An0ther-Passw0rd!"})
			}},
			{"user stats", func() *apptest.Response { return app.GetAuth("/api/v1/admin/users/stats", admin.Token) }},
			{"admin creates a user", func() *apptest.Response {
				return app.PostJSONAuth("/api/v1/users", admin.Token,
					map[string]any{"username": "modes_made", "email": "made@example.com", "password": strongPassword})
			}},
			{"hard deletion", func() *apptest.Response {
				return app.DeleteJSONAuth("/api/v1/users/"+me.ID, admin.Token, map[string]any{"hard_delete": true})
			}},
			{"logout", func() *apptest.Response { return app.PostJSONAuth("/api/v1/auth/logout", admin.Token, nil) }},
			{"logout-all", func() *apptest.Response { return app.PostJSONAuth("/api/v1/auth/logout-all", mod.Token, nil) }},
		} {
			r := step.do()
			if r.Status >= 300 {
				t.Fatalf("%s: %d %s", step.name, r.Status, r.Body)
			}
		}
	})
}
