package boxes

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"example.com/demo/internal/apperr"
	"example.com/demo/internal/httpapi"
)

// handlers answer the routes of boxes (routes.go).
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
	box, err := h.store.Create(c.Request.Context(), in)
	if err != nil {
		return err
	}
	httpapi.OK(c, http.StatusCreated, box, "Box created")
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

// listQuery reads the query of GET /api/v1/boxes; anything it cannot use is 400
// INVALID_QUERY.
func listQuery(c *gin.Context) (Query, error) {
	q := Query{Sort: c.DefaultQuery("sort", defaultSort)}
	var err error
	if q.Limit, q.Offset, err = httpapi.Page(c); err != nil {
		return q, err
	}
	if _, ok := orderBy(q.Sort); !ok {
		return q, apperr.InvalidQuery("sort", "must be one of created_at, label, note, size, ratio, weight, fragile, seen_at, shipped_on, code, tag_id, updated_at, each with - first for descending")
	}
	if v, ok := c.GetQuery("label"); ok {
		q.Filter.Label = &v
	}
	if q.Filter.Size, err = filter(c, "size", parseInt, ruleInt); err != nil {
		return q, err
	}
	if q.Filter.Ratio, err = filter(c, "ratio", parseFloat, ruleFloat); err != nil {
		return q, err
	}
	if q.Filter.Weight, err = filter(c, "weight", parseDecimal, ruleDecimal); err != nil {
		return q, err
	}
	if q.Filter.SeenAt, err = filter(c, "seen_at", parseTime, ruleTime); err != nil {
		return q, err
	}
	if q.Filter.ShippedOn, err = filter(c, "shipped_on", parseDate, ruleDate); err != nil {
		return q, err
	}
	if q.Filter.Code, err = filter(c, "code", parseUUID, ruleUUID); err != nil {
		return q, err
	}
	if q.Filter.TagID, err = filter(c, "tag_id", parseUUID, ruleUUID); err != nil {
		return q, err
	}
	return q, nil
}

// filter reads the query parameter of a filter: absent is nil, a value
// parse refuses breaks the rule.
func filter[T any](c *gin.Context, name string, parse func(string) (T, bool), rule string) (*T, error) {
	v, ok := c.GetQuery(name)
	if !ok {
		return nil, nil
	}
	x, ok := parse(v)
	if !ok {
		return nil, apperr.InvalidQuery(name, rule)
	}
	return &x, nil
}

func (h *handlers) handleGet(c *gin.Context) error {
	id, err := httpapi.IDParam(c)
	if err != nil {
		return err
	}
	box, err := h.store.Get(c.Request.Context(), id)
	if err != nil {
		return err
	}
	httpapi.OK(c, http.StatusOK, box, "")
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
	box, err := h.store.Update(c.Request.Context(), id, in)
	if err != nil {
		return err
	}
	httpapi.OK(c, http.StatusOK, box, "Box updated")
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
	httpapi.OK(c, http.StatusOK, nil, "Box deleted")
	return nil
}
