package tests

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"example.com/demo/internal/apptest"
	"example.com/demo/internal/auth"
	"example.com/demo/internal/config"
	"example.com/demo/internal/console"
)

// consoleApp is a service with a moderator, an admin and a user, each
// signed in.
type consoleApp struct {
	app              *apptest.TestApp
	user, mod, admin apptest.AuthUser
}

func setupConsole(t *testing.T, opts ...apptest.Option) consoleApp {
	t.Helper()
	app := newApp(t, opts...)
	return consoleApp{app: app, user: app.CreateAuthUser(auth.RoleUser),
		mod: app.CreateAuthUser(auth.RoleModerator), admin: app.CreateAuthUser(auth.RoleAdmin)}
}

func wantPage(t *testing.T, r *apptest.Response, status int, contains ...string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status = %d, want %d: %.400s", r.Status, status, r.Body)
	}
	for _, s := range contains {
		if !strings.Contains(string(r.Body), s) {
			t.Fatalf("the page does not say %q: %.2000s", s, r.Body)
		}
	}
}

// loginForm fetches the login page and returns its form token and cookie.
func loginForm(t *testing.T, app *apptest.TestApp) (csrf string, cookie *http.Cookie) {
	t.Helper()
	r := app.Console("").Get("/console/login")
	wantPage(t, r, http.StatusOK, "Sign in")
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(r.Body)
	if m == nil {
		t.Fatalf("no csrf field on the login page: %s", r.Body)
	}
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == "console_login" {
			cookie = c
		}
	}
	if cookie == nil || cookie.Value != string(m[1]) {
		t.Fatalf("the login cookie does not carry the form's token: %v", r.Header["Set-Cookie"])
	}
	return string(m[1]), cookie
}

func postLogin(t *testing.T, app *apptest.TestApp, login, password, csrf string, cookie *http.Cookie) *apptest.Response {
	t.Helper()
	form := url.Values{"login": {login}, "password": {password}, "csrf": {csrf}}
	req := app.NewRequest(http.MethodPost, "/console/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if cookie != nil {
		req.AddCookie(cookie)
	}
	return app.Do(req)
}

func sessionCookie(r *apptest.Response) *http.Cookie {
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == "console_session" {
			return c
		}
	}
	return nil
}

// The console's login opens a session like the API's: a moderator gets an
// HttpOnly, SameSite=Strict, Secure (outside development) cookie that the
// console accepts; a wrong password, a user, or a form without its token
// get no session.
func TestConsoleLogin(t *testing.T) {
	t.Parallel()
	a := setupConsole(t)
	csrf, cookie := loginForm(t, a.app)

	wantPage(t, postLogin(t, a.app, a.mod.Username, "Wrong-Passw0rd!", csrf, cookie), http.StatusUnauthorized, "Invalid")
	wantPage(t, postLogin(t, a.app, a.mod.Username, a.mod.Password, "forged", cookie), http.StatusForbidden)
	wantPage(t, postLogin(t, a.app, a.mod.Username, a.mod.Password, csrf, nil), http.StatusForbidden)

	before := a.app.SessionCount(a.user.ID)
	r := postLogin(t, a.app, a.user.Username, a.user.Password, csrf, cookie)
	wantPage(t, r, http.StatusForbidden, "moderators and admins")
	if sessionCookie(r) != nil || a.app.SessionCount(a.user.ID) != before {
		t.Fatalf("a user got a console session: %v", r.Header["Set-Cookie"])
	}

	r = postLogin(t, a.app, a.mod.Email, a.mod.Password, csrf, cookie)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/console" {
		t.Fatalf("login: %d to %q: %s", r.Status, r.Header.Get("Location"), r.Body)
	}
	c := sessionCookie(r)
	if c == nil || !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteStrictMode || c.Path != "/console" {
		t.Fatalf("session cookie %+v", c)
	}
	wantPage(t, a.app.Console(c.Value).Get("/console"), http.StatusOK, "Overview", a.mod.Username)
}

