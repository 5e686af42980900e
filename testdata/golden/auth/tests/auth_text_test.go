package tests

import (
	"net/http"
	"strings"
	"testing"

	"example.com/demo/internal/apptest"
	"example.com/demo/internal/auth"
)

// The auth and users routes refuse unstorable text before it reaches the
// database: a NUL in user_agent used to fail the session INSERT with a 500.
func TestAuthUnstorableTextIs400(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	u := app.CreateAuthUser(auth.RoleUser)
	mod := app.CreateAuthUser(auth.RoleModerator)
	tests := []struct {
		name, method, path, token, body, field string
	}{
		{"login user_agent NUL", http.MethodPost, "/api/v1/auth/login", "",
			`{"username":"` + u.Username + `","password":"` + u.Password + `","user_agent":"x\u0000y"}`, "user_agent"},
		{"login user_agent lone surrogate", http.MethodPost, "/api/v1/auth/login", "",
			`{"username":"` + u.Username + `","password":"` + u.Password + `","user_agent":"\ud800"}`, "user_agent"},
		{"register email invalid UTF-8", http.MethodPost, "/api/v1/auth/register", "",
			"{\"username\":\"texty\",\"email\":\"t\xffx@example.com\",\"password\":\"Correct7horse!\"}", "email"},
		{"register password NUL", http.MethodPost, "/api/v1/auth/register", "",
			`{"username":"texty","email":"texty@example.com","password":"Correct7horse!\u0000"}`, "password"},
		{"profile username surrogate", http.MethodPut, "/api/v1/users/me/profile", u.Token, `{"username":"\udc00abc"}`, "username"},
		{"status reason NUL", http.MethodPut, userPath(u.ID, "/status"), mod.Token, `{"is_active":true,"reason":"\u0000"}`, "reason"},
	}
	for _, tt := range tests {
		req := app.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
		req.Header.Set("Content-Type", "application/json")
		if tt.token != "" {
			req.Header.Set("Authorization", "Bearer "+tt.token)
		}
		// Text no database column can hold: what the document cannot forbid
		// by a schema, and the service refuses.
		r := app.Invalid().Do(req)
		wantError(t, r, http.StatusBadRequest, "VALIDATION_FAILED")
		if r.ErrorField() != tt.field {
			t.Fatalf("%s: field = %q, want %q: %s", tt.name, r.ErrorField(), tt.field, r.Body)
		}
	}
}
