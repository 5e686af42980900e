package console

import (
	"github.com/gin-gonic/gin"

	"github.com/starter-go/starter/templates/project/internal/auth"
)

// Routes mounts the console under /console on root: the login and the
// assets for anyone, the pages for moderators and admins, the users for
// admins, then each section's pages. Every POST behind the login carries
// the session's CSRF token.
func (cs *Console) Routes(root *gin.RouterGroup) {
	g := root.Group("/console", cs.pageHeaders)
	g.GET("/assets/:version/:name", cs.handleAsset)
	g.GET("/login", cs.page(cs.handleLoginPage))
	g.POST("/login", cs.page(cs.handleLogin))
	in := g.Group("", cs.requireSession, cs.checkCSRF)
	in.POST("/logout", cs.page(cs.handleLogout))
	mod := in.Group("", cs.requireRole(auth.RoleModerator))
	mod.GET("", cs.page(cs.handleOverview))
	admin := mod.Group("", cs.requireRole(auth.RoleAdmin))
	admin.GET("/users", cs.page(cs.handleUsers))
	admin.GET("/users/:id", cs.page(cs.handleUser))
	admin.POST("/users/:id/role", cs.page(cs.handleSetRole))
	admin.POST("/users/:id/status", cs.page(cs.handleSetStatus))
	admin.POST("/users/:id/reset-password", cs.page(cs.handleResetPassword))
	for _, s := range cs.sections {
		s.Routes(mod, cs)
	}
}