// In development the cookie is not Secure: a local server speaks plain HTTP.
func TestConsoleCookieInDevelopment(t *testing.T) {
	t.Parallel()
	a := setupConsole(t, apptest.WithConfig(func(c *config.Config) { c.Env = config.EnvDevelopment }))
	csrf, cookie := loginForm(t, a.app)
	c := sessionCookie(postLogin(t, a.app, a.admin.Username, a.admin.Password, csrf, cookie))
	if c == nil || c.Secure || !c.HttpOnly {
		t.Fatalf("session cookie %+v", c)
	}
}

// Every page is for moderators and admins, the users pages for admins;
// without a session a page sends the browser to the login.
func TestConsoleRoles(t *testing.T) {
	t.Parallel()
	a := setupConsole(t)
	pages := []struct {
		path string
		min  auth.Role
	}{
		{"/console", auth.RoleModerator},
		{"/console/users", auth.RoleAdmin},
		{"/console/users/" + a.user.ID.String(), auth.RoleAdmin},
	}
	for _, p := range pages {
		r := a.app.Console("").Get(p.path)
		if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/console/login?next=") {
			t.Errorf("%s without a session: %d to %q", p.path, r.Status, r.Header.Get("Location"))
		}
		for _, u := range []apptest.AuthUser{a.user, a.mod, a.admin} {
			want := http.StatusOK
			if !u.Role.AtLeast(p.min) {
				want = http.StatusForbidden
			}
			if got := a.app.Console(u.Token).Get(p.path).Status; got != want {
				t.Errorf("%s as %s: %d, want %d", p.path, u.Role, got, want)
			}
		}
	}
	// An API bearer token is no console session, and a cookie no API token.
	if r := a.app.GetAuth("/api/v1/auth/me", ""); r.Status != http.StatusUnauthorized {
		t.Errorf("/auth/me without a token: %d", r.Status)
	}
}

// The console's pages carry their own CSP (scripts and styles from this
// origin only, nothing inline) and are not cached; its assets are
// versioned and cached for good, a stale version is 404.
func TestConsoleHeadersAndAssets(t *testing.T) {
	t.Parallel()
	a := setupConsole(t)
	r := a.app.Console(a.mod.Token).Get("/console")
	wantPage(t, r, http.StatusOK)
	csp := r.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "form-action 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe") || r.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("CSP %q, Cache-Control %q", csp, r.Header.Get("Cache-Control"))
	}
	assets := regexp.MustCompile(`(?:src|href)="(/console/assets/[0-9a-f]+/[^"]+)"`).FindAllSubmatch(r.Body, -1)
	if len(assets) != 5 {
		t.Fatalf("want 5 assets on the page (icon, style sheet, 2 scripts, licence), got %q", assets)
	}
	if regexp.MustCompile(`(?i)(src|href)="(https?:)?//`).Match(r.Body) {
		t.Fatalf("the page names another host")
	}
	for _, m := range assets {
		path := string(m[1])
		got := a.app.Console("").Get(path)
		if got.Status != http.StatusOK || !strings.Contains(got.Header.Get("Cache-Control"), "immutable") || len(got.Body) == 0 {
			t.Errorf("%s: %d %q", path, got.Status, got.Header.Get("Cache-Control"))
		}
		// The types come from a fixed list, the same on every host.
		types := map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
			".svg": "image/svg+xml", ".LICENSE": "text/plain; charset=utf-8"}
		if ct := got.Header.Get("Content-Type"); ct != types[filepath.Ext(path)] {
			t.Errorf("%s: Content-Type %q", path, ct)
		}
		if strings.HasSuffix(path, "/htmx.LICENSE") && !strings.Contains(string(got.Body), "Zero-Clause BSD") {
			t.Errorf("htmx's licence: %.100s", got.Body)
		}
		stale := regexp.MustCompile(`/assets/[0-9a-f]+/`).ReplaceAllString(path, "/assets/000000000000/")
		if got := a.app.Console("").Get(stale); got.Status != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", stale, got.Status)
		}
	}
}

