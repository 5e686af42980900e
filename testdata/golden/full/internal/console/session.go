package console

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"example.com/demo/internal/apperr"
	"example.com/demo/internal/auth"
	"example.com/demo/internal/httpapi"
)

const (
	// SessionCookie holds the session token, as the API's bearer token:
	// the console's login opens an ordinary session.
	SessionCookie = "console_session"
	// loginCookie holds the random value the login form must echo (a
	// double-submitted token: there is no session yet to derive one from).
	loginCookie = "console_login"
	// flashCookie carries one message to the page after a redirect.
	flashCookie = "console_flash"

	principalKey = "console.principal"
	csrfKey      = "console.csrf"
)

// CSRFToken is the token the console's forms carry for the session of
// token (tests post forms with it).
func CSRFToken(token string) string { return csrfOf(token) }

// csrfOf is the CSRF token of a session: an HMAC keyed by its token, so
// each session has its own, nothing is stored, and only who holds the
// (HttpOnly) cookie can compute it.
func csrfOf(token string) string {
	mac := hmac.New(sha256.New, []byte(token))
	mac.Write([]byte("console csrf"))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func sameToken(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// setCookie writes a console cookie: HttpOnly, SameSite=Strict, scoped to
// /console, Secure unless configured off (development over plain HTTP).
func (cs *Console) setCookie(c *gin.Context, name, value string, maxAge time.Duration) {
	// Secure is off only in development, where the service speaks plain HTTP.
	http.SetCookie(c.Writer, &http.Cookie{ //nolint:gosec // Secure from Settings.SecureCookies
		Name: name, Value: value, Path: "/console", MaxAge: int(maxAge.Seconds()),
		HttpOnly: true, Secure: cs.settings.SecureCookies, SameSite: http.SameSiteStrictMode,
	})
}

func (cs *Console) clearCookie(c *gin.Context, name string) { cs.setCookie(c, name, "", -time.Second) }

// requireSession resolves the session cookie to its user, or sends the
// browser to the login page (htmx requests are told to go there whole).
func (cs *Console) requireSession(c *gin.Context) {
	if token, err := c.Cookie(SessionCookie); err == nil && token != "" {
		p, err := cs.auth.Authenticate(c.Request.Context(), token)
		if err == nil {
			c.Set(principalKey, p)
			c.Set(csrfKey, csrfOf(token))
			httpapi.SetUserID(c, p.UserID.String())
			c.Next()
			return
		}
	}
	login := "/console/login"
	if c.Request.Method == http.MethodGet {
		login += "?next=" + url.QueryEscape(c.Request.URL.RequestURI())
	}
	if c.GetHeader("HX-Request") != "" {
		c.Header("HX-Redirect", login)
		c.AbortWithStatus(http.StatusUnauthorized)
		return
	}
	c.Redirect(http.StatusSeeOther, login)
	c.Abort()
}

// checkCSRF refuses a form sent from another site or without the
// session's token. SameSite=Strict already keeps the cookie off cross-site
// requests; the token also stops a same-site page that is not the console.
func (cs *Console) checkCSRF(c *gin.Context) {
	if c.Request.Method == http.MethodGet || c.Request.Method == http.MethodHead {
		c.Next()
		return
	}
	if !sameOrigin(c.Request) || !sameToken(c.PostForm("csrf"), c.GetString(csrfKey)) {
		cs.fail(c, apperr.Forbidden("The form was not sent by this console, or its session changed: reload the page"))
		c.Abort()
		return
	}
	c.Next()
}

// sameOrigin reads what the browser says about where a request comes from:
// a request from another site or origin is refused; one that does not say
// (an old browser, a script) is left to the token. Under the service's
// "Referrer-Policy: no-referrer" browsers send "Origin: null" even for the
// console's own forms: that says nothing either.
func sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" || origin == "null" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == r.Host
}

// requireRole answers 403 to callers below min.
func (cs *Console) requireRole(min auth.Role) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !principal(c).Role.AtLeast(min) {
			cs.fail(c, apperr.Forbidden("The console is for "+string(min)+"s"+orAbove(min)))
			c.Abort()
			return
		}
		c.Next()
	}
}

func orAbove(min auth.Role) string {
	if min == auth.RoleAdmin {
		return ""
	}
	return " and admins"
}

// principal is the caller of a page behind requireSession.
func principal(c *gin.Context) auth.Principal {
	p, _ := c.Get(principalKey)
	pr, _ := p.(auth.Principal)
	return pr
}

func (cs *Console) handleLoginPage(c *gin.Context) error {
	cs.renderLogin(c, http.StatusOK, "")
	return nil
}

// renderLogin shows the login form with a fresh double-submit token.
func (cs *Console) renderLogin(c *gin.Context, status int, problem string) {
	token := randomToken()
	cs.setCookie(c, loginCookie, token, time.Hour)
	cs.render(c, status, "login", "Sign in", loginView{CSRF: token, Next: safeNext(c.Query("next"), ""), Problem: problem})
}

type loginView struct {
	CSRF    string
	Next    string
	Problem string
}

// handleLogin opens a session the way the API's login does (same rate
// limits, same answer whatever failed) and keeps its token in the cookie.
// An account below moderator gets no console, and its new session is
// ended at once.
func (cs *Console) handleLogin(c *gin.Context) error {
	want, _ := c.Cookie(loginCookie)
	if !sameOrigin(c.Request) || !sameToken(c.PostForm("csrf"), want) {
		cs.renderLogin(c, http.StatusForbidden, "The form expired: sign in again")
		return nil
	}
	in := auth.LoginInput{Password: c.PostForm("password"), UserAgent: c.GetHeader("User-Agent"), ClientIP: c.ClientIP()}
	if name := strings.TrimSpace(c.PostForm("login")); strings.Contains(name, "@") {
		in.Email = name
	} else {
		in.Username = name
	}
	res, err := cs.auth.Login(c.Request.Context(), in)
	if err != nil {
		e, ok := apperr.As(err)
		if !ok {
			return err
		}
		cs.renderLogin(c, httpapi.StatusOf(e.Code), e.Message)
		return nil
	}
	if !res.User.Role.AtLeast(auth.RoleModerator) {
		if p, err := cs.auth.Authenticate(c.Request.Context(), res.SessionToken); err == nil {
			_ = cs.auth.Logout(c.Request.Context(), p)
		}
		cs.renderLogin(c, http.StatusForbidden, "This account has no access to the console: it is for moderators and admins")
		return nil
	}
	cs.clearCookie(c, loginCookie)
	cs.setCookie(c, SessionCookie, res.SessionToken, time.Until(res.ExpiresAt))
	c.Redirect(http.StatusSeeOther, safeNext(c.PostForm("next"), "/console"))
	return nil
}

func (cs *Console) handleLogout(c *gin.Context) error {
	if err := cs.auth.Logout(c.Request.Context(), principal(c)); err != nil {
		return err
	}
	cs.clearCookie(c, SessionCookie)
	c.Redirect(http.StatusSeeOther, "/console/login")
	return nil
}

// safeNext is where to go after a form: a console path, never another
// site ("//host" or a scheme), else def.
func safeNext(next, def string) string {
	if next == "/console" || strings.HasPrefix(next, "/console/") || strings.HasPrefix(next, "/console?") {
		if !strings.ContainsAny(next, "\\\r\n") {
			return next
		}
	}
	return def
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
