package categories

import (
	"github.com/gin-gonic/gin"

	"example.com/demo/internal/auth"
	"example.com/demo/internal/httpapi"
)

// Routes are the routes of categories on store, under /api/v1/categories. Anyone reads;
// moderators and admins write.
func Routes(store *Store) httpapi.Routes {
	h := &handlers{store: store}
	return func(s *httpapi.Server, api *gin.RouterGroup) {
		g := api.Group("/categories")
		g.GET("", httpapi.Handle(h.handleList))
		g.GET("/:id", httpapi.Handle(h.handleGet))
		w := g.Group("", s.RequireAuth, s.RequireRole(auth.RoleModerator))
		w.POST("", httpapi.Handle(h.handleCreate))
		w.PUT("/:id", httpapi.Handle(h.handleReplace))
		w.PATCH("/:id", httpapi.Handle(h.handlePatch))
		w.DELETE("/:id", httpapi.Handle(h.handleDelete))
	}
}
