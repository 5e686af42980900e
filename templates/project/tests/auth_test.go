package tests

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/starter-go/starter/runtime/fakeclock"

	"github.com/starter-go/starter/templates/project/internal/app"
	"github.com/starter-go/starter/templates/project/internal/apptest"
	"github.com/starter-go/starter/templates/project/internal/auth"
	"github.com/starter-go/starter/templates/project/internal/config"
)

const strongPassword = "Correct7horse!"

// newTestClock is the auth service's clock in tests that move time.
func newTestClock() *fakeclock.Clock { return fakeclock.New(time.Now().UTC().Truncate(time.Second)) }

func withClock(c *fakeclock.Clock) apptest.Option {
	return apptest.WithConfig(func(cfg *config.Config) { cfg.Auth.Now = c.Now })
}

type loginData struct {
	SessionToken string      `json:"session_token"`
	ExpiresAt    time.Time   `json:"expires_at"`
	User         profileData `json:"user"`
}

type profileData struct {
	ID            string     `json:"id"`
	Username      string     `json:"username"`
	Email         string     `json:"email"`
	Role          string     `json:"role"`
	IsActive      bool       `json:"is_active"`
	EmailVerified bool       `json:"email_verified"`
	CreatedAt     time.Time  `json:"created_at"`
	LastLoginAt   *time.Time `json:"last_login_at"`
}

var profileKeys = []string{"created_at", "email", "email_verified", "id", "is_active", "last_login_at", "role", "username"}

func register(app *apptest.TestApp, username, email, password string) *apptest.Response {
	return app.PostJSON("/api/v1/auth/register", map[string]any{"username": username, "email": email, "password": password})
}

func login(app *apptest.TestApp, body map[string]any) *apptest.Response {
	return app.PostJSON("/api/v1/auth/login", body)
}

// wantValidation checks a 400 VALIDATION_FAILED on field with the rule's message.
func wantValidation(t *testing.T, r *apptest.Response, field, rule string) {
	t.Helper()
	wantError(t, r, http.StatusBadRequest, "VALIDATION_FAILED")
	if r.ErrorField() != field {
		t.Fatalf("field = %q, want %q: %s", r.ErrorField(), field, r.Body)
	}
	if rule != "" && r.ErrorMessage() != "Validation failed for "+field+": "+rule {
		t.Fatalf("message = %q, want the rule %q", r.ErrorMessage(), rule)
	}
}

func TestAuthRegisterSuccess(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	r := register(app, "New_User-1", "New.User+tag@Example.COM", strongPassword)
	wantStatus(t, r, http.StatusCreated)
	env := r.Envelope(t)
	if got := keys(object(t, env.Data)); !slices.Equal(sorted(got), profileKeys) {
		t.Fatalf("profile keys = %v, want %v", sorted(got), profileKeys)
	}
	var p profileData
	r.Data(t, &p)
	if p.Username != "New_User-1" || p.Email != "new.user+tag@example.com" || p.Role != "user" ||
		!p.IsActive || p.EmailVerified || p.LastLoginAt != nil || p.CreatedAt.IsZero() {
		t.Fatalf("profile = %+v", p)
	}
	if strings.Contains(string(r.Body), "argon2") || strings.Contains(string(r.Body), "password") {
		t.Fatalf("profile leaks the password hash: %s", r.Body)
	}
}

func TestAuthRegisterDuplicates(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	wantStatus(t, register(app, "taken", "taken@example.com", strongPassword), http.StatusCreated)
	tests := []struct {
		username, email, code string
	}{
		{"taken", "other1@example.com", "USERNAME_ALREADY_EXISTS"},
		{"TAKEN", "other2@example.com", "USERNAME_ALREADY_EXISTS"},
		{"other3", "taken@example.com", "EMAIL_ALREADY_EXISTS"},
		{"other4", "TaKeN@ExAmPlE.cOm", "EMAIL_ALREADY_EXISTS"},
	}
	for _, tt := range tests {
		wantError(t, register(app, tt.username, tt.email, strongPassword), http.StatusConflict, tt.code)
	}
}

func TestAuthRegisterUsernameRules(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	tests := []struct{ username, rule string }{
		{"ab", auth.MsgUsernameLength},
		{strings.Repeat("a", 51), auth.MsgUsernameLength},
		{"has space", auth.MsgUsernameChars},
		{"dot.ted", auth.MsgUsernameChars},
		{"émile", auth.MsgUsernameChars},
		{"zero\u200bwidth", auth.MsgUsernameChars},
		{"ctrl\x01", auth.MsgUsernameChars},
	}
	for i, tt := range tests {
		r := register(app.Invalid(), tt.username, fmt.Sprintf("u%d@example.com", i), strongPassword)
		wantValidation(t, r, "username", tt.rule)
	}
	wantStatus(t, register(app, strings.Repeat("a", 50), "max@example.com", strongPassword), http.StatusCreated)
	wantStatus(t, register(app, "abc", "min@example.com", strongPassword), http.StatusCreated)
}

