package tests

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/starter-go/starter/templates/project/internal/apptest"
	"github.com/starter-go/starter/templates/project/internal/auth"
	"github.com/starter-go/starter/templates/project/internal/config"
)

func userPath(id uuid.UUID, suffix string) string { return "/api/v1/users/" + id.String() + suffix }

func TestUsersOwnProfile(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	u := app.CreateAuthUser(auth.RoleUser)
	r := app.GetAuth("/api/v1/users/me/profile", u.Token)
	wantStatus(t, r, http.StatusOK)
	var p profileData
	r.Data(t, &p)
	if p.ID != u.ID.String() || p.Username != u.Username || p.Role != "user" || !p.IsActive {
		t.Fatalf("profile = %+v", p)
	}
	wantError(t, app.Get("/api/v1/users/me/profile"), http.StatusUnauthorized, "UNAUTHORIZED")
}

func TestUsersUpdateOwnProfile(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	u := app.CreateUser(apptest.UserOptions{EmailVerified: true})
	tok := app.NewSession(u.ID)
	r := app.PutJSONAuth("/api/v1/users/me/profile", tok, map[string]any{"username": "Renamed"})
	var p profileData
	r.Data(t, &p)
	if p.Username != "Renamed" || p.Email != u.Email || !p.EmailVerified {
		t.Fatalf("after username change: %+v", p)
	}
	r = app.PutJSONAuth("/api/v1/users/me/profile", tok, map[string]any{"email": u.Email})
	r.Data(t, &p)
	if !p.EmailVerified {
		t.Fatal("the same email reset email_verified")
	}
	r = app.PutJSONAuth("/api/v1/users/me/profile", tok, map[string]any{"email": "New.Address@Example.com", "email_verified": true})
	r.Data(t, &p)
	if p.Email != "new.address@example.com" || p.EmailVerified {
		t.Fatalf("a new email must be stored lower-cased and unverified (email_verified is not the user's to set): %+v", p)
	}
	var me struct{ Username, Email string }
	app.GetAuth("/api/v1/auth/me", tok).Data(t, &me)
	if me.Username != "Renamed" || me.Email != "new.address@example.com" {
		t.Fatalf("me after update = %+v", me)
	}
}