// Every form behind the login needs the session's token and a same-origin
// request: a form from another site, or with another session's token,
// changes nothing.
func TestConsoleRefusesCrossSiteForms(t *testing.T) {
	t.Parallel()
	a := setupConsole(t)
	other := a.app.CreateAuthUser(auth.RoleAdmin)
	target := "/console/users/" + a.user.ID.String() + "/role"
	form := func(csrf string) url.Values {
		v := url.Values{"role": {"moderator"}, "confirm": {"yes"}}
		if csrf == "-" {
			v["csrf"] = nil // sent without the field
		} else {
			v.Set("csrf", csrf)
		}
		return v
	}
	cases := []struct {
		name   string
		csrf   string
		header map[string]string
	}{
		{"no token", "-", nil},
		{"empty token", "", nil},
		{"another session's token", consoleCSRF(other.Token), nil},
		{"cross-site", consoleCSRF(a.admin.Token), map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"other origin", consoleCSRF(a.admin.Token), map[string]string{"Origin": "https://evil.example"}},
	}
	for _, c := range cases {
		cc := a.app.Console(a.admin.Token)
		for k, v := range c.header {
			cc.Header.Set(k, v)
		}
		wantPage(t, cc.Post(target, form(c.csrf)), http.StatusForbidden)
		if role := userRole(t, a.app, a.user.ID.String()); role != "user" {
			t.Fatalf("%s: the role changed to %s", c.name, role)
		}
	}
	cc := a.app.Console(a.admin.Token)
	cc.Header.Set("Sec-Fetch-Site", "same-origin")
	r := cc.Post(target, form(consoleCSRF(a.admin.Token)))
	if r.Status != http.StatusSeeOther || userRole(t, a.app, a.user.ID.String()) != "moderator" {
		t.Fatalf("same-origin form with the token: %d %s", r.Status, r.Body)
	}
}

func userRole(t *testing.T, app *apptest.TestApp, id string) string {
	t.Helper()
	var role string
	if err := app.DB.QueryRow(context.Background(), `SELECT role FROM users WHERE id = $1`, id).Scan(&role); err != nil {
		t.Fatal(err)
	}
	return role
}

