package products

import (
	"github.com/gin-gonic/gin"

	"example.com/demo/internal/httpapi"
)

// Routes are the routes of products on store, under /api/v1/products. Each needs a
// session: users reach their own products, moderators and admins
// everyone's (a product the caller may not see is 404).
func Routes(store *Store) httpapi.Routes {
	h := &handlers{store: store}
	return func(s *httpapi.Server, api *gin.RouterGroup) {
		g := api.Group("/products", s.RequireAuth)
		g.POST("", httpapi.Handle(h.handleCreate))
		g.GET("", httpapi.Handle(h.handleList))
		g.GET("/:id", httpapi.Handle(h.handleGet))
		g.PUT("/:id", httpapi.Handle(h.handleReplace))
		g.PATCH("/:id", httpapi.Handle(h.handlePatch))
		g.DELETE("/:id", httpapi.Handle(h.handleDelete))
	}
}