func TestUsersUpdateOwnProfileRejects(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	other := app.CreateUser(apptest.UserOptions{})
	u := app.CreateAuthUser(auth.RoleUser)
	wantError(t, app.PutJSONAuth("/api/v1/users/me/profile", u.Token, map[string]any{"username": other.Username}),
		http.StatusConflict, "USERNAME_ALREADY_EXISTS")
	wantError(t, app.PutJSONAuth("/api/v1/users/me/profile", u.Token, map[string]any{"email": other.Email}),
		http.StatusConflict, "EMAIL_ALREADY_EXISTS")
	wantValidation(t, app.Invalid().PutJSONAuth("/api/v1/users/me/profile", u.Token, map[string]any{"username": "x"}), "username", auth.MsgUsernameLength)
	wantValidation(t, app.PutJSONAuth("/api/v1/users/me/profile", u.Token, map[string]any{"email": "nope"}), "email", auth.MsgEmailFormat)
	wantError(t, app.Invalid().PutJSONAuth("/api/v1/users/me/profile", u.Token, map[string]any{"username": 7}),
		http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY")
}

func TestUsersChangePassword(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	u := app.CreateUser(apptest.UserOptions{})
	current, other := app.Login(u.Username, u.Password), app.NewSession(u.ID)
	wantStatus(t, app.GetAuth("/api/v1/auth/me", other), http.StatusOK)
	r := app.PutJSONAuth("/api/v1/users/me/password", current,
		map[string]any{"current_password": u.Password, "new_password": "Brand-new7horse"})
	wantStatus(t, r, http.StatusOK)
	wantStatus(t, app.GetAuth("/api/v1/auth/me", current), http.StatusOK)
	wantError(t, app.GetAuth("/api/v1/auth/me", other), http.StatusUnauthorized, "UNAUTHORIZED")
	wantError(t, login(app, map[string]any{"username": u.Username, "password": u.Password}), http.StatusUnauthorized, "INVALID_CREDENTIALS")
	app.Login(u.Username, "Brand-new7horse")
}

func TestUsersChangePasswordRejects(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	u := app.CreateAuthUser(auth.RoleUser)
	path := "/api/v1/users/me/password"
	wantError(t, app.PutJSONAuth(path, u.Token, map[string]any{"current_password": "Wrong7horse!", "new_password": "Brand-new7horse"}),
		http.StatusUnauthorized, "INVALID_CREDENTIALS")
	wantValidation(t, app.PutJSONAuth(path, u.Token, map[string]any{"current_password": u.Password, "new_password": u.Password}),
		"new_password", "New password must be different from the current password")
	wantValidation(t, app.Invalid().PutJSONAuth(path, u.Token, map[string]any{"current_password": u.Password, "new_password": "weak"}),
		"new_password", auth.MsgPasswordLength)
	wantValidation(t, app.PutJSONAuth(path, u.Token, map[string]any{"current_password": u.Password, "new_password": "Password123"}),
		"new_password", auth.MsgPasswordCommon)
	wantError(t, app.Invalid().PutJSONAuth(path, u.Token, map[string]any{"new_password": "Brand-new7horse"}),
		http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY")
	// Nothing changed: the old password still logs in.
	app.Login(u.Username, u.Password)
}

func TestUsersDeleteSelf(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	admin := app.CreateAuthUser(auth.RoleAdmin)
	u := app.CreateUser(apptest.UserOptions{})
	tok, other := app.Login(u.Username, u.Password), app.NewSession(u.ID)
	r := app.DeleteJSONAuth("/api/v1/users/me", tok, map[string]any{"password": u.Password, "confirmation": "DELETE"})
	wantStatus(t, r, http.StatusOK)
	for _, token := range []string{tok, other} {
		wantError(t, app.GetAuth("/api/v1/auth/me", token), http.StatusUnauthorized, "UNAUTHORIZED")
	}
	wantError(t, login(app, map[string]any{"username": u.Username, "password": u.Password}), http.StatusUnauthorized, "INVALID_CREDENTIALS")
	var p profileData
	app.GetAuth(userPath(u.ID, ""), admin.Token).Data(t, &p)
	if p.IsActive {
		t.Fatal("a deleted account is still active")
	}
	var deletedAt *time.Time
	if err := app.DB.QueryRow(context.Background(), `SELECT deleted_at FROM users WHERE id = $1`, u.ID).Scan(&deletedAt); err != nil || deletedAt == nil {
		t.Fatalf("deleted_at = %v, %v: not a soft delete", deletedAt, err)
	}
}

func TestUsersDeleteSelfRejects(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	u := app.CreateAuthUser(auth.RoleUser)
	wantError(t, app.DeleteJSONAuth("/api/v1/users/me", u.Token, map[string]any{"password": "Wrong7horse!", "confirmation": "DELETE"}),
		http.StatusUnauthorized, "INVALID_CREDENTIALS")
	for _, c := range []string{"delete", "", "DELETE ", "yes"} {
		wantValidation(t, app.Invalid().DeleteJSONAuth("/api/v1/users/me", u.Token, map[string]any{"password": u.Password, "confirmation": c}),
			"confirmation", "")
	}
	wantError(t, app.Invalid().DeleteJSONAuth("/api/v1/users/me", u.Token, map[string]any{"password": u.Password}),
		http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY")
	wantStatus(t, app.GetAuth("/api/v1/auth/me", u.Token), http.StatusOK)
}

func TestUsersLastActiveAdminCannotDeleteSelf(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	admin := app.CreateAuthUser(auth.RoleAdmin)
	app.CreateUser(apptest.UserOptions{Role: auth.RoleAdmin, Inactive: true})
	body := map[string]any{"password": admin.Password, "confirmation": "DELETE"}
	wantError(t, app.DeleteJSONAuth("/api/v1/users/me", admin.Token, body), http.StatusConflict, "CONFLICT")
	second := app.CreateAuthUser(auth.RoleAdmin)
	wantStatus(t, app.DeleteJSONAuth("/api/v1/users/me", admin.Token, body), http.StatusOK)
	wantError(t, app.DeleteJSONAuth("/api/v1/users/me", second.Token, map[string]any{"password": second.Password, "confirmation": "DELETE"}),
		http.StatusConflict, "CONFLICT")
}

// world is one user of each kind, for the visibility and acting rules.
type world struct {
	app                                      *apptest.TestApp
	user, otherUser, inactiveUser            apptest.AuthUser
	moderator, otherModerator, admin, admin2 apptest.AuthUser
}

func newWorld(t *testing.T) world {
	app := apptest.New(t)
	return world{
		app:            app,
		user:           app.CreateAuthUser(auth.RoleUser),
		otherUser:      app.CreateAuthUser(auth.RoleUser),
		inactiveUser:   app.CreateUser(apptest.UserOptions{Inactive: true}),
		moderator:      app.CreateAuthUser(auth.RoleModerator),
		otherModerator: app.CreateAuthUser(auth.RoleModerator),
		admin:          app.CreateAuthUser(auth.RoleAdmin),
		admin2:         app.CreateAuthUser(auth.RoleAdmin),
	}
}

func TestUsersGetVisibility(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	tests := []struct {
		name   string
		caller apptest.AuthUser
		target apptest.AuthUser
		status int
	}{
		{"user self", w.user, w.user, http.StatusOK},
		{"user other user", w.user, w.otherUser, http.StatusNotFound},
		{"user moderator", w.user, w.moderator, http.StatusNotFound},
		{"user admin", w.user, w.admin, http.StatusNotFound},
		{"moderator user", w.moderator, w.user, http.StatusOK},
		{"moderator inactive user", w.moderator, w.inactiveUser, http.StatusOK},
		{"moderator self", w.moderator, w.moderator, http.StatusOK},
		{"moderator other moderator", w.moderator, w.otherModerator, http.StatusOK},
		{"moderator admin", w.moderator, w.admin, http.StatusNotFound},
		{"admin user", w.admin, w.user, http.StatusOK},
		{"admin inactive user", w.admin, w.inactiveUser, http.StatusOK},
		{"admin moderator", w.admin, w.moderator, http.StatusOK},
		{"admin other admin", w.admin, w.admin2, http.StatusOK},
	}
	for _, tt := range tests {
		r := w.app.GetAuth(userPath(tt.target.ID, ""), tt.caller.Token)
		if r.Status != tt.status {
			t.Fatalf("%s: status %d, want %d: %s", tt.name, r.Status, tt.status, r.Body)
		}
		if tt.status == http.StatusNotFound {
			wantError(t, r, http.StatusNotFound, "NOT_FOUND")
			continue
		}
		var p profileData
		r.Data(t, &p)
		if p.ID != tt.target.ID.String() {
			t.Fatalf("%s: got user %s", tt.name, p.ID)
		}
	}
}

func TestUsersGetUnknownAndBadID(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	admin := app.CreateAuthUser(auth.RoleAdmin)
	wantError(t, app.GetAuth(userPath(uuid.New(), ""), admin.Token), http.StatusNotFound, "NOT_FOUND")
	for _, id := range []string{"abc", "123", "00000000-0000-0000-0000-00000000000g", "{" + admin.ID.String() + "}"} {
		wantError(t, app.Invalid().GetAuth("/api/v1/users/"+id, admin.Token), http.StatusBadRequest, "INVALID_QUERY")
	}
	wantError(t, app.GetAuth(userPath(admin.ID, "")+"/", admin.Token), http.StatusNotFound, "NOT_FOUND")
}

func TestUsersList(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ids := func(r *apptest.Response) map[string]bool {
		var ps []profileData
		r.Data(t, &ps)
		out := map[string]bool{}
		for _, p := range ps {
			out[p.ID] = true
		}
		return out
	}
	wantError(t, w.app.GetAuth("/api/v1/users", w.user.Token), http.StatusForbidden, "FORBIDDEN")
	mod := ids(w.app.GetAuth("/api/v1/users", w.moderator.Token))
	if len(mod) != 4 || !mod[w.user.ID.String()] || !mod[w.otherUser.ID.String()] || !mod[w.otherModerator.ID.String()] {
		t.Fatalf("moderator sees %v, want exactly the four active non-admin accounts", mod)
	}
	admin := ids(w.app.GetAuth("/api/v1/users", w.admin.Token))
	if len(admin) != 6 || admin[w.inactiveUser.ID.String()] {
		t.Fatalf("admin sees %d users (inactive %v), want the 6 active", len(admin), admin[w.inactiveUser.ID.String()])
	}
	all := ids(w.app.GetAuth("/api/v1/users?include_inactive=true", w.admin.Token))
	if len(all) != 7 || !all[w.inactiveUser.ID.String()] {
		t.Fatalf("include_inactive: %d users, want 7", len(all))
	}
	modAll := ids(w.app.GetAuth("/api/v1/users?include_inactive=true", w.moderator.Token))
	if len(modAll) != 5 || !modAll[w.inactiveUser.ID.String()] || modAll[w.admin.ID.String()] {
		t.Fatalf("include_inactive for a moderator: %d accounts, want the 5 non-admin ones", len(modAll))
	}
}

func TestUsersListOrderAndPaging(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	admin := app.CreateAuthUser(auth.RoleAdmin)
	same := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	for i := range 5 {
		u := app.CreateUser(apptest.UserOptions{})
		at := same
		if i >= 3 {
			at = same.Add(time.Duration(i) * time.Minute)
		}
		if _, err := app.DB.Exec(context.Background(), `UPDATE users SET created_at = $2 WHERE id = $1`, u.ID, at); err != nil {
			t.Fatal(err)
		}
	}
	var all []profileData
	app.GetAuth("/api/v1/users", admin.Token).Data(t, &all)
	if len(all) != 6 {
		t.Fatalf("%d users, want 6", len(all))
	}
	for i := 1; i < len(all); i++ {
		a, b := all[i-1], all[i]
		if a.CreatedAt.Before(b.CreatedAt) || (a.CreatedAt.Equal(b.CreatedAt) && a.ID > b.ID) {
			t.Fatalf("not created_at descending then id: %v/%s before %v/%s", a.CreatedAt, a.ID, b.CreatedAt, b.ID)
		}
	}
	var page []profileData
	app.GetAuth("/api/v1/users?limit=2&offset=3", admin.Token).Data(t, &page)
	if len(page) != 2 || page[0].ID != all[3].ID || page[1].ID != all[4].ID {
		t.Fatalf("page limit=2 offset=3 = %v", page)
	}
	app.GetAuth("/api/v1/users?offset=10", admin.Token).Data(t, &page)
	if len(page) != 0 {
		t.Fatalf("offset past the end gave %d users", len(page))
	}
	r := app.GetAuth("/api/v1/users?offset=10", admin.Token)
	if string(r.Envelope(t).Data) != "[]" {
		t.Fatalf("an empty page is %s, want []", r.Envelope(t).Data)
	}
}

func TestUsersListBadQuery(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	admin := app.CreateAuthUser(auth.RoleAdmin)
	for _, q := range []string{"limit=abc", "limit=0", "limit=101", "limit=-1", "offset=-1", "offset=x", "include_inactive=maybe", "limit="} {
		r := app.Invalid().GetAuth("/api/v1/users?"+q, admin.Token)
		wantError(t, r, http.StatusBadRequest, "INVALID_QUERY")
	}
	for _, q := range []string{"limit=1", "limit=100", "offset=0", "include_inactive=false"} {
		wantStatus(t, app.GetAuth("/api/v1/users?"+q, admin.Token), http.StatusOK)
	}
}

func TestUsersSetStatus(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	mod := app.CreateAuthUser(auth.RoleModerator)
	admin := app.CreateAuthUser(auth.RoleAdmin)
	u := app.CreateUser(apptest.UserOptions{})
	tok := app.Login(u.Username, u.Password)
	r := app.PutJSONAuth(userPath(u.ID, "/status"), mod.Token, map[string]any{"is_active": false, "reason": "spam"})
	var p profileData
	r.Data(t, &p)
	if p.IsActive {
		t.Fatal("still active after deactivation")
	}
	wantError(t, app.GetAuth("/api/v1/auth/me", tok), http.StatusUnauthorized, "UNAUTHORIZED")
	if n := app.SessionCount(u.ID); n != 0 {
		t.Fatalf("%d sessions survived deactivation", n)
	}
	wantError(t, login(app, map[string]any{"username": u.Username, "password": u.Password}), http.StatusUnauthorized, "INVALID_CREDENTIALS")
	// The moderator still sees the inactive user and can reactivate them.
	app.PutJSONAuth(userPath(u.ID, "/status"), mod.Token, map[string]any{"is_active": true}).Data(t, &p)
	if !p.IsActive {
		t.Fatal("not active after reactivation")
	}
	app.Login(u.Username, u.Password)
	wantStatus(t, app.PutJSONAuth(userPath(u.ID, "/status"), admin.Token, map[string]any{"is_active": true}), http.StatusOK)
}

func TestUsersSetStatusRejects(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	off := map[string]any{"is_active": false}
	wantError(t, w.app.PutJSONAuth(userPath(w.otherUser.ID, "/status"), w.user.Token, off), http.StatusForbidden, "FORBIDDEN")
	wantError(t, w.app.PutJSONAuth(userPath(w.otherModerator.ID, "/status"), w.moderator.Token, off), http.StatusForbidden, "FORBIDDEN")
	wantError(t, w.app.PutJSONAuth(userPath(w.admin.ID, "/status"), w.moderator.Token, off), http.StatusNotFound, "NOT_FOUND")
	wantError(t, w.app.PutJSONAuth(userPath(w.moderator.ID, "/status"), w.moderator.Token, off), http.StatusBadRequest, "VALIDATION_FAILED")
	wantError(t, w.app.PutJSONAuth(userPath(w.admin.ID, "/status"), w.admin.Token, off), http.StatusBadRequest, "VALIDATION_FAILED")
	wantError(t, w.app.PutJSONAuth(userPath(uuid.New(), "/status"), w.admin.Token, off), http.StatusNotFound, "NOT_FOUND")
	wantError(t, w.app.Invalid().PutJSONAuth(userPath(w.user.ID, "/status"), w.admin.Token, map[string]any{}), http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY")
	wantError(t, w.app.Invalid().PutJSONAuth(userPath(w.user.ID, "/status"), w.admin.Token, map[string]any{"is_active": "no"}), http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY")
	long := map[string]any{"is_active": false, "reason": string(make([]byte, 501))}
	wantValidation(t, w.app.Invalid().PutJSONAuth(userPath(w.user.ID, "/status"), w.admin.Token, long), "reason", "")
	// An admin may deactivate another admin.
	wantStatus(t, w.app.PutJSONAuth(userPath(w.admin2.ID, "/status"), w.admin.Token, off), http.StatusOK)
	wantError(t, w.app.GetAuth("/api/v1/auth/me", w.admin2.Token), http.StatusUnauthorized, "UNAUTHORIZED")
}

func TestUsersResetPassword(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	mod := app.CreateAuthUser(auth.RoleModerator)
	u := app.CreateUser(apptest.UserOptions{})
	tok := app.Login(u.Username, u.Password)
	wantStatus(t, app.PostJSONAuth(userPath(u.ID, "/reset-password"), mod.Token, map[string]any{"new_password": "Reset-by-m0d"}), http.StatusOK)
	wantError(t, app.GetAuth("/api/v1/auth/me", tok), http.StatusUnauthorized, "UNAUTHORIZED")
	wantError(t, login(app, map[string]any{"username": u.Username, "password": u.Password}), http.StatusUnauthorized, "INVALID_CREDENTIALS")
	app.Login(u.Username, "Reset-by-m0d")
}

func TestUsersResetPasswordRejects(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	body := map[string]any{"new_password": "Reset-by-m0d"}
	wantError(t, w.app.PostJSONAuth(userPath(w.otherUser.ID, "/reset-password"), w.user.Token, body), http.StatusForbidden, "FORBIDDEN")
	wantError(t, w.app.PostJSONAuth(userPath(w.admin.ID, "/reset-password"), w.moderator.Token, body), http.StatusNotFound, "NOT_FOUND")
	wantError(t, w.app.PostJSONAuth(userPath(w.otherModerator.ID, "/reset-password"), w.moderator.Token, body), http.StatusForbidden, "FORBIDDEN")
	wantError(t, w.app.PostJSONAuth(userPath(w.admin.ID, "/reset-password"), w.admin.Token, body), http.StatusBadRequest, "VALIDATION_FAILED")
	wantValidation(t, w.app.PostJSONAuth(userPath(w.user.ID, "/reset-password"), w.moderator.Token, map[string]any{"new_password": "password"}),
		"new_password", auth.MsgPasswordClasses)
	wantError(t, w.app.Invalid().PostJSONAuth(userPath(w.user.ID, "/reset-password"), w.moderator.Token, map[string]any{}),
		http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY")
	wantStatus(t, w.app.GetAuth("/api/v1/auth/me", w.admin.Token), http.StatusOK)
	wantStatus(t, w.app.GetAuth("/api/v1/auth/me", w.user.Token), http.StatusOK)
}

func TestUsersAdminCreate(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	admin := app.CreateAuthUser(auth.RoleAdmin)
	mod := app.CreateAuthUser(auth.RoleModerator)
	body := func(name string, role any) map[string]any {
		b := map[string]any{"username": name, "email": name + "@example.com", "password": strongPassword}
		if role != nil {
			b["role"] = role
		}
		return b
	}
	r := app.PostJSONAuth("/api/v1/users", admin.Token, body("made_mod", "moderator"))
	wantStatus(t, r, http.StatusCreated)
	var p profileData
	r.Data(t, &p)
	if p.Role != "moderator" || p.Username != "made_mod" {
		t.Fatalf("created %+v", p)
	}
	app.PostJSONAuth("/api/v1/users", admin.Token, body("made_default", nil)).Data(t, &p)
	if p.Role != "user" {
		t.Fatalf("default role = %q, want user", p.Role)
	}
	app.Login("made_mod", strongPassword)
	for _, role := range []any{"Admin", "root", "", "USER"} {
		wantValidation(t, app.Invalid().PostJSONAuth("/api/v1/users", admin.Token, body("bad_role", role)), "role", "")
	}
	wantError(t, app.PostJSONAuth("/api/v1/users", admin.Token, body("made_mod", nil)), http.StatusConflict, "USERNAME_ALREADY_EXISTS")
	wantError(t, app.PostJSONAuth("/api/v1/users", mod.Token, body("by_mod", nil)), http.StatusForbidden, "FORBIDDEN")
	wantValidation(t, app.Invalid().PostJSONAuth("/api/v1/users", admin.Token, map[string]any{"username": "weakling", "email": "w@example.com", "password": "weak"}),
		"password", auth.MsgPasswordLength)
}

func TestUsersAdminUpdateProfile(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	admin := app.CreateAuthUser(auth.RoleAdmin)
	mod := app.CreateAuthUser(auth.RoleModerator)
	u := app.CreateUser(apptest.UserOptions{})
	var p profileData
	app.PutJSONAuth(userPath(u.ID, "/profile"), admin.Token, map[string]any{"email_verified": true}).Data(t, &p)
	if !p.EmailVerified {
		t.Fatal("email_verified not set")
	}
	app.PutJSONAuth(userPath(u.ID, "/profile"), admin.Token, map[string]any{"email": "moved@example.com", "username": "moved"}).Data(t, &p)
	if p.EmailVerified || p.Email != "moved@example.com" || p.Username != "moved" {
		t.Fatalf("after an email change: %+v", p)
	}
	app.PutJSONAuth(userPath(u.ID, "/profile"), admin.Token, map[string]any{"email": "again@example.com", "email_verified": true}).Data(t, &p)
	if !p.EmailVerified {
		t.Fatal("an explicit email_verified with a new email was ignored")
	}
	wantError(t, app.PutJSONAuth(userPath(u.ID, "/profile"), mod.Token, map[string]any{"username": "hijack"}), http.StatusForbidden, "FORBIDDEN")
	wantError(t, app.PutJSONAuth(userPath(uuid.New(), "/profile"), admin.Token, map[string]any{"username": "ghost"}), http.StatusNotFound, "NOT_FOUND")
	wantError(t, app.PutJSONAuth(userPath(u.ID, "/profile"), admin.Token, map[string]any{"email": mod.Email}), http.StatusConflict, "EMAIL_ALREADY_EXISTS")
	wantValidation(t, app.PutJSONAuth(userPath(u.ID, "/profile"), admin.Token, map[string]any{"email": "a@b"}), "email", auth.MsgEmailFormat)
}

func TestUsersSetRole(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	admin := app.CreateAuthUser(auth.RoleAdmin)
	u := app.CreateAuthUser(auth.RoleUser)
	for _, role := range []string{"moderator", "admin", "user"} {
		var p profileData
		app.PutJSONAuth(userPath(u.ID, "/role"), admin.Token, map[string]any{"role": role}).Data(t, &p)
		if p.Role != role {
			t.Fatalf("role = %q, want %q", p.Role, role)
		}
		var me struct{ Role string }
		app.GetAuth("/api/v1/auth/me", u.Token).Data(t, &me)
		if me.Role != role {
			t.Fatalf("the caller's role is %q right after the change to %q", me.Role, role)
		}
	}
	for _, role := range []any{"Admin", "ADMIN", "superuser", "", " user"} {
		wantValidation(t, app.Invalid().PutJSONAuth(userPath(u.ID, "/role"), admin.Token, map[string]any{"role": role}), "role", "")
	}
	wantError(t, app.Invalid().PutJSONAuth(userPath(u.ID, "/role"), admin.Token, map[string]any{"role": 1}), http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY")
	wantError(t, app.Invalid().PutJSONAuth(userPath(u.ID, "/role"), admin.Token, map[string]any{}), http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY")
	wantError(t, app.PutJSONAuth(userPath(admin.ID, "/role"), admin.Token, map[string]any{"role": "user"}), http.StatusBadRequest, "VALIDATION_FAILED")
}

func TestUsersRoleBoundaries(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	role := map[string]any{"role": "admin"}
	wantError(t, w.app.PutJSONAuth(userPath(w.user.ID, "/role"), w.user.Token, role), http.StatusForbidden, "FORBIDDEN")
	wantError(t, w.app.PutJSONAuth(userPath(w.user.ID, "/role"), w.moderator.Token, role), http.StatusForbidden, "FORBIDDEN")
	wantError(t, w.app.DeleteAuth(userPath(w.user.ID, ""), w.moderator.Token), http.StatusForbidden, "FORBIDDEN")
	wantError(t, w.app.GetAuth("/api/v1/admin/users/stats", w.moderator.Token), http.StatusForbidden, "FORBIDDEN")
	wantError(t, w.app.GetAuth("/api/v1/admin/users/stats", w.user.Token), http.StatusForbidden, "FORBIDDEN")
	wantError(t, w.app.PostJSONAuth(userPath(w.otherUser.ID, "/reset-password"), w.user.Token, map[string]any{"new_password": strongPassword}),
		http.StatusForbidden, "FORBIDDEN")
	var me struct{ Role string }
	w.app.GetAuth("/api/v1/auth/me", w.user.Token).Data(t, &me)
	if me.Role != "user" {
		t.Fatalf("role changed to %q by a refused request", me.Role)
	}
}

// A user cannot read or change another user's data through any route.
func TestUsersIDOR(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	alice, bob := app.CreateAuthUser(auth.RoleUser), app.CreateAuthUser(auth.RoleUser)
	wantError(t, app.GetAuth(userPath(bob.ID, ""), alice.Token), http.StatusNotFound, "NOT_FOUND")
	refused := []*apptest.Response{
		app.PutJSONAuth(userPath(bob.ID, "/profile"), alice.Token, map[string]any{"username": "pwned"}),
		app.PutJSONAuth(userPath(bob.ID, "/status"), alice.Token, map[string]any{"is_active": false}),
		app.PutJSONAuth(userPath(bob.ID, "/role"), alice.Token, map[string]any{"role": "user"}),
		app.PostJSONAuth(userPath(bob.ID, "/reset-password"), alice.Token, map[string]any{"new_password": strongPassword}),
		app.DeleteAuth(userPath(bob.ID, ""), alice.Token),
	}
	for _, r := range refused {
		if r.Status != http.StatusForbidden && r.Status != http.StatusNotFound {
			t.Fatalf("another user's data answered %d: %s", r.Status, r.Body)
		}
	}
	// The /me routes act on the caller only, whatever the body says.
	app.PutJSONAuth("/api/v1/users/me/profile", alice.Token, map[string]any{"id": bob.ID, "username": "alice_new"})
	var p profileData
	app.GetAuth("/api/v1/users/me/profile", bob.Token).Data(t, &p)
	if p.Username != bob.Username || !p.IsActive || p.Role != "user" {
		t.Fatalf("bob changed: %+v", p)
	}
	app.Login(bob.Username, bob.Password)
}

func TestUsersDeleteByAdmin(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	admin := app.CreateAuthUser(auth.RoleAdmin)
	soft := app.CreateAuthUser(auth.RoleUser)
	hard := app.CreateAuthUser(auth.RoleModerator)
	wantStatus(t, app.DeleteAuth(userPath(soft.ID, ""), admin.Token), http.StatusOK)
	wantError(t, app.GetAuth("/api/v1/auth/me", soft.Token), http.StatusUnauthorized, "UNAUTHORIZED")
	var p profileData
	app.GetAuth(userPath(soft.ID, ""), admin.Token).Data(t, &p)
	if p.IsActive {
		t.Fatal("soft-deleted user is active")
	}
	wantStatus(t, app.DeleteJSONAuth(userPath(hard.ID, ""), admin.Token, map[string]any{"hard_delete": true}), http.StatusOK)
	wantError(t, app.GetAuth(userPath(hard.ID, ""), admin.Token), http.StatusNotFound, "NOT_FOUND")
	wantError(t, app.GetAuth("/api/v1/auth/me", hard.Token), http.StatusUnauthorized, "UNAUTHORIZED")
	if n := app.SessionCount(hard.ID); n != 0 {
		t.Fatalf("%d sessions of a hard-deleted user", n)
	}
	wantError(t, app.DeleteAuth(userPath(admin.ID, ""), admin.Token), http.StatusBadRequest, "VALIDATION_FAILED")
	wantError(t, app.DeleteAuth(userPath(uuid.New(), ""), admin.Token), http.StatusNotFound, "NOT_FOUND")
	wantError(t, app.Invalid().DeleteJSONAuth(userPath(soft.ID, ""), admin.Token, map[string]any{"hard_delete": "yes"}), http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY")
}

func TestUsersStats(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	app := apptest.New(t, withClock(clock))
	admin := app.CreateAuthUser(auth.RoleAdmin)
	app.CreateUser(apptest.UserOptions{Role: auth.RoleModerator, EmailVerified: true})
	app.CreateUser(apptest.UserOptions{Inactive: true})
	for _, age := range []time.Duration{2 * 24 * time.Hour, 10 * 24 * time.Hour, 40 * 24 * time.Hour} {
		u := app.CreateUser(apptest.UserOptions{})
		if _, err := app.DB.Exec(context.Background(), `UPDATE users SET created_at = $2 WHERE id = $1`, u.ID, clock.Now().Add(-age)); err != nil {
			t.Fatal(err)
		}
	}
	r := app.GetAuth("/api/v1/admin/users/stats", admin.Token)
	wantStatus(t, r, http.StatusOK)
	data := object(t, r.Envelope(t).Data)
	want := []string{"active_users", "by_role", "email_unverified", "email_verified", "inactive_users", "recent_registrations", "total_users"}
	if got := sorted(keys(data)); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("stats keys = %v, want %v", got, want)
	}
	var st struct {
		TotalUsers      int                                  `json:"total_users"`
		ActiveUsers     int                                  `json:"active_users"`
		InactiveUsers   int                                  `json:"inactive_users"`
		EmailVerified   int                                  `json:"email_verified"`
		EmailUnverified int                                  `json:"email_unverified"`
		ByRole          struct{ User, Moderator, Admin int } `json:"by_role"`
		Recent          struct {
			Last24h int `json:"last_24h"`
			Last7d  int `json:"last_7d"`
			Last30d int `json:"last_30d"`
		} `json:"recent_registrations"`
	}
	r.Data(t, &st)
	got := fmt.Sprintf("%d %d %d %d %d %+v %+v", st.TotalUsers, st.ActiveUsers, st.InactiveUsers, st.EmailVerified, st.EmailUnverified, st.ByRole, st.Recent)
	wantStr := "6 5 1 1 5 {User:4 Moderator:1 Admin:1} {Last24h:3 Last7d:4 Last30d:5}"
	if got != wantStr {
		t.Fatalf("stats = %s, want %s", got, wantStr)
	}
}

func TestUsersRoutesNeedAuth(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	id := uuid.New().String()
	routes := []struct{ method, path string }{
		{http.MethodPost, "/api/v1/auth/logout"}, {http.MethodPost, "/api/v1/auth/logout-all"},
		{http.MethodGet, "/api/v1/auth/me"}, {http.MethodPost, "/api/v1/auth/refresh"},
		{http.MethodGet, "/api/v1/users/me/profile"}, {http.MethodPut, "/api/v1/users/me/profile"},
		{http.MethodPut, "/api/v1/users/me/password"}, {http.MethodDelete, "/api/v1/users/me"},
		{http.MethodGet, "/api/v1/users/" + id}, {http.MethodGet, "/api/v1/users"},
		{http.MethodPut, "/api/v1/users/" + id + "/status"}, {http.MethodPost, "/api/v1/users/" + id + "/reset-password"},
		{http.MethodPost, "/api/v1/users"}, {http.MethodPut, "/api/v1/users/" + id + "/profile"},
		{http.MethodPut, "/api/v1/users/" + id + "/role"}, {http.MethodDelete, "/api/v1/users/" + id},
		{http.MethodGet, "/api/v1/admin/users/stats"},
	}
	for _, rt := range routes {
		r := app.Raw(rt.method, rt.path, "application/json", []byte(`{}`))
		if r.Status != http.StatusUnauthorized || r.ErrorCode() != "UNAUTHORIZED" {
			t.Fatalf("%s %s without a token: %d %s", rt.method, rt.path, r.Status, r.Body)
		}
	}
}

// Two admins demoting (or deactivating) each other at the same moment must
// never leave the service without an active admin.
func TestUsersConcurrentAdminChanges(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	for round := range 6 {
		a, b := app.CreateAuthUser(auth.RoleAdmin), app.CreateAuthUser(auth.RoleAdmin)
		body := map[string]any{"role": "user"}
		path := "/role"
		if round%2 == 1 {
			body, path = map[string]any{"is_active": false}, "/status"
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		results := make([]*apptest.Response, 2)
		for i, pair := range [][2]apptest.AuthUser{{a, b}, {b, a}} {
			wg.Go(func() {
				<-start
				results[i] = app.PutJSONAuth(userPath(pair[1].ID, path), pair[0].Token, body)
			})
		}
		close(start)
		wg.Wait()
		ok := 0
		for _, r := range results {
			switch r.Status {
			case http.StatusOK:
				ok++
			case http.StatusForbidden, http.StatusConflict, http.StatusUnauthorized:
			default:
				t.Fatalf("round %d: unexpected answer %d %s", round, r.Status, r.Body)
			}
		}
		var admins int
		if err := app.DB.QueryRow(context.Background(), `SELECT count(*) FROM users WHERE role = 'admin' AND is_active`).Scan(&admins); err != nil {
			t.Fatal(err)
		}
		if ok != 1 || admins != 1 {
			t.Fatalf("round %d: %d changes succeeded, %d active admins left; want 1 and 1", round, ok, admins)
		}
		// Leave no admin from this round behind for the next.
		if _, err := app.DB.Exec(context.Background(), `UPDATE users SET role = 'user' WHERE id = ANY($1)`, []uuid.UUID{a.ID, b.ID}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestUsersAdminDemotesAnotherAdmin(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	admin, other := app.CreateAuthUser(auth.RoleAdmin), app.CreateAuthUser(auth.RoleAdmin)
	wantStatus(t, app.GetAuth("/api/v1/admin/users/stats", other.Token), http.StatusOK)
	wantStatus(t, app.PutJSONAuth(userPath(other.ID, "/role"), admin.Token, map[string]any{"role": "moderator"}), http.StatusOK)
	wantError(t, app.GetAuth("/api/v1/admin/users/stats", other.Token), http.StatusForbidden, "FORBIDDEN")
	// The demoted admin's earlier authority is gone inside the service too.
	wantError(t, app.PutJSONAuth(userPath(admin.ID, "/role"), other.Token, map[string]any{"role": "user"}), http.StatusForbidden, "FORBIDDEN")
}

// A soft-deleted account keeps its username and email reserved.
func TestUsersSoftDeletedNamesStayReserved(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	u := app.CreateAuthUser(auth.RoleUser)
	wantStatus(t, app.DeleteJSONAuth("/api/v1/users/me", u.Token, map[string]any{"password": u.Password, "confirmation": "DELETE"}), http.StatusOK)
	wantError(t, register(app, u.Username, "fresh@example.com", strongPassword), http.StatusConflict, "USERNAME_ALREADY_EXISTS")
	wantError(t, register(app, "fresh_name", u.Email, strongPassword), http.StatusConflict, "EMAIL_ALREADY_EXISTS")
}

// Wrong current passwords count against the account like failed logins.
func TestUsersPasswordGuessingIsLimited(t *testing.T) {
	t.Parallel()
	app := apptest.New(t, apptest.WithConfig(func(c *config.Config) { c.Auth.LoginAccountFailures = 2 }))
	u := app.CreateAuthUser(auth.RoleUser)
	body := map[string]any{"current_password": "Wrong7horse!", "new_password": "Brand-new7horse"}
	for range 2 {
		wantError(t, app.PutJSONAuth("/api/v1/users/me/password", u.Token, body), http.StatusUnauthorized, "INVALID_CREDENTIALS")
	}
	wantError(t, app.PutJSONAuth("/api/v1/users/me/password", u.Token, body), http.StatusTooManyRequests, "RATE_LIMITED")
	wantError(t, app.DeleteJSONAuth("/api/v1/users/me", u.Token, map[string]any{"password": u.Password, "confirmation": "DELETE"}),
		http.StatusTooManyRequests, "RATE_LIMITED")
	wantError(t, login(app, map[string]any{"username": u.Username, "password": u.Password}), http.StatusTooManyRequests, "RATE_LIMITED")
}
