package tests

import (
	"net/http"
	"testing"

	"github.com/starter-go/starter/templates/project/internal/apptest"
	"github.com/starter-go/starter/templates/project/internal/auth"
)

// A moderator sees every account that is not an admin's, active or not, and
// acts only on users: what it cannot see is 404, what it sees but may not
// act on is 403.
func TestUsersModeratorVisibilityAndActing(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	inactiveMod := w.app.CreateUser(apptest.UserOptions{Role: auth.RoleModerator, Inactive: true})
	inactiveAdmin := w.app.CreateUser(apptest.UserOptions{Role: auth.RoleAdmin, Inactive: true})
	tests := []struct {
		name          string
		target        apptest.AuthUser
		get, act, pwd int
	}{
		{"active user", w.user, http.StatusOK, http.StatusOK, http.StatusOK},
		{"inactive user", w.inactiveUser, http.StatusOK, http.StatusOK, http.StatusOK},
		{"other moderator", w.otherModerator, http.StatusOK, http.StatusForbidden, http.StatusForbidden},
		{"inactive moderator", apptest.AuthUser{User: inactiveMod.User}, http.StatusOK, http.StatusForbidden, http.StatusForbidden},
		{"admin", w.admin, http.StatusNotFound, http.StatusNotFound, http.StatusNotFound},
		{"inactive admin", apptest.AuthUser{User: inactiveAdmin.User}, http.StatusNotFound, http.StatusNotFound, http.StatusNotFound},
	}
	codes := map[int]string{http.StatusForbidden: "FORBIDDEN", http.StatusNotFound: "NOT_FOUND"}
	for _, tt := range tests {
		id := tt.target.ID
		responses := []struct {
			what string
			r    *apptest.Response
			want int
		}{
			{"GET", w.app.GetAuth(userPath(id, ""), w.moderator.Token), tt.get},
			// The status it already has: acting changes nothing the next rows depend on.
			{"PUT status", w.app.PutJSONAuth(userPath(id, "/status"), w.moderator.Token, map[string]any{"is_active": tt.target.IsActive}), tt.act},
			{"reset-password", w.app.PostJSONAuth(userPath(id, "/reset-password"), w.moderator.Token, map[string]any{"new_password": "Reset-by-m0d"}), tt.pwd},
		}
		for _, resp := range responses {
			if resp.want == http.StatusOK {
				wantStatus(t, resp.r, http.StatusOK)
				continue
			}
			if resp.r.Status != resp.want {
				t.Fatalf("moderator %s on %s: %d, want %d: %s", resp.what, tt.name, resp.r.Status, resp.want, resp.r.Body)
			}
			wantError(t, resp.r, resp.want, codes[resp.want])
		}
	}
}

// A moderator who deactivated a user can still find them and reactivate them.
func TestUsersModeratorReactivates(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	mod := app.CreateAuthUser(auth.RoleModerator)
	u := app.CreateUser(apptest.UserOptions{})
	wantStatus(t, app.PutJSONAuth(userPath(u.ID, "/status"), mod.Token, map[string]any{"is_active": false}), http.StatusOK)
	var listed []profileData
	app.GetAuth("/api/v1/users?include_inactive=true", mod.Token).Data(t, &listed)
	found := false
	for _, p := range listed {
		found = found || (p.ID == u.ID.String() && !p.IsActive)
	}
	if !found {
		t.Fatalf("the deactivated user is missing from the moderator's list: %+v", listed)
	}
	var p profileData
	app.PutJSONAuth(userPath(u.ID, "/status"), mod.Token, map[string]any{"is_active": true}).Data(t, &p)
	if !p.IsActive {
		t.Fatal("not active after the moderator reactivated them")
	}
	app.Login(u.Username, u.Password)
}

// GET /users/me is the caller's profile, the same as GET /users/me/profile.
func TestUsersGetMe(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	for _, role := range []auth.Role{auth.RoleUser, auth.RoleModerator, auth.RoleAdmin} {
		u := app.CreateAuthUser(role)
		r := app.GetAuth("/api/v1/users/me", u.Token)
		wantStatus(t, r, http.StatusOK)
		var me, profile profileData
		r.Data(t, &me)
		app.GetAuth("/api/v1/users/me/profile", u.Token).Data(t, &profile)
		if me.ID != u.ID.String() || me.Role != string(role) || me != profile {
			t.Fatalf("GET /users/me as %s = %+v, profile %+v", role, me, profile)
		}
	}
	wantError(t, app.Get("/api/v1/users/me"), http.StatusUnauthorized, "UNAUTHORIZED")
}
