package categories

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"example.com/demo/internal/apperr"
	"example.com/demo/internal/httpapi"
)

// handlers answer the routes of categories (routes.go).
type handlers struct {
	store *Store
}

func (h *handlers) handleCreate(c *gin.Context) error {
	var body Body
	if err := httpapi.BindBody(c, &body); err != nil {
		return err
	}
	in, err := body.input()
	if err != nil {
		return err
	}
	category, err := h.store.Create(c.Request.Context(), in)
	if err != nil {
		return err
	}
	httpapi.OK(c, http.StatusCreated, category, "Category created")
	return nil
}

func (h *handlers) handleList(c *gin.Context) error {
	q, err := listQuery(c)
	if err != nil {
		return err
	}
	list, err := h.store.List(c.Request.Context(), q)
	if err != nil {
		return err
	}
	httpapi.OK(c, http.StatusOK, list, "")
	return nil
}

// defaultSort is the order of a list that asks for none: newest first.
const defaultSort = "-created_at"

// listQuery reads the query of GET /api/v1/categories; anything it cannot use is 400
// INVALID_QUERY.
func listQuery(c *gin.Context) (Query, error) {
	q := Query{Sort: c.DefaultQuery("sort", defaultSort)}
	var err error
	if q.Limit, q.Offset, err = httpapi.Page(c); err != nil {
		return q, err
	}
	if _, ok := orderBy(q.Sort); !ok {
		return q, apperr.InvalidQuery("sort", "must be one of created_at, name, about, updated_at, each with - first for descending")
	}
	if v, ok := c.GetQuery("name"); ok {
		q.Filter.Name = &v
	}
	return q, nil
}

func (h *handlers) handleGet(c *gin.Context) error {
	id, err := httpapi.IDParam(c)
	if err != nil {
		return err
	}
	category, err := h.store.Get(c.Request.Context(), id)
	if err != nil {
		return err
	}
	httpapi.OK(c, http.StatusOK, category, "")
	return nil
}

// handleReplace is PUT: the body gives every field, and a field it leaves
// out becomes null.
func (h *handlers) handleReplace(c *gin.Context) error { return h.update(c, false) }

// handlePatch is PATCH: the body gives only the fields to change, null
// clearing one.
func (h *handlers) handlePatch(c *gin.Context) error { return h.update(c, true) }

func (h *handlers) update(c *gin.Context, partial bool) error {
	id, err := httpapi.IDParam(c)
	if err != nil {
		return err
	}
	body := Body{partial: partial}
	if err := httpapi.BindBody(c, &body); err != nil {
		return err
	}
	in, err := body.input()
	if err != nil {
		return err
	}
	category, err := h.store.Update(c.Request.Context(), id, in)
	if err != nil {
		return err
	}
	httpapi.OK(c, http.StatusOK, category, "Category updated")
	return nil
}

func (h *handlers) handleDelete(c *gin.Context) error {
	id, err := httpapi.IDParam(c)
	if err != nil {
		return err
	}
	if err := h.store.Delete(c.Request.Context(), id); err != nil {
		return err
	}
	httpapi.OK(c, http.StatusOK, nil, "Category deleted")
	return nil
}
