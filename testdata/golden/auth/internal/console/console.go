// Package console is the operator console at /console: server-rendered
// HTML pages for moderators and admins, on the service's own login,
// sessions and roles. Every page works as plain links and forms; a small
// vendored script (htmx) only refreshes the live parts. Its assets are
// embedded, so a page asks nothing of any other host.
package console

import (
	"html/template"
	"log/slog"
	"time"

	"github.com/gin-gonic/gin"

	"example.com/demo/internal/auth"
	"example.com/demo/internal/health"
)

// Settings configure the console. The zero value is valid.
type Settings struct {
	// SecureCookies marks the session cookie Secure: browsers then send it
	// over HTTPS only (default false; the service sets it outside
	// development).
	SecureCookies bool
	// PollInterval is how often a live part of a page is refreshed
	// (default 2s; never under 1s).
	PollInterval time.Duration
}

func (s Settings) withDefaults() Settings {
	if s.PollInterval == 0 {
		s.PollInterval = 2 * time.Second
	}
	s.PollInterval = max(s.PollInterval, time.Second)
	return s
}

// Console serves the pages. Features add sections to it (AddSection)
// before the routes are mounted.
type Console struct {
	auth     *auth.Service
	health   *health.Registry
	logger   *slog.Logger
	settings Settings
	views    *views
	sections []Section
}

// A Section is a part of the console that a feature brings: its pages,
// its place in the menu and its panel on the overview.
type Section interface {
	// Routes adds the section's pages to console, the /console group,
	// whose handlers run for moderators and admins only.
	Routes(console *gin.RouterGroup, c *Console)
	// Nav is the section's entries in the menu.
	Nav() []NavLink
	// Panel renders the section's part of the overview.
	Panel(c *gin.Context, cs *Console) (template.HTML, error)
}

// NavLink is an entry of the menu.
type NavLink struct {
	Label string
	Path  string
	// Admin entries are shown to admins only.
	Admin bool
}

// New returns the console on the service's sessions and health checks.
func New(a *auth.Service, checks *health.Registry, logger *slog.Logger, s Settings) (*Console, error) {
	v, err := loadViews()
	if err != nil {
		return nil, err
	}
	return &Console{auth: a, health: checks, logger: logger, settings: s.withDefaults(), views: v}, nil
}

// AddSection adds a feature's part of the console.
func (c *Console) AddSection(s Section) { c.sections = append(c.sections, s) }