func TestAuthRegisterInvalidEmails(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	for i, email := range []string{
		"plain", "@example.com", "a@", "a@@example.com", "a@b@example.com", ".a@example.com", "a.@example.com",
		"a..b@example.com", strings.Repeat("a", 65) + "@example.com", "a@localhost", "a@example.c", "a@-x.com",
		"a@x-.com", "a@ex_ample.com", "a b@example.com", "ü@example.com", "a@example..com", "a\u200b@example.com",
		"a@" + strings.Repeat("b", 64) + ".com", strings.Repeat("a", 60) + "@" + strings.Repeat(strings.Repeat("b", 60)+".", 4) + "com",
	} {
		wantValidation(t, register(app.Invalid(), fmt.Sprintf("user%d", i), email, strongPassword), "email", auth.MsgEmailFormat)
	}
}

func TestAuthRegisterWeakPasswords(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	tests := []struct{ password, rule string }{
		{"Ab1!", auth.MsgPasswordLength},
		{"Aa1!" + strings.Repeat("x", 125), auth.MsgPasswordLength},
		{"alllowercase", auth.MsgPasswordClasses},
		{"ALLUPPERCASE1", auth.MsgPasswordClasses},
		{"lowerand1234", auth.MsgPasswordClasses},
		{"12345678!!!!", auth.MsgPasswordClasses},
	}
	for i, tt := range tests {
		wantValidation(t, register(app.Invalid(), fmt.Sprintf("weak%d", i), fmt.Sprintf("weak%d@example.com", i), tt.password), "password", tt.rule)
	}
}

func TestAuthRegisterCommonPasswords(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	for i, pw := range []string{"Password1", "PASSWORD123!", "P@ssw0rd", "Qwerty123", "Welcome1!", "Iloveyou1", "Admin@123", "Letmein1!"} {
		r := register(app, fmt.Sprintf("common%d", i), fmt.Sprintf("common%d@example.com", i), pw)
		wantValidation(t, r, "password", auth.MsgPasswordCommon)
	}
}

func TestAuthRegisterInvisibleCharacters(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	// A NUL is refused before the password rules see it, by the rule that
	// keeps unstorable text out of every field.
	wantValidation(t, register(app, "ctlnul", "ctlnul@example.com", "Correct7horse\x00"), "password", "")
	for i, pw := range []string{
		"Correct\t7horse", "Correct7horse\n", "Correct\u007f7horse",
		"Correct\u200b7horse", "Correct\u200c7horse", "Correct\u200d7horse", "\ufeffCorrect7horse", "Correct\u20607horse",
	} {
		r := register(app, fmt.Sprintf("ctl%d", i), fmt.Sprintf("ctl%d@example.com", i), pw)
		wantValidation(t, r, "password", auth.MsgPasswordChars)
	}
}

