package httpapi

import (
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"example.com/demo/internal/apperr"
)

// The window of a list when the query gives none, and the largest one.
const (
	DefaultLimit = 50
	MaxLimit     = 100
)

// IDParam parses the :id path parameter: a UUID in its 36-character form,
// else 400 INVALID_QUERY (uuid.Parse alone also takes braces and URNs).
func IDParam(c *gin.Context) (uuid.UUID, error) {
	raw := c.Param("id")
	id, err := uuid.Parse(raw)
	if err != nil || len(raw) != 36 {
		return uuid.UUID{}, apperr.InvalidQuery("id", "must be a UUID")
	}
	return id, nil
}

// Page reads the window every list takes: limit (1–100, default 50) and
// offset (at least 0); anything else is 400 INVALID_QUERY.
func Page(c *gin.Context) (limit, offset int, err error) {
	limit = DefaultLimit
	if v, ok := c.GetQuery("limit"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxLimit {
			return 0, 0, apperr.InvalidQuery("limit", "must be an integer from 1 to 100")
		}
		limit = n
	}
	if v, ok := c.GetQuery("offset"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, 0, apperr.InvalidQuery("offset", "must be an integer of at least 0")
		}
		offset = n
	}
	return limit, offset, nil
}