// Each users action asks first, then acts through the service's rules:
// the role, deactivation (sessions ended), a new password (sessions
// ended, the new one signs in); an admin's own account and moderators'
// reach stay as on the API.
func TestConsoleUserActions(t *testing.T) {
	t.Parallel()
	a := setupConsole(t)
	admin := a.app.Console(a.admin.Token)
	base := "/console/users/" + a.user.ID.String()

	wantPage(t, admin.Post(base+"/role", url.Values{"role": {"admin"}}), http.StatusOK, "Confirm", `name="confirm" value="yes"`)
	if userRole(t, a.app, a.user.ID.String()) != "user" {
		t.Fatal("the role changed before the confirmation")
	}
	r := admin.Post(base+"/role", url.Values{"role": {"moderator"}, "confirm": {"yes"}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != base || userRole(t, a.app, a.user.ID.String()) != "moderator" {
		t.Fatalf("set role: %d %s", r.Status, r.Body)
	}
	wantPage(t, admin.Post(base+"/role", url.Values{"role": {"root"}, "confirm": {"yes"}}), http.StatusBadRequest)

	wantPage(t, admin.Post(base+"/status", url.Values{"active": {"false"}, "reason": {"spam"}, "confirm": {"yes"}}), http.StatusSeeOther)
	var active bool
	if err := a.app.DB.QueryRow(context.Background(), `SELECT is_active FROM users WHERE id = $1`, a.user.ID).Scan(&active); err != nil || active {
		t.Fatalf("deactivate: active=%v err=%v", active, err)
	}
	if n := a.app.SessionCount(a.user.ID); n != 0 {
		t.Fatalf("deactivation left %d session(s)", n)
	}
	wantPage(t, admin.Post(base+"/status", url.Values{"active": {"true"}, "confirm": {"yes"}}), http.StatusSeeOther)

	// The form confirms itself; a confirmation page never echoes a password.
	wantPage(t, admin.Get(base), http.StatusOK, `<input type="hidden" name="confirm" value="yes">
    <label>New password`)
	if r := admin.Post(base+"/reset-password", url.Values{"new_password": {"Echoed-Passw0rd"}}); r.Status != http.StatusOK ||
		strings.Contains(string(r.Body), "Echoed-Passw0rd") {
		t.Fatalf("reset without confirm: %d, the page carries the password: %v", r.Status, strings.Contains(string(r.Body), "Echoed-Passw0rd"))
	}
	wantPage(t, admin.Post(base+"/reset-password", url.Values{"new_password": {"short"}, "confirm": {"yes"}}), http.StatusBadRequest)
	wantPage(t, admin.Post(base+"/reset-password", url.Values{"new_password": {"Brand-New-Passw0rd"}, "confirm": {"yes"}}), http.StatusSeeOther)
	a.app.Login(a.user.Username, "Brand-New-Passw0rd")

	// Own account: 400 as on the API; the last active admin stays one.
	own := "/console/users/" + a.admin.ID.String()
	wantPage(t, admin.Post(own+"/role", url.Values{"role": {"user"}, "confirm": {"yes"}}), http.StatusBadRequest)
	wantPage(t, admin.Get(own), http.StatusOK, "your own account")
	if userRole(t, a.app, a.admin.ID.String()) != "admin" {
		t.Fatal("an admin demoted themselves")
	}
	// Moderators have no users pages at all.
	wantPage(t, a.app.Console(a.mod.Token).Post(base+"/role", url.Values{"role": {"user"}, "confirm": {"yes"}}), http.StatusForbidden)
}

// The list searches username and email, and shows inactive accounts when asked.
func TestConsoleUsersList(t *testing.T) {
	t.Parallel()
	a := setupConsole(t)
	gone := a.app.CreateUser(apptest.UserOptions{Username: "zed_100", Inactive: true})
	admin := a.app.Console(a.admin.Token)
	wantPage(t, admin.Get("/console/users?q="+url.QueryEscape(a.mod.Username)), http.StatusOK, a.mod.Username)
	r := admin.Get("/console/users?q=" + url.QueryEscape(a.mod.Username))
	if strings.Contains(string(r.Body), a.user.Username) {
		t.Fatal("the search shows a user that does not match")
	}
	if strings.Contains(string(admin.Get("/console/users?q=zed").Body), gone.Username) {
		t.Fatal("an inactive account is listed without asking")
	}
	wantPage(t, admin.Get("/console/users?q=ZED_1&inactive=on"), http.StatusOK, gone.Username)
	if strings.Contains(string(admin.Get("/console/users?q=%25&inactive=on").Body), a.user.Username) {
		t.Fatal("% matched as a wildcard")
	}
}

// Signing out ends the session; console.enabled off serves no console.
func TestConsoleLogoutAndOff(t *testing.T) {
	t.Parallel()
	a := setupConsole(t)
	r := a.app.Console(a.mod.Token).Post("/console/logout", nil)
	if r.Status != http.StatusSeeOther || a.app.SessionCount(a.mod.ID) != 0 {
		t.Fatalf("logout: %d, sessions %d", r.Status, a.app.SessionCount(a.mod.ID))
	}
	if r := a.app.Console(a.mod.Token).Get("/console"); r.Status != http.StatusSeeOther {
		t.Fatalf("after logout: %d", r.Status)
	}
	off := setupConsole(t, apptest.WithConfig(func(c *config.Config) { c.Console.Enabled = false }))
	for _, p := range []string{"/console", "/console/login"} {
		if r := off.app.Console(off.admin.Token).Get(p); r.Status != http.StatusNotFound {
			t.Errorf("%s with the console off: %d", p, r.Status)
		}
	}
}

func consoleCSRF(token string) string { return console.CSRFToken(token) }
