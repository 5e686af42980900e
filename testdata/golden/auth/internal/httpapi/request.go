package httpapi

import (
	"bytes"
	"encoding/json"

	"github.com/gin-gonic/gin"

	"example.com/demo/internal/apperr"
)

// A Request is a JSON body that BindBody decodes and checks. Rules states
// what its Go types cannot: the fields that are required (present and not
// null), and those that must be JSON objects. What the values themselves
// must be (lengths, formats, ranges) is the services' to check.
type Request interface {
	Rules() []Rule
}

// Rule is one rule of a request's shape, on one field.
type Rule struct {
	field string
	ok    bool
	// broken ends the message "Field <field> …" of a broken rule.
	broken string
}

// Required is the rule that the field is present and not null (a pointer field).
func Required[T any](field string, v *T) Rule {
	return Rule{field: field, ok: v != nil, broken: "is required"}
}

// RequiredJSON is the rule that a raw JSON field is present and not null.
func RequiredJSON(field string, raw json.RawMessage) Rule {
	return Rule{field: field, ok: !isNull(raw), broken: "is required"}
}

// Object is the rule that a raw JSON field, when present and not null, is an object.
func Object(field string, raw json.RawMessage) Rule {
	return Rule{field: field, ok: isNull(raw) || isObject(raw), broken: "must be a JSON object"}
}

// RequiredField is the rule of a Field that must hold a value. A full body (POST, PUT)
// must give it; a partial one (PATCH) may leave it out, but not set it to
// null.
func RequiredField[T any](field string, f Field[T], partial bool) Rule {
	ok := f.Set && !f.Null || partial && !f.Set
	return Rule{field: field, ok: ok, broken: "is required"}
}

// BindBody decodes the body into dst (DecodeJSON) and checks its rules in
// order: the first broken one is 422 naming its field.
func BindBody(c *gin.Context, dst Request) error {
	if err := DecodeJSON(c, dst); err != nil {
		return err
	}
	for _, r := range dst.Rules() {
		if !r.ok {
			e := apperr.Unprocessable("Field " + r.field + " " + r.broken)
			e.Field = r.field
			return e
		}
	}
	return nil
}

// Field is a body field that tells apart the three things a client can
// say about it: nothing (absent), null, or a value. A PATCH keeps what is
// absent and clears what is null, which a pointer cannot express.
type Field[T any] struct {
	Value T
	// Set: the body holds the field, null or not.
	Set bool
	// Null: the body holds null for it.
	Null bool
}

// UnmarshalJSON records that the field was present. A value of the wrong
// JSON type fails as for a plain T (422 naming the field, see DecodeJSON).
func (f *Field[T]) UnmarshalJSON(data []byte) error {
	f.Set = true
	if string(data) == "null" {
		f.Null = true
		return nil
	}
	return json.Unmarshal(data, &f.Value)
}

// Ptr is the field's value, or nil when it is absent or null.
func (f Field[T]) Ptr() *T {
	if !f.Set || f.Null {
		return nil
	}
	return &f.Value
}

func isNull(raw json.RawMessage) bool { return len(raw) == 0 || string(raw) == "null" }

func isObject(raw json.RawMessage) bool {
	return bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{"))
}
