package console

import (
	"bytes"
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"example.com/demo/internal/apperr"
	"example.com/demo/internal/auth"
	"example.com/demo/internal/httpapi"
)

// pageCSP is the console's Content-Security-Policy: the service's own
// ("default-src 'none'") opened only to the console's scripts, style
// sheet and requests, all from this origin. No inline script or style.
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

//go:embed pages/*.html parts/*.html
var viewFS embed.FS

// views are the parsed templates: every page is parts/*.html (the layout
// and the pieces pages share) plus its own file.
type views struct {
	parts  *template.Template
	pages  map[string]*template.Template
	assets *assets
}

func loadViews() (*views, error) {
	a, err := loadAssets()
	if err != nil {
		return nil, err
	}
	parts, err := template.New("").Funcs(funcs(a)).ParseFS(viewFS, "parts/*.html")
	if err != nil {
		return nil, fmt.Errorf("console templates: %w", err)
	}
	names, err := fs.Glob(viewFS, "pages/*.html")
	if err != nil {
		return nil, fmt.Errorf("console templates: %w", err)
	}
	v := &views{parts: parts, pages: map[string]*template.Template{}, assets: a}
	for _, name := range names {
		t, err := template.Must(parts.Clone()).ParseFS(viewFS, name)
		if err != nil {
			return nil, fmt.Errorf("console templates: %w", err)
		}
		v.pages[strings.TrimSuffix(path.Base(name), ".html")] = t
	}
	return v, nil
}

// funcs are the helpers templates may call.
func funcs(a *assets) template.FuncMap {
	return template.FuncMap{
		"asset": a.url,
		"when": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.UTC().Format("2006-01-02 15:04:05")
		},
		"ago": func(t time.Time) string { return ago(time.Since(t)) },
		"pretty": func(raw []byte) string {
			var buf bytes.Buffer
			if len(raw) == 0 || json.Indent(&buf, raw, "", "  ") != nil {
				return string(raw)
			}
			return buf.String()
		},
	}
}

// ago says how long ago in the largest whole unit.
func ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	}
	return fmt.Sprintf("%dd ago", int(d.Hours()/24))
}

// layout is what the layout template reads; Data is the page's own.
type layout struct {
	Title string
	User  auth.Principal
	CSRF  string
	Nav   []NavLink
	Path  string
	// Self is the page's own URL, which its live part asks for again.
	Self   string
	PollMS int64
	Flash  string
	Data   any
}

// pageHeaders set the console's CSP and keep its pages out of caches.
func (cs *Console) pageHeaders(c *gin.Context) {
	c.Header("Content-Security-Policy", pageCSP)
	c.Header("Cache-Control", "no-store")
	c.Next()
}

// page adapts a handler that returns its error: an error becomes an HTML
// page with the status the API would answer (httpapi.StatusOf).
func (cs *Console) page(h func(c *gin.Context) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := h(c); err != nil {
			cs.fail(c, err)
		}
	}
}

// fail renders err as an error page. Anything but an *apperr.Error is
// logged with the request and shown without detail.
func (cs *Console) fail(c *gin.Context, err error) {
	e, ok := apperr.As(err)
	if !ok {
		_ = c.Error(err)
		cs.logger.Error("console", "path", c.Request.URL.Path, "err", err)
		e = apperr.New(apperr.CodeInternal, "Internal server error")
	}
	cs.render(c, httpapi.StatusOf(e.Code), "error", http.StatusText(httpapi.StatusOf(e.Code)), e)
}

// render writes page name inside the layout. A request made by htmx for a
// live part gets the same page: htmx takes the part it asked for.
func (cs *Console) render(c *gin.Context, status int, name, title string, data any) {
	t, ok := cs.views.pages[name]
	if !ok {
		cs.logger.Error("console: no page", "page", name)
		c.Status(http.StatusInternalServerError)
		return
	}
	l := layout{Title: title, User: principal(c), CSRF: c.GetString(csrfKey), Nav: cs.nav(c),
		Path: c.Request.URL.Path, Self: c.Request.URL.RequestURI(), PollMS: cs.settings.PollInterval.Milliseconds(), Flash: cs.takeFlash(c), Data: data}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", l); err != nil {
		cs.logger.Error("console: render", "page", name, "err", err)
		c.Status(http.StatusInternalServerError)
		return
	}
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// part renders one of parts/*.html on its own (a section's overview panel).
func (cs *Console) part(name string, data any) (template.HTML, error) {
	var buf bytes.Buffer
	if err := cs.views.parts.ExecuteTemplate(&buf, name, data); err != nil {
		return "", fmt.Errorf("console: render %s: %w", name, err)
	}
	return template.HTML(buf.String()), nil //nolint:gosec // html/template's own escaped output
}

// nav is the menu for the caller: the sections' entries, admins' only for
// admins.
func (cs *Console) nav(c *gin.Context) []NavLink {
	p := principal(c)
	if !p.Role.AtLeast(auth.RoleModerator) {
		return nil
	}
	links := []NavLink{{Label: "Overview", Path: "/console"}}
	for _, s := range cs.sections {
		links = append(links, s.Nav()...)
	}
	links = append(links, NavLink{Label: "Users", Path: "/console/users", Admin: true})
	out := links[:0]
	for _, l := range links {
		if !l.Admin || p.Role == auth.RoleAdmin {
			out = append(out, l)
		}
	}
	return out
}

// done sends the browser on after a successful form, with a message for
// the next page.
func (cs *Console) done(c *gin.Context, def, message string) {
	cs.setCookie(c, flashCookie, base64.RawURLEncoding.EncodeToString([]byte(message)), time.Minute)
	c.Redirect(http.StatusSeeOther, safeNext(c.PostForm("next"), def))
}

func (cs *Console) takeFlash(c *gin.Context) string {
	value, err := c.Cookie(flashCookie)
	if err != nil || value == "" || c.GetHeader("HX-Request") != "" {
		return ""
	}
	cs.clearCookie(c, flashCookie)
	msg, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil {
		return ""
	}
	return string(msg)
}

// confirmView is the page that asks before an action: it posts the same
// form again with confirm=yes.
type confirmView struct {
	Question string
	Action   string
	Fields   [][2]string
	Next     string
}

// confirmed reports whether the form was confirmed; if not, it answers
// with the page that asks. With or without JavaScript, every action takes
// this second step.
func (cs *Console) confirmed(c *gin.Context, question string) bool {
	if c.PostForm("confirm") == "yes" {
		return true
	}
	_ = c.Request.ParseForm()
	v := confirmView{Question: question, Action: c.Request.URL.Path, Next: safeNext(c.PostForm("next"), "/console")}
	for key, values := range c.Request.PostForm {
		// A password is never written back into a page: a form that
		// carries one confirms itself (confirm=yes).
		if key == "csrf" || key == "confirm" || key == "next" || strings.Contains(key, "password") {
			continue
		}
		for _, val := range values {
			v.Fields = append(v.Fields, [2]string{key, val})
		}
	}
	sortFields(v.Fields)
	cs.render(c, http.StatusOK, "confirm", "Confirm", v)
	return false
}
