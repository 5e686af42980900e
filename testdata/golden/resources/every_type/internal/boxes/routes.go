package boxes

import (
	"github.com/gin-gonic/gin"

	"example.com/demo/internal/httpapi"
)

// Routes are the routes of boxes on store, under /api/v1/boxes. Anyone reads
// and writes.
func Routes(store *Store) httpapi.Routes {
	h := &handlers{store: store}
	return func(s *httpapi.Server, api *gin.RouterGroup) {
		g := api.Group("/boxes")
		g.POST("", httpapi.Handle(h.handleCreate))
		g.GET("", httpapi.Handle(h.handleList))
		g.GET("/:id", httpapi.Handle(h.handleGet))
		g.PUT("/:id", httpapi.Handle(h.handleReplace))
		g.PATCH("/:id", httpapi.Handle(h.handlePatch))
		g.DELETE("/:id", httpapi.Handle(h.handleDelete))
	}
}