func TestAuthRegisterBodyShape(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	full := map[string]any{"username": "shape", "email": "shape@example.com", "password": strongPassword}
	for _, field := range []string{"username", "email", "password"} {
		body := map[string]any{}
		for k, v := range full {
			body[k] = v
		}
		delete(body, field)
		r := app.Invalid().PostJSON("/api/v1/auth/register", body)
		wantError(t, r, http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY")
		if r.ErrorField() != field {
			t.Fatalf("missing %s: field = %q", field, r.ErrorField())
		}
		body[field] = nil
		wantError(t, app.Invalid().PostJSON("/api/v1/auth/register", body), http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY")
	}
	body := map[string]any{"username": 42, "email": "shape@example.com", "password": strongPassword}
	wantError(t, app.Invalid().PostJSON("/api/v1/auth/register", body), http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY")
	wantError(t, app.Raw(http.MethodPost, "/api/v1/auth/register", "application/json", []byte(`{"username":`)),
		http.StatusBadRequest, "MALFORMED_JSON")
	wantError(t, app.Raw(http.MethodPost, "/api/v1/auth/register", "text/plain", []byte(`{}`)),
		http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE")
	full["unknown_field"] = true
	wantStatus(t, app.PostJSON("/api/v1/auth/register", full), http.StatusCreated)
}

func TestAuthLoginByUsernameAndEmail(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	app := apptest.New(t, withClock(clock))
	wantStatus(t, register(app, "Login_Me", "login.me@example.com", strongPassword), http.StatusCreated)
	for _, body := range []map[string]any{
		{"username": "Login_Me", "password": strongPassword},
		{"username": "login_me", "password": strongPassword},
		{"email": "login.me@example.com", "password": strongPassword},
		{"email": "LOGIN.ME@Example.Com", "password": strongPassword},
	} {
		r := login(app, body)
		wantStatus(t, r, http.StatusOK)
		var d loginData
		r.Data(t, &d)
		raw, err := base64.RawURLEncoding.DecodeString(d.SessionToken)
		if err != nil || len(raw) != 48 {
			t.Fatalf("token %q is not 48 bytes of base64url", d.SessionToken)
		}
		if !d.ExpiresAt.Equal(clock.Now().Add(24 * time.Hour)) {
			t.Fatalf("expires_at = %v, want now+24h (%v)", d.ExpiresAt, clock.Now().Add(24*time.Hour))
		}
		if d.User.Username != "Login_Me" || d.User.LastLoginAt == nil || !d.User.LastLoginAt.Equal(clock.Now()) {
			t.Fatalf("user = %+v", d.User)
		}
		wantStatus(t, app.GetAuth("/api/v1/auth/me", d.SessionToken), http.StatusOK)
	}
}

func TestAuthLoginNeedsExactlyOneIdentifier(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	u := app.CreateUser(apptest.UserOptions{})
	for _, body := range []map[string]any{
		{"password": u.Password},
		{"username": u.Username, "email": u.Email, "password": u.Password},
		{"username": "", "email": "", "password": u.Password},
		{"username": nil, "email": nil, "password": u.Password},
	} {
		wantValidation(t, login(app.Invalid(), body), "login", "")
	}
	r := login(app.Invalid(), map[string]any{"username": u.Username})
	wantError(t, r, http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY")
}

func TestAuthLoginFailuresLookAlike(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	u := app.CreateUser(apptest.UserOptions{})
	off := app.CreateUser(apptest.UserOptions{Inactive: true})
	responses := []*apptest.Response{
		login(app, map[string]any{"username": u.Username, "password": "Wrong7horse!"}),
		login(app, map[string]any{"email": u.Email, "password": "Wrong7horse!"}),
		login(app, map[string]any{"username": "nobody_here", "password": u.Password}),
		login(app, map[string]any{"email": "nobody@example.com", "password": u.Password}),
		login(app, map[string]any{"username": off.Username, "password": off.Password}),
	}
	for _, r := range responses {
		wantError(t, r, http.StatusUnauthorized, "INVALID_CREDENTIALS")
		if r.ErrorMessage() != responses[0].ErrorMessage() {
			t.Fatalf("messages differ: %q vs %q", r.ErrorMessage(), responses[0].ErrorMessage())
		}
	}
}

func TestAuthMe(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	u := app.CreateAuthUser(auth.RoleModerator)
	r := app.GetAuth("/api/v1/auth/me", u.Token)
	wantStatus(t, r, http.StatusOK)
	data := object(t, r.Envelope(t).Data)
	if got := sorted(keys(data)); !slices.Equal(got, []string{"email", "id", "role", "username"}) {
		t.Fatalf("me keys = %v", got)
	}
	var me struct{ ID, Username, Email, Role string }
	r.Data(t, &me)
	if me.ID != u.ID.String() || me.Username != u.Username || me.Email != u.Email || me.Role != "moderator" {
		t.Fatalf("me = %+v, want %+v", me, u.User)
	}
}

func TestAuthBearerHeader(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	u := app.CreateAuthUser(auth.RoleUser)
	unknown, _, _ := auth.NewSessionToken()
	tests := []struct {
		header string
		status int
	}{
		{"Bearer " + u.Token, http.StatusOK},
		{"bearer " + u.Token, http.StatusOK},
		{"BEARER " + u.Token, http.StatusOK},
		{"", http.StatusUnauthorized},
		{u.Token, http.StatusUnauthorized},
		{"Basic " + u.Token, http.StatusUnauthorized},
		{"Basic dXNlcjpwYXNz", http.StatusUnauthorized},
		{"Bearer", http.StatusUnauthorized},
		{"Bearer ", http.StatusUnauthorized},
		{"Bearer " + unknown, http.StatusUnauthorized},
		{"Bearer not-a-token", http.StatusUnauthorized},
		{"Bearer " + u.Token + "x", http.StatusUnauthorized},
		{"Token " + u.Token, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		req := app.NewRequest(http.MethodGet, "/api/v1/auth/me", nil)
		if tt.header != "" {
			req.Header.Set("Authorization", tt.header)
		}
		r := app.Do(req)
		if r.Status != tt.status {
			t.Fatalf("Authorization %q: status %d, want %d", tt.header, r.Status, tt.status)
		}
		if tt.status == http.StatusUnauthorized {
			wantError(t, r, http.StatusUnauthorized, "UNAUTHORIZED")
			if r.Header.Get("WWW-Authenticate") != "Bearer" {
				t.Fatalf("401 without WWW-Authenticate: Bearer")
			}
		}
	}
}

func TestAuthLogout(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	u := app.CreateUser(apptest.UserOptions{})
	first, second := app.Login(u.Username, u.Password), app.Login(u.Username, u.Password)
	wantStatus(t, app.GetAuth("/api/v1/auth/me", first), http.StatusOK) // now cached
	r := app.PostJSONAuth("/api/v1/auth/logout", first, nil)
	wantStatus(t, r, http.StatusOK)
	wantError(t, app.GetAuth("/api/v1/auth/me", first), http.StatusUnauthorized, "UNAUTHORIZED")
	wantError(t, app.PostJSONAuth("/api/v1/auth/logout", first, nil), http.StatusUnauthorized, "UNAUTHORIZED")
	wantStatus(t, app.GetAuth("/api/v1/auth/me", second), http.StatusOK)
	if n := app.SessionCount(u.ID); n != 1 {
		t.Fatalf("%d sessions left, want 1", n)
	}
}

func TestAuthLogoutAll(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	u := app.CreateUser(apptest.UserOptions{})
	other := app.CreateAuthUser(auth.RoleUser)
	tokens := []string{app.Login(u.Username, u.Password), app.NewSession(u.ID), app.NewSession(u.ID)}
	for _, tok := range tokens {
		wantStatus(t, app.GetAuth("/api/v1/auth/me", tok), http.StatusOK)
	}
	r := app.PostJSONAuth("/api/v1/auth/logout-all", tokens[0], nil)
	wantStatus(t, r, http.StatusOK)
	if msg := r.Envelope(t).Message; msg == nil || *msg != "Ended 3 session(s)" {
		t.Fatalf("message = %v, want Ended 3 session(s)", msg)
	}
	for _, tok := range tokens {
		wantError(t, app.GetAuth("/api/v1/auth/me", tok), http.StatusUnauthorized, "UNAUTHORIZED")
	}
	wantStatus(t, app.GetAuth("/api/v1/auth/me", other.Token), http.StatusOK)
}

func TestAuthRefresh(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	app := apptest.New(t, withClock(clock))
	u := app.CreateUser(apptest.UserOptions{})
	tok := app.Login(u.Username, u.Password)
	clock.Advance(time.Hour)
	r := app.PostJSONAuth("/api/v1/auth/refresh", tok, nil)
	wantStatus(t, r, http.StatusOK)
	var d struct {
		ExpiresAt   time.Time `json:"expires_at"`
		RefreshedAt time.Time `json:"refreshed_at"`
	}
	r.Data(t, &d)
	if !d.RefreshedAt.Equal(clock.Now()) || !d.ExpiresAt.Equal(clock.Now().Add(24*time.Hour)) {
		t.Fatalf("refresh = %+v at %v", d, clock.Now())
	}
	clock.Advance(4*time.Minute + 59*time.Second)
	r = app.PostJSONAuth("/api/v1/auth/refresh", tok, nil)
	wantError(t, r, http.StatusConflict, "CONFLICT")
	if !strings.HasPrefix(r.ErrorMessage(), "Cannot refresh token yet") {
		t.Fatalf("message = %q", r.ErrorMessage())
	}
	if r.Header.Get("Retry-After") != "1" {
		t.Fatalf("Retry-After = %q, want 1", r.Header.Get("Retry-After"))
	}
	clock.Advance(time.Second)
	wantStatus(t, app.PostJSONAuth("/api/v1/auth/refresh", tok, nil), http.StatusOK)
	// The refreshed session outlives the original expiry.
	clock.Advance(24*time.Hour - time.Minute)
	wantStatus(t, app.GetAuth("/api/v1/auth/me", tok), http.StatusOK)
	wantError(t, app.PostJSON("/api/v1/auth/refresh", nil), http.StatusUnauthorized, "UNAUTHORIZED")
}

func TestAuthSessionExpires(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	app := apptest.New(t, withClock(clock))
	u := app.CreateUser(apptest.UserOptions{})
	tok := app.Login(u.Username, u.Password)
	clock.Advance(24*time.Hour - time.Second)
	wantStatus(t, app.GetAuth("/api/v1/auth/me", tok), http.StatusOK)
	clock.Advance(time.Second)
	wantError(t, app.GetAuth("/api/v1/auth/me", tok), http.StatusUnauthorized, "UNAUTHORIZED")
	wantError(t, app.PostJSONAuth("/api/v1/auth/refresh", tok, nil), http.StatusUnauthorized, "UNAUTHORIZED")
}

func TestAuthSessionLifetimeConfigurable(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	app := apptest.New(t, withClock(clock), apptest.WithConfig(func(c *config.Config) { c.Auth.SessionLifetime = time.Hour }))
	u := app.CreateUser(apptest.UserOptions{})
	var d loginData
	login(app, map[string]any{"username": u.Username, "password": u.Password}).Data(t, &d)
	if !d.ExpiresAt.Equal(clock.Now().Add(time.Hour)) {
		t.Fatalf("expires_at = %v, want now+1h", d.ExpiresAt)
	}
	clock.Advance(time.Hour)
	wantError(t, app.GetAuth("/api/v1/auth/me", d.SessionToken), http.StatusUnauthorized, "UNAUTHORIZED")
}

func TestAuthIdleSessionsEndedOnLogin(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	u := app.CreateUser(apptest.UserOptions{})
	idle, recent := app.NewSession(u.ID), app.NewSession(u.ID)
	_, err := app.DB.Exec(context.Background(), `UPDATE sessions SET last_activity_at = now() - interval '31 days',
		expires_at = now() + interval '1 day' WHERE token_hash = $1`, tokenHash(idle))
	if err != nil {
		t.Fatal(err)
	}
	wantError(t, app.GetAuth("/api/v1/auth/me", idle), http.StatusUnauthorized, "UNAUTHORIZED")
	app.Login(u.Username, u.Password)
	var n int
	if err := app.DB.QueryRow(context.Background(), `SELECT count(*) FROM sessions WHERE token_hash = $1`, tokenHash(idle)).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatal("the idle session survived a login")
	}
	wantStatus(t, app.GetAuth("/api/v1/auth/me", recent), http.StatusOK)
	if got := app.SessionCount(u.ID); got != 2 {
		t.Fatalf("%d sessions, want the recent one and the new one", got)
	}
}

func TestAuthLastActivityThrottled(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	app := apptest.New(t, withClock(clock))
	u := app.CreateUser(apptest.UserOptions{})
	tok := app.Login(u.Username, u.Password)
	start := clock.Now()
	lastActivity := func() time.Time {
		var at time.Time
		if err := app.DB.QueryRow(context.Background(), `SELECT last_activity_at FROM sessions WHERE token_hash = $1`, tokenHash(tok)).Scan(&at); err != nil {
			t.Fatal(err)
		}
		return at
	}
	for range 3 {
		clock.Advance(15 * time.Second)
		wantStatus(t, app.GetAuth("/api/v1/auth/me", tok), http.StatusOK)
	}
	if at := lastActivity(); !at.Equal(start) {
		t.Fatalf("last_activity_at written within the first minute: %v, want %v", at, start)
	}
	clock.Advance(16 * time.Second)
	wantStatus(t, app.GetAuth("/api/v1/auth/me", tok), http.StatusOK)
	if at := lastActivity(); !at.Equal(clock.Now()) {
		t.Fatalf("last_activity_at = %v after a minute, want %v", at, clock.Now())
	}
}

func TestAuthRevocationImmediateDespiteCache(t *testing.T) {
	t.Parallel()
	app := apptest.New(t, apptest.WithConfig(func(c *config.Config) { c.Auth.CacheTTL = time.Hour }))
	admin := app.CreateAuthUser(auth.RoleAdmin)
	u := app.CreateAuthUser(auth.RoleUser)
	wantStatus(t, app.GetAuth("/api/v1/auth/me", u.Token), http.StatusOK)
	wantStatus(t, app.PutJSONAuth("/api/v1/users/"+u.ID.String()+"/role", admin.Token, map[string]any{"role": "moderator"}), http.StatusOK)
	var me struct{ Role string }
	app.GetAuth("/api/v1/auth/me", u.Token).Data(t, &me)
	if me.Role != "moderator" {
		t.Fatalf("role after promotion = %q: the cache served a stale principal", me.Role)
	}
	wantStatus(t, app.PutJSONAuth("/api/v1/users/"+u.ID.String()+"/status", admin.Token, map[string]any{"is_active": false}), http.StatusOK)
	wantError(t, app.GetAuth("/api/v1/auth/me", u.Token), http.StatusUnauthorized, "UNAUTHORIZED")
}

func TestAuthExpiredSessionsCleanedUp(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	app := apptest.New(t, withClock(clock), apptest.WithConfig(func(c *config.Config) { c.Auth.CleanupInterval = 20 * time.Millisecond }))
	u := app.CreateUser(apptest.UserOptions{})
	app.NewSession(u.ID)
	app.NewSession(u.ID)
	keep := app.CreateAuthUser(auth.RoleUser)
	clock.Advance(25 * time.Hour)
	app.NewSession(keep.ID)
	deadline := time.Now().Add(20 * time.Second)
	for app.SessionCount(u.ID) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("expired sessions were not cleaned up")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := app.SessionCount(keep.ID); n != 1 {
		t.Fatalf("clean-up left %d live sessions, want 1", n)
	}
}

func TestAuthRateLimitAccountLock(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	app := apptest.New(t, withClock(clock), apptest.WithConfig(func(c *config.Config) {
		c.Auth.LoginAccountFailures = 3
		c.Auth.LoginAccountWindow = 10 * time.Minute
	}))
	u := app.CreateUser(apptest.UserOptions{})
	other := app.CreateUser(apptest.UserOptions{})
	for range 3 {
		wantError(t, login(app, map[string]any{"username": u.Username, "password": "Wrong7horse!"}), http.StatusUnauthorized, "INVALID_CREDENTIALS")
	}
	clock.Advance(time.Minute)
	for _, body := range []map[string]any{
		{"username": u.Username, "password": u.Password},
		{"email": u.Email, "password": u.Password},
	} {
		r := login(app, body)
		wantError(t, r, http.StatusTooManyRequests, "RATE_LIMITED")
		if r.Header.Get("Retry-After") != "540" {
			t.Fatalf("Retry-After = %q, want 540", r.Header.Get("Retry-After"))
		}
	}
	app.Login(other.Username, other.Password)
	clock.Advance(9 * time.Minute)
	app.Login(u.Username, u.Password)
}

func TestAuthRateLimitSuccessResetsAccountFailures(t *testing.T) {
	t.Parallel()
	app := apptest.New(t, apptest.WithConfig(func(c *config.Config) { c.Auth.LoginAccountFailures = 2 }))
	u := app.CreateUser(apptest.UserOptions{})
	for range 3 {
		wantError(t, login(app, map[string]any{"username": u.Username, "password": "Wrong7horse!"}), http.StatusUnauthorized, "INVALID_CREDENTIALS")
		app.Login(u.Username, u.Password)
	}
}

func TestAuthRateLimitIPFailures(t *testing.T) {
	t.Parallel()
	app := apptest.New(t, apptest.WithConfig(func(c *config.Config) { c.Auth.LoginIPFailures = 3 }))
	u := app.CreateUser(apptest.UserOptions{})
	for i := range 3 {
		r := login(app, map[string]any{"username": fmt.Sprintf("nobody%d", i), "password": "Wrong7horse!"})
		wantError(t, r, http.StatusUnauthorized, "INVALID_CREDENTIALS")
	}
	r := login(app, map[string]any{"username": u.Username, "password": u.Password})
	wantError(t, r, http.StatusTooManyRequests, "RATE_LIMITED")
	if secs, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || secs < 1 || secs > 900 {
		t.Fatalf("Retry-After = %q, want 1–900 seconds", r.Header.Get("Retry-After"))
	}
}

func TestAuthRateLimitIPRequests(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	app := apptest.New(t, withClock(clock), apptest.WithConfig(func(c *config.Config) { c.Auth.IPRequests = 3 }))
	u := app.CreateAuthUser(auth.RoleUser)
	wantStatus(t, register(app, "limited", "limited@example.com", strongPassword), http.StatusCreated)
	wantError(t, login(app, map[string]any{"username": "limited", "password": "Wrong7horse!"}), http.StatusUnauthorized, "INVALID_CREDENTIALS")
	wantStatus(t, app.PostJSONAuth("/api/v1/auth/refresh", u.Token, nil), http.StatusOK)
	for _, r := range []*apptest.Response{
		register(app, "limited2", "limited2@example.com", strongPassword),
		login(app, map[string]any{"username": "limited", "password": strongPassword}),
		app.PostJSONAuth("/api/v1/auth/refresh", u.Token, nil),
	} {
		wantError(t, r, http.StatusTooManyRequests, "RATE_LIMITED")
		if r.Header.Get("Retry-After") != "60" {
			t.Fatalf("Retry-After = %q, want 60", r.Header.Get("Retry-After"))
		}
	}
	// Other routes are not limited.
	wantStatus(t, app.GetAuth("/api/v1/auth/me", u.Token), http.StatusOK)
	clock.Advance(time.Minute)
	app.Login("limited", strongPassword)
}

func TestAuthInitialAdmin(t *testing.T) {
	t.Parallel()
	app := apptest.New(t, apptest.WithConfig(func(c *config.Config) {
		c.InitialAdmin.Password = "Init1al-Admin!"
		c.InitialAdmin.Username = "root_admin"
	}))
	tok := app.Login("root_admin", "Init1al-Admin!")
	var me struct{ Role, Email string }
	app.GetAuth("/api/v1/auth/me", tok).Data(t, &me)
	if me.Role != "admin" || me.Email != "admin@example.com" {
		t.Fatalf("initial admin = %+v", me)
	}
	// A second start on the same database creates no second admin.
	cfg := *app.Config
	cfg.InitialAdmin.Username = "second_admin"
	a, err := app2(t, &cfg)
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	var n int
	if err := app.DB.QueryRow(context.Background(), `SELECT count(*) FROM users WHERE role = 'admin'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d admins after a second start (%v), want 1", n, err)
	}
}

func app2(t *testing.T, cfg *config.Config) (*app.App, error) {
	t.Helper()
	return app.New(context.Background(), cfg, app.NewLogger(testWriter{t}, "error"))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

func TestAuthInitialAdminWeakPasswordFailsStartup(t *testing.T) {
	t.Parallel()
	ta := apptest.New(t)
	for _, pw := range []string{"short", "Password1", "nouppercase1"} {
		cfg := *ta.Config
		cfg.InitialAdmin.Password = pw
		err := app.CheckConfig(&cfg)
		if err == nil || !strings.Contains(err.Error(), "INITIAL_ADMIN_PASSWORD") || strings.Contains(err.Error(), pw) {
			t.Fatalf("CheckConfig with %q = %v, want an error naming INITIAL_ADMIN_PASSWORD without the value", pw, err)
		}
		// Start-up checks again, for a configuration that skipped Validate.
		a, err := app2(t, &cfg)
		if err == nil {
			a.Close()
		}
		if err == nil || !strings.Contains(err.Error(), "INITIAL_ADMIN_PASSWORD") {
			t.Fatalf("app.New with %q = %v, want an error naming INITIAL_ADMIN_PASSWORD", pw, err)
		}
	}
}

// After a realistic session of use, no table holds a token or a password in
// plain text: sessions keep SHA-256 hashes, users argon2id PHC strings.
func TestAuthDatabaseHoldsNoSecrets(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	app := apptest.New(t, withClock(clock))
	passwords := []string{strongPassword, "Second7horse!", "Third-7horse"}
	wantStatus(t, register(app, "secretive", "secretive@example.com", passwords[0]), http.StatusCreated)
	var tokens []string
	for range 2 {
		tokens = append(tokens, app.Login("secretive", passwords[0]))
	}
	wantStatus(t, app.PostJSONAuth("/api/v1/auth/refresh", tokens[0], nil), http.StatusOK)
	wantStatus(t, app.PutJSONAuth("/api/v1/users/me/password", tokens[0],
		map[string]any{"current_password": passwords[0], "new_password": passwords[1]}), http.StatusOK)
	admin := app.CreateAuthUser(auth.RoleAdmin)
	tokens = append(tokens, admin.Token)
	var me struct{ ID string }
	app.GetAuth("/api/v1/auth/me", tokens[0]).Data(t, &me)
	wantStatus(t, app.PostJSONAuth("/api/v1/users/"+me.ID+"/reset-password", admin.Token,
		map[string]any{"new_password": passwords[2]}), http.StatusOK)
	tokens = append(tokens, app.Login("secretive", passwords[2]))

	dump := dumpDatabase(t, app)
	for _, secret := range append(passwords, tokens...) {
		if strings.Contains(dump, secret) {
			t.Fatalf("the database holds %q in plain text", secret)
		}
	}
	a := app.Config.Auth
	if phc := fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$", a.HashMemoryKiB, a.HashIterations, a.HashParallelism); !strings.Contains(dump, phc) {
		t.Fatalf("no argon2id PHC string %s… with the configured parameters in the dump", phc)
	}
	var n int
	if err := app.DB.QueryRow(context.Background(), `SELECT count(*) FROM sessions WHERE token_hash = $1`, tokenHash(tokens[3])).Scan(&n); err != nil || n != 1 {
		t.Fatalf("the session of the last token is not stored by its SHA-256 (%d, %v)", n, err)
	}
}

// dumpDatabase is the text of every row of every table of the public schema.
func dumpDatabase(t *testing.T, app *apptest.TestApp) string {
	t.Helper()
	ctx := context.Background()
	rows, err := app.DB.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || !slices.Contains(tables, "users") || !slices.Contains(tables, "sessions") {
		t.Fatalf("tables = %v, %v", tables, err)
	}
	var b strings.Builder
	for _, table := range tables {
		rows, err := app.DB.Query(ctx, `SELECT t::text FROM `+pgx.Identifier{table}.Sanitize()+` t`)
		if err != nil {
			t.Fatal(err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range lines {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func tokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

func registerFrom(app *apptest.TestApp, forwardedFor, username string) *apptest.Response {
	body := fmt.Sprintf(`{"username":%q,"email":"%s@example.com","password":%q}`, username, username, strongPassword)
	req := app.NewRequest(http.MethodPost, "/api/v1/auth/register", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", forwardedFor)
	return app.Do(req)
}

// Without trusted proxies the client IP is the peer address: a forged
// X-Forwarded-For does not escape the limit.
func TestAuthRateLimitIgnoresForwardedForByDefault(t *testing.T) {
	t.Parallel()
	app := apptest.New(t, apptest.WithConfig(func(c *config.Config) { c.Auth.IPRequests = 2 }))
	wantStatus(t, registerFrom(app, "198.51.100.1", "fwd1"), http.StatusCreated)
	wantStatus(t, registerFrom(app, "198.51.100.2", "fwd2"), http.StatusCreated)
	wantError(t, registerFrom(app, "198.51.100.3", "fwd3"), http.StatusTooManyRequests, "RATE_LIMITED")
}

// Behind a trusted proxy, X-Forwarded-For names the client.
func TestAuthRateLimitTrustedProxy(t *testing.T) {
	t.Parallel()
	app := apptest.New(t, apptest.WithConfig(func(c *config.Config) {
		c.Auth.IPRequests = 1
		c.TrustedProxies = []string{"127.0.0.1"}
	}))
	wantStatus(t, registerFrom(app, "198.51.100.1", "prx1"), http.StatusCreated)
	wantStatus(t, registerFrom(app, "198.51.100.2", "prx2"), http.StatusCreated)
	wantError(t, registerFrom(app, "198.51.100.1", "prx3"), http.StatusTooManyRequests, "RATE_LIMITED")
}

func TestAuthLoginRecordsUserAgent(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	u := app.CreateUser(apptest.UserOptions{})
	var d loginData
	login(app, map[string]any{"username": u.Username, "password": u.Password, "user_agent": "starter-test/1.0"}).Data(t, &d)
	var ua string
	if err := app.DB.QueryRow(context.Background(), `SELECT user_agent FROM sessions WHERE token_hash = $1`, tokenHash(d.SessionToken)).Scan(&ua); err != nil {
		t.Fatal(err)
	}
	if ua != "starter-test/1.0" {
		t.Fatalf("user_agent = %q", ua)
	}
}

func TestAuthLogoutAllSingle(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	u := app.CreateAuthUser(auth.RoleUser)
	r := app.PostJSONAuth("/api/v1/auth/logout-all", u.Token, nil)
	wantStatus(t, r, http.StatusOK)
	var d struct {
		SessionsEnded int `json:"sessions_ended"`
	}
	r.Data(t, &d)
	if msg := r.Envelope(t).Message; msg == nil || *msg != "Ended 1 session(s)" || d.SessionsEnded != 1 {
		t.Fatalf("message = %v, data = %+v", msg, d)
	}
}

// With the token cache off every request reads the session, and logout and
// throttled activity behave the same.
func TestAuthWithoutCache(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	app := apptest.New(t, withClock(clock), apptest.WithConfig(func(c *config.Config) { c.Auth.CacheTTL = 0 }))
	u := app.CreateUser(apptest.UserOptions{})
	tok := app.Login(u.Username, u.Password)
	for range 3 {
		wantStatus(t, app.GetAuth("/api/v1/auth/me", tok), http.StatusOK)
	}
	clock.Advance(2 * time.Minute)
	wantStatus(t, app.GetAuth("/api/v1/auth/me", tok), http.StatusOK)
	var at time.Time
	if err := app.DB.QueryRow(context.Background(), `SELECT last_activity_at FROM sessions WHERE token_hash = $1`, tokenHash(tok)).Scan(&at); err != nil || !at.Equal(clock.Now()) {
		t.Fatalf("last_activity_at = %v (%v), want %v", at, err, clock.Now())
	}
	wantStatus(t, app.PostJSONAuth("/api/v1/auth/logout", tok, nil), http.StatusOK)
	wantError(t, app.GetAuth("/api/v1/auth/me", tok), http.StatusUnauthorized, "UNAUTHORIZED")
}

// A session deleted behind the service's back (another instance's logout)
// stops working once the cache entry ages out, never later.
func TestAuthCacheBoundsRevocationByOtherInstances(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	app := apptest.New(t, withClock(clock), apptest.WithConfig(func(c *config.Config) { c.Auth.CacheTTL = 5 * time.Second }))
	u := app.CreateAuthUser(auth.RoleUser)
	wantStatus(t, app.GetAuth("/api/v1/auth/me", u.Token), http.StatusOK)
	if _, err := app.DB.Exec(context.Background(), `DELETE FROM sessions WHERE user_id = $1`, u.ID); err != nil {
		t.Fatal(err)
	}
	clock.Advance(5 * time.Second)
	wantError(t, app.GetAuth("/api/v1/auth/me", u.Token), http.StatusUnauthorized, "UNAUTHORIZED")
}

// Concurrent wrong passwords cannot overrun the account limit while their
// argon2id checks run: each attempt takes its failure slot first.
func TestAuthRateLimitConcurrentFailures(t *testing.T) {
	t.Parallel()
	app := apptest.New(t, apptest.WithConfig(func(c *config.Config) { c.Auth.LoginAccountFailures = 3 }))
	u := app.CreateUser(apptest.UserOptions{})
	const attempts = 10
	var wg sync.WaitGroup
	statuses := make([]int, attempts)
	start := make(chan struct{})
	for i := range attempts {
		wg.Go(func() {
			<-start
			statuses[i] = login(app, map[string]any{"username": u.Username, "password": "Wrong7horse!"}).Status
		})
	}
	close(start)
	wg.Wait()
	counts := map[int]int{}
	for _, s := range statuses {
		counts[s]++
	}
	if counts[http.StatusUnauthorized] != 3 || counts[http.StatusTooManyRequests] != attempts-3 {
		t.Fatalf("statuses %v: want exactly 3 checked attempts and the rest refused", counts)
	}
}

// The access log line of an authenticated request names the caller; that
// of an anonymous one has no user_id at all.
func TestAccessLogNamesCaller(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	u := app.CreateAuthUser(auth.RoleUser)
	cases := []struct {
		name, path, token string
		want              any
	}{
		{"authenticated", "/api/v1/auth/me", u.Token, u.ID.String()},
		{"anonymous", "/api/v1/health/live", "", nil},
	}
	for _, tc := range cases {
		r := app.GetAuth(tc.path, tc.token)
		var entry map[string]any
		if err := json.Unmarshal([]byte(logLine(t, app, r.Header.Get("X-Request-ID"), "request")), &entry); err != nil {
			t.Fatal(err)
		}
		if got, ok := entry["user_id"]; got != tc.want || ok != (tc.want != nil) {
			t.Errorf("%s: user_id %v (present: %v), want %v", tc.name, got, ok, tc.want)
		}
	}
}
