package console

import (
	"html/template"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/starter-go/starter/templates/project/internal/apperr"
	"github.com/starter-go/starter/templates/project/internal/auth"
	"github.com/starter-go/starter/templates/project/internal/health"
)

type overviewView struct {
	Checks  []namedCheck
	Healthy bool
	Users   auth.Stats
	Panels  []template.HTML
}

type namedCheck struct {
	Name string
	health.Result
}

// handleOverview shows the health checks, the accounts, and each
// section's panel (the task queue's figures). It is live: htmx asks for it
// again every PollInterval and swaps the part marked live.
func (cs *Console) handleOverview(c *gin.Context) error {
	ctx := c.Request.Context()
	results, healthy := cs.health.Run(ctx, health.Detailed)
	v := overviewView{Healthy: healthy}
	for name, r := range results {
		v.Checks = append(v.Checks, namedCheck{name, r})
	}
	slices.SortFunc(v.Checks, func(a, b namedCheck) int { return strings.Compare(a.Name, b.Name) })
	stats, err := cs.auth.Stats(ctx)
	if err != nil {
		return err
	}
	v.Users = stats
	for _, s := range cs.sections {
		panel, err := s.Panel(c, cs)
		if err != nil {
			return err
		}
		v.Panels = append(v.Panels, panel)
	}
	cs.render(c, http.StatusOK, "overview", "Overview", v)
	return nil
}

// Render writes one of the pages of the console (pages/NAME.html) in its
// layout, for a section's handlers.
func (cs *Console) Render(c *gin.Context, name, title string, data any) {
	cs.render(c, http.StatusOK, name, title, data)
}

// Part renders one of parts/*.html on its own, for a section's panel.
func (cs *Console) Part(name string, data any) (template.HTML, error) { return cs.part(name, data) }

// Confirmed reports whether the posted form was confirmed; if not, it has
// answered with the page that asks.
func (cs *Console) Confirmed(c *gin.Context, question string) bool { return cs.confirmed(c, question) }

// Done sends the browser on after a successful form (to its "next" field
// when that is a console page, else to def) with a message.
func (cs *Console) Done(c *gin.Context, def, message string) { cs.done(c, def, message) }

// Page adapts a handler that returns its error to the console's error pages.
func (cs *Console) Page(h func(c *gin.Context) error) gin.HandlerFunc { return cs.page(h) }

// AssetsSize is the embedded assets' total size in bytes.
func (cs *Console) AssetsSize() int { return cs.views.assets.Size() }

func notFound() *apperr.Error { return apperr.NotFound("Page") }

func sortFields(f [][2]string) {
	slices.SortStableFunc(f, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
}
