package httpapi

import (
	"bytes"
	"encoding/json"

	"github.com/gin-gonic/gin"

	"example.com/demo/internal/apperr"
)

// A request is a JSON body that bindBody decodes and checks. rules states
// what its Go types cannot: the fields that are required (present and not
// null), and those that must be JSON objects. What the values themselves
// must be (lengths, formats, ranges) is the services' to check.
type request interface {
	rules() []fieldRule
}

// fieldRule is one rule of a request's shape, on one field.
type fieldRule struct {
	field string
	ok    bool
	// broken ends the message "Field <field> …" of a broken rule.
	broken string
}

// required: the field is present and not null (a pointer field).
func required[T any](field string, v *T) fieldRule {
	return fieldRule{field: field, ok: v != nil, broken: "is required"}
}

// requiredJSON: a raw JSON field is present and not null.
func requiredJSON(field string, raw json.RawMessage) fieldRule {
	return fieldRule{field: field, ok: !isNull(raw), broken: "is required"}
}

// object: a raw JSON field, when present and not null, is an object.
func object(field string, raw json.RawMessage) fieldRule {
	return fieldRule{field: field, ok: isNull(raw) || isObject(raw), broken: "must be a JSON object"}
}

// bindBody decodes the body into dst (DecodeJSON) and checks its rules in
// order: the first broken one is 422 naming its field.
func bindBody(c *gin.Context, dst request) error {
	if err := DecodeJSON(c, dst); err != nil {
		return err
	}
	for _, r := range dst.rules() {
		if !r.ok {
			e := apperr.Unprocessable("Field " + r.field + " " + r.broken)
			e.Field = r.field
			return e
		}
	}
	return nil
}

func isNull(raw json.RawMessage) bool { return len(raw) == 0 || string(raw) == "null" }

func isObject(raw json.RawMessage) bool {
	return bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{"))
}
